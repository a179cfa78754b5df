// Tests of the docker backend against the real daemon: convergence, rollback, ownership, teardown.

package docker

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/enginetest"
	"github.com/chainctl/chainctl/internal/topology"
)

// linkImage is the image every test chain runs.
const linkImage = topology.DefaultImage

// daemon is the docker backend on the real daemon (see enginetest.Daemon).
func daemon(t *testing.T) (*Backend, *client.Client) {
	c, cli := enginetest.Daemon(t)
	return New(c), cli
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
func cleanup(t *testing.T, e *Backend, cli *client.Client, project string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		zero := time.Duration(0)
		if _, err := e.Down(ctx, project, engine.DownOptions{Timeout: &zero}); err != nil {
			t.Errorf("down %s: %v", project, err)
		}
		enginetest.AssertNothingLeft(t, cli, project)
	})
}

func TestUpIsIdempotentAndDownLeavesNothing(t *testing.T) {
	t.Parallel()
	e, cli := daemon(t)
	project := enginetest.Project(t)
	cleanup(t, e, cli, project)
	ctx := context.Background()

	top := chain(project)
	res, err := e.Up(ctx, top, engine.UpOptions{WaitTimeout: 30 * time.Second})
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
		if r.State != "running" || r.Health != "healthy" || r.Fault != engine.FaultNone {
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

	res, err = e.Up(ctx, chain(project), engine.UpOptions{WaitTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unchanged) != 3 || len(res.Created)+len(res.Recreated) != 0 {
		t.Errorf("second up: %+v, want 3 unchanged", res)
	}

	changed := chain(project)
	changed.Services["b"].Environment = map[string]string{"VERSION": "2"}
	res, err = e.Up(ctx, changed, engine.UpOptions{WaitTimeout: 30 * time.Second})
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
	project := enginetest.Project(t)
	cleanup(t, e, cli, project)
	top := chain(project)
	top.Services["b"].Command = []string{"-no-such-flag"}
	_, err := e.Up(context.Background(), top, engine.UpOptions{WaitTimeout: 30 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "service b") || !strings.Contains(err.Error(), "exited with code") {
		t.Fatalf("up error = %v, want service b exited", err)
	}
	enginetest.AssertNothingLeft(t, cli, project)
}

func TestForeignNetworkWithOurNameIsNeverTouched(t *testing.T) {
	t.Parallel()
	e, cli := daemon(t)
	project := enginetest.Project(t)
	ctx := context.Background()
	t.Cleanup(func() { _ = cli.NetworkRemove(context.Background(), project+"-net") })
	if _, err := cli.NetworkCreate(ctx, project+"-net", network.CreateOptions{Labels: map[string]string{"io.chainctl.test": project}}); err != nil {
		t.Fatal(err)
	}
	cleanup(t, e, cli, project)
	_, err := e.Up(ctx, chain(project), engine.UpOptions{})
	if err == nil || !strings.Contains(err.Error(), "does not belong to project") {
		t.Fatalf("up error = %v, want a name clash", err)
	}
	if _, err := e.Down(ctx, project, engine.DownOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.NetworkInspect(ctx, project+"-net", network.InspectOptions{}); err != nil {
		t.Errorf("the foreign network was removed: %v", err)
	}
}

// A foreign container attached to the project's network keeps running and
// attached; down names it instead of blaming nobody, and once it has left,
// down finishes.
func TestDownNamesAForeignContainerOnTheNetwork(t *testing.T) {
	t.Parallel()
	e, cli := daemon(t)
	project := enginetest.Project(t)
	ctx := context.Background()
	foreign := project + "-visitor"
	t.Cleanup(func() {
		_ = cli.ContainerRemove(context.Background(), foreign, container.RemoveOptions{Force: true})
	})
	cleanup(t, e, cli, project)
	topo := chain(project)
	if _, err := e.Up(ctx, topo, engine.UpOptions{NoWait: true}); err != nil {
		t.Fatalf("up: %v", err)
	}
	// No probe: removing a running container while one starts can panic dockerd 20.10.
	resp, err := cli.ContainerCreate(ctx, &container.Config{Image: linkImage, Labels: map[string]string{"io.chainctl.test": project},
		Healthcheck: &container.HealthConfig{Test: []string{"NONE"}}},
		&container.HostConfig{NetworkMode: container.NetworkMode(topo.Network.Name)}, nil, nil, foreign)
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	zero := time.Duration(0)
	_, err = e.Down(ctx, project, engine.DownOptions{Timeout: &zero})
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
	if _, err := e.Down(ctx, project, engine.DownOptions{Timeout: &zero}); err != nil {
		t.Fatalf("down after the visitor left: %v", err)
	}
	enginetest.AssertNothingLeft(t, cli, project)
}
