package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/chainctl/chainctl/internal/topology"
)

// These tests talk to the real daemon. Under -short they do not run; without
// -short an unreachable daemon fails them, it never skips them.

const linkImage = topology.DefaultImage

func daemon(t *testing.T) (*Engine, *client.Client) {
	t.Helper()
	if testing.Short() {
		t.Skip("talks to the Docker daemon; not run under -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := Connect(ctx, nil)
	if err != nil {
		t.Fatalf("the Docker daemon must be reachable for these tests: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	if _, err := e.api.ImageInspect(ctx, linkImage); err != nil {
		t.Fatalf("image %s missing: run `make image` (%v)", linkImage, err)
	}
	return e, e.api.(*client.Client)
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9]+`)

// uniqueProject derives a project name from the test name, unique per run.
func uniqueProject(t *testing.T) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	base := strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(base) > 30 {
		base = base[len(base)-30:]
	}
	return strings.Trim(base, "-") + "-" + hex.EncodeToString(b)
}

// chain is a→b→c of link services with engine-chosen host ports.
func chain(project string) *topology.Topology {
	svc := func(name string, calls ...string) *topology.Service {
		s := &topology.Service{Name: name, Image: linkImage, Replicas: 1,
			Healthcheck: &topology.Healthcheck{Test: []string{"CMD", "/link", "-health"},
				Interval: topology.Duration(500 * time.Millisecond), Timeout: topology.Duration(time.Second), Retries: 3}}
		for _, c := range calls {
			s.Calls = append(s.Calls, topology.Call{Service: c, Port: topology.DefaultCallPort})
		}
		return s
	}
	a, b, c := svc("a", "b"), svc("b", "c"), svc("c")
	a.Ports = []topology.Port{{HostIP: "127.0.0.1", ContainerPort: "8080", Protocol: "tcp"}}
	c.Volumes = []topology.Mount{{Type: "volume", Source: "data", Target: "/data"}}
	return &topology.Topology{
		Name:     project,
		Network:  topology.Network{Name: project + "-net"},
		Volumes:  map[string]topology.Volume{"data": {Name: project + "-data"}},
		Services: map[string]*topology.Service{"a": a, "b": b, "c": c},
	}
}

// cleanup removes the project with Down, then asserts through the API that
// nothing with its label is left. Registered before anything is created.
func cleanup(t *testing.T, e *Engine, cli *client.Client, project string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		zero := time.Duration(0)
		if _, err := e.Down(ctx, project, DownOptions{Timeout: &zero}); err != nil {
			t.Errorf("down %s: %v", project, err)
		}
		assertNothingLeft(t, cli, project)
	})
}

func assertNothingLeft(t *testing.T, cli *client.Client, project string) {
	t.Helper()
	ctx := context.Background()
	f := filters.NewArgs(filters.Arg("label", LabelProject+"="+project))
	cs, _ := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	ns, _ := cli.NetworkList(ctx, network.ListOptions{Filters: f})
	vs, _ := cli.VolumeList(ctx, volume.ListOptions{Filters: f})
	if len(cs)+len(ns)+len(vs.Volumes) != 0 {
		t.Errorf("project %s left %d containers, %d networks, %d volumes", project, len(cs), len(ns), len(vs.Volumes))
	}
}

func TestUpIsIdempotentAndDownLeavesNothing(t *testing.T) {
	t.Parallel()
	e, cli := daemon(t)
	project := uniqueProject(t)
	cleanup(t, e, cli, project)
	ctx := context.Background()

	top := chain(project)
	res, err := e.Up(ctx, top, UpOptions{WaitTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != 3 {
		t.Errorf("created %v, want 3 containers", res.Created)
	}
	rows, err := e.PS(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, r := range rows {
		if r.State != "running" || r.Health != "healthy" || r.Fault != FaultNone {
			t.Errorf("%s: state %s health %s fault %s", r.Container, r.State, r.Health, r.Fault)
		}
		ids[r.Container] = r.ID
	}
	ins, err := cli.ContainerInspect(ctx, project+"-a-1")
	if err != nil {
		t.Fatal(err)
	}
	if b := ins.HostConfig.PortBindings["8080/tcp"]; len(b) != 1 || b[0].HostIP != "127.0.0.1" {
		t.Errorf("a publishes %+v, want 127.0.0.1 only", b)
	}
	if _, ok := ins.NetworkSettings.Networks[project+"-net"]; !ok {
		t.Errorf("a is not on %s-net", project)
	}

	res, err = e.Up(ctx, chain(project), UpOptions{WaitTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unchanged) != 3 || len(res.Created)+len(res.Recreated) != 0 {
		t.Errorf("second up: %+v, want 3 unchanged", res)
	}

	changed := chain(project)
	changed.Services["b"].Environment = map[string]string{"VERSION": "2"}
	res, err = e.Up(ctx, changed, UpOptions{WaitTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.Recreated) != fmt.Sprintf("[%s-b-1]", project) {
		t.Errorf("recreated %v, want only b", res.Recreated)
	}
	rows, _ = e.PS(ctx, project)
	for _, r := range rows {
		if r.Service != "b" && ids[r.Container] != r.ID {
			t.Errorf("%s was recreated although it did not change", r.Container)
		}
	}
}

func TestUpRollsBackWhenAServiceExits(t *testing.T) {
	t.Parallel()
	e, cli := daemon(t)
	project := uniqueProject(t)
	cleanup(t, e, cli, project)
	top := chain(project)
	top.Services["b"].Command = []string{"-no-such-flag"}
	_, err := e.Up(context.Background(), top, UpOptions{WaitTimeout: 30 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "service b") || !strings.Contains(err.Error(), "exited with code") {
		t.Fatalf("up error = %v, want service b exited", err)
	}
	assertNothingLeft(t, cli, project)
}

func TestForeignNetworkWithOurNameIsNeverTouched(t *testing.T) {
	t.Parallel()
	e, cli := daemon(t)
	project := uniqueProject(t)
	ctx := context.Background()
	t.Cleanup(func() { _ = cli.NetworkRemove(context.Background(), project+"-net") })
	if _, err := cli.NetworkCreate(ctx, project+"-net", network.CreateOptions{Labels: map[string]string{"io.chainctl.test": project}}); err != nil {
		t.Fatal(err)
	}
	cleanup(t, e, cli, project)
	_, err := e.Up(ctx, chain(project), UpOptions{})
	if err == nil || !strings.Contains(err.Error(), "does not belong to project") {
		t.Fatalf("up error = %v, want a name clash", err)
	}
	if _, err := e.Down(ctx, project, DownOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.NetworkInspect(ctx, project+"-net", network.InspectOptions{}); err != nil {
		t.Errorf("the foreign network was removed: %v", err)
	}
}

func TestConnectToMissingDaemonSaysSo(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	start := time.Now()
	_, err := Connect(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), ErrDaemonUnreachable.Error()) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > pingTimeout+time.Second {
		t.Errorf("took %s", time.Since(start))
	}
}

// A foreign container attached to the project's network keeps running and
// attached; down names it instead of blaming nobody, and once it has left,
// down finishes.
func TestDownNamesAForeignContainerOnTheNetwork(t *testing.T) {
	t.Parallel()
	e, cli := daemon(t)
	project := uniqueProject(t)
	ctx := context.Background()
	foreign := project + "-visitor"
	t.Cleanup(func() {
		_ = cli.ContainerRemove(context.Background(), foreign, container.RemoveOptions{Force: true})
	})
	cleanup(t, e, cli, project)
	topo := chain(project)
	if _, err := e.Up(ctx, topo, UpOptions{NoWait: true}); err != nil {
		t.Fatalf("up: %v", err)
	}
	resp, err := cli.ContainerCreate(ctx, &container.Config{Image: linkImage, Labels: map[string]string{"io.chainctl.test": project}},
		&container.HostConfig{NetworkMode: container.NetworkMode(topo.Network.Name)}, nil, nil, foreign)
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	zero := time.Duration(0)
	_, err = e.Down(ctx, project, DownOptions{Timeout: &zero})
	if err == nil || !strings.Contains(err.Error(), foreign) || !strings.Contains(err.Error(), "not project "+project+"'s") {
		t.Fatalf("down error = %v, want one naming %s", err, foreign)
	}
	ins, err := cli.ContainerInspect(ctx, foreign)
	if err != nil || !ins.State.Running {
		t.Fatalf("the foreign container was touched: %v, running=%v", err, err == nil && ins.State.Running)
	}
	if _, ok := ins.NetworkSettings.Networks[topo.Network.Name]; !ok {
		t.Errorf("the foreign container was disconnected from %s", topo.Network.Name)
	}
	if err := cli.ContainerRemove(ctx, foreign, container.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Down(ctx, project, DownOptions{Timeout: &zero}); err != nil {
		t.Fatalf("down after the visitor left: %v", err)
	}
	assertNothingLeft(t, cli, project)
}
