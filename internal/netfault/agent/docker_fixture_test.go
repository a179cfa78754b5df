// The daemon tests' fixture: a private network of link containers, helper containers in their namespaces, and reading what helpers print.

package agent

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/docker/go-connections/nat"

	"github.com/chainctl/chainctl/internal/netfault/spec"
)

const (
	linkImage     = "chainctl/link:latest"
	netfaultImage = "chainctl/netfault:latest"
	testLabel     = "io.chainctl.test"
)

// fixture is one test's network and containers, all named <name>-*,
// labelled io.chainctl.test=<name>, and removed in Cleanup.
type fixture struct {
	t    *testing.T
	cli  *client.Client
	name string
	n    int // helpers started, for unique names
}

// box is a link container on the fixture's network.
type box struct {
	id, name, ip string
	hostPort     string // 8080 published on 127.0.0.1, when asked
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the Docker daemon (not with -short)")
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx); err != nil {
		t.Fatalf("docker daemon not answering: %v", err)
	}
	for _, img := range []string{linkImage, netfaultImage} {
		if _, err := cli.ImageInspect(ctx, img); err != nil {
			t.Fatalf("image %s: %v: run `make image`", img, err)
		}
	}
	b := make([]byte, 4)
	rand.Read(b)
	f := &fixture{t: t, cli: cli, name: "nfa-" + hex.EncodeToString(b)}
	t.Cleanup(f.removeAll)
	_, err = cli.NetworkCreate(ctx, f.name, network.CreateOptions{Driver: "bridge", Labels: map[string]string{testLabel: f.name}})
	if err != nil {
		t.Fatalf("network %s: %v", f.name, err)
	}
	return f
}

// removeAll removes every container and the network with the fixture's
// label, whatever the test did.
func (f *fixture) removeAll() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	label := filters.NewArgs(filters.Arg("label", testLabel+"="+f.name))
	cs, err := f.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: label})
	if err != nil {
		f.t.Errorf("cleanup: list containers: %v", err)
	}
	// Helpers first: they live in the link containers' namespaces.
	for pass := 0; pass < 2; pass++ {
		for _, c := range cs {
			if (c.Labels["io.chainctl.test.role"] == "helper") == (pass == 0) {
				if err := f.cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}); err != nil && !client.IsErrNotFound(err) {
					f.t.Errorf("cleanup: remove %s: %v", c.Names, err)
				}
			}
		}
	}
	if err := f.cli.NetworkRemove(ctx, f.name); err != nil && !client.IsErrNotFound(err) {
		f.t.Errorf("cleanup: remove network %s: %v", f.name, err)
	}
}

func (f *fixture) labels(role string) map[string]string {
	return map[string]string{testLabel: f.name, "io.chainctl.test.role": role}
}

// links starts link containers (name → NEXT, "" for none) and waits until
// each is healthy. Published ports only for those named in publish.
func (f *fixture) links(next map[string]string, publish ...string) map[string]*box {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := map[string]*box{}
	for svc, nxt := range next {
		name := f.name + "-" + svc
		env := []string{"CHAINCTL_SERVICE=" + svc, "LOG_REQUESTS=none"}
		if nxt != "" {
			env = append(env, "NEXT="+f.name+"-"+nxt+":8080")
		}
		cfg := &container.Config{Image: linkImage, Env: env, Labels: f.labels("link"),
			ExposedPorts: nat.PortSet{"8080/tcp": {}},
			Healthcheck: &container.HealthConfig{Test: []string{"CMD", "/link", "-health"},
				Interval: 300 * time.Millisecond, Timeout: time.Second, Retries: 3}}
		host := &container.HostConfig{NetworkMode: container.NetworkMode(f.name)}
		for _, p := range publish {
			if p == svc {
				host.PortBindings = nat.PortMap{"8080/tcp": {{HostIP: "127.0.0.1"}}}
			}
		}
		c, err := f.cli.ContainerCreate(ctx, cfg, host, nil, nil, name)
		if err != nil {
			f.t.Fatalf("create %s: %v", name, err)
		}
		if err := f.cli.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
			f.t.Fatalf("start %s: %v", name, err)
		}
		out[svc] = &box{id: c.ID, name: name}
	}
	for svc, b := range out {
		f.waitHealthy(ctx, svc, b)
	}
	return out
}

// waitHealthy polls until b is healthy and reads its address and port.
func (f *fixture) waitHealthy(ctx context.Context, svc string, b *box) {
	f.t.Helper()
	var last string
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		in, err := f.cli.ContainerInspect(ctx, b.id)
		if err != nil {
			f.t.Fatalf("inspect %s: %v", svc, err)
		}
		if in.State != nil && in.State.Health != nil {
			last = in.State.Health.Status
		}
		if last == "healthy" {
			b.ip = in.NetworkSettings.Networks[f.name].IPAddress
			if ps := in.NetworkSettings.Ports["8080/tcp"]; len(ps) > 0 {
				b.hostPort = ps[0].HostPort
			}
			return
		}
		if in.State != nil && !in.State.Running {
			f.t.Fatalf("%s exited with code %d", svc, in.State.ExitCode)
		}
		select {
		case <-ctx.Done():
			f.t.Fatalf("%s not healthy in time: last status %q", svc, last)
		case <-tick.C:
		}
	}
}

// helper is a netfault container in a link container's namespace.
type helper struct {
	f    *fixture
	id   string
	name string
}

// start runs `netfault args...` in target's namespace; job goes in
// NETFAULT_JOB when set. Only run gets NET_ADMIN.
func (f *fixture) start(target *box, job *spec.Job, args ...string) *helper {
	f.t.Helper()
	f.n++
	h := &helper{f: f, name: fmt.Sprintf("%s-%s-%d", f.name, args[0], f.n)}
	cfg := &container.Config{Image: netfaultImage, Cmd: args, Labels: f.labels("helper")}
	host := &container.HostConfig{NetworkMode: container.NetworkMode("container:" + target.id),
		CapDrop: []string{"ALL"}, ReadonlyRootfs: true}
	if args[0] == "run" || args[0] == "clear" || args[0] == "list" {
		host.CapAdd = []string{"NET_ADMIN"}
	}
	if job != nil {
		s, err := job.Encode()
		if err != nil {
			f.t.Fatal(err)
		}
		cfg.Env = []string{"NETFAULT_JOB=" + s}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := f.cli.ContainerCreate(ctx, cfg, host, nil, nil, h.name)
	if err != nil {
		f.t.Fatalf("create helper %s: %v", h.name, err)
	}
	h.id = c.ID
	if err := f.cli.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
		f.t.Fatalf("start helper %s: %v", h.name, err)
	}
	return h
}

// logs are the helper's stdout lines and its stderr.
func (h *helper) logs(ctx context.Context) ([]string, string, error) {
	rc, err := h.f.cli.ContainerLogs(ctx, h.id, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return nil, "", err
	}
	defer rc.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, rc); err != nil && err != io.EOF {
		return nil, "", err
	}
	var lines []string
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, stderr.String(), nil
}

// waitLine polls the logs until a stdout line contains want; a line with
// "error", or the helper exiting, fails the test.
func (h *helper) waitLine(want string, timeout time.Duration) string {
	h.f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		lines, stderr, err := h.logs(ctx)
		for _, l := range lines {
			if strings.Contains(l, want) {
				return l
			}
			if strings.Contains(l, `"error"`) {
				h.f.t.Fatalf("%s said %s (stderr %q)", h.name, l, stderr)
			}
		}
		if in, err := h.f.cli.ContainerInspect(ctx, h.id); err == nil && in.State.Status == "exited" {
			lines, stderr, _ := h.logs(context.Background()) // all of it, now that it ended
			if i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, want) }); i >= 0 {
				return lines[i]
			}
			h.f.t.Fatalf("%s exited with code %d before saying %s: stdout %q, stderr %q", h.name, in.State.ExitCode, want, lines, stderr)
		}
		select {
		case <-ctx.Done():
			h.f.t.Fatalf("%s did not say %s within %s: last stdout %q, stderr %q, err %v", h.name, want, timeout, lines, stderr, err)
		case <-tick.C:
		}
	}
}

// wait waits for the helper to exit and returns its code and last line.
func (h *helper) wait(timeout time.Duration) (int64, string) {
	h.f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	okc, errc := h.f.cli.ContainerWait(ctx, h.id, container.WaitConditionNotRunning)
	var code int64
	select {
	case r := <-okc:
		code = r.StatusCode
	case err := <-errc:
		h.f.t.Fatalf("wait for %s: %v", h.name, err)
	}
	lines, stderr, err := h.logs(context.Background())
	if err != nil || len(lines) == 0 {
		h.f.t.Fatalf("%s (exit %d) printed nothing: %v, stderr %q", h.name, code, err, stderr)
	}
	return code, lines[len(lines)-1]
}

// kill sends sig to the helper.
func (h *helper) kill(sig string) {
	h.f.t.Helper()
	if err := h.f.cli.ContainerKill(context.Background(), h.id, sig); err != nil {
		h.f.t.Fatalf("kill -%s %s: %v", sig, h.name, err)
	}
}

// remove removes the (exited) helper now rather than at cleanup.
func (h *helper) remove() {
	h.f.cli.ContainerRemove(context.Background(), h.id, container.RemoveOptions{Force: true})
}

// oneShot runs `netfault args...` in target's namespace to its end and
// decodes its line into v; a non-zero exit fails the test.
func (f *fixture) oneShot(target *box, v any, args ...string) {
	f.t.Helper()
	h := f.start(target, nil, args...)
	code, line := h.wait(60 * time.Second)
	h.remove()
	if code != 0 {
		f.t.Fatalf("netfault %s exited %d: %s", strings.Join(args, " "), code, line)
	}
	if err := json.Unmarshal([]byte(line), v); err != nil {
		f.t.Fatalf("netfault %s printed %q: %v", args[0], line, err)
	}
}
