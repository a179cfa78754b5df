// End-to-end tests of the swarm backend on a single-node swarm the test makes.

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestSwarm runs the swarm backend on a swarm the test makes itself, and
// leaves only if it made it. Its subtests run one after the other: the
// single-node case, then the same engine with a second engine joined as a
// worker.
func TestSwarm(t *testing.T) {
	needDaemon(t)
	t.Parallel()
	w := newWorkerNet(t) // the manager must advertise an address a worker can reach
	needSwarm(t, w.hostIP)
	t.Run("SingleNode", testSwarmSingleNode)
	t.Run("VirtualIPWithoutIPVS", testSwarmVIP)
	t.Run("TwoNodes", func(t *testing.T) { testSwarmTwoNodes(t, w) })
}

// needSwarm makes this engine a single-node swarm manager unless it is one,
// and in that case leaves the swarm when the test ends.
func needSwarm(t *testing.T, advertise string) {
	t.Helper()
	switch state := docker(t, "info", "--format", "{{.Swarm.LocalNodeState}}"); state {
	case "active":
		if docker(t, "info", "--format", "{{.Swarm.ControlAvailable}}") != "true" {
			t.Fatal("this engine is a swarm worker: the swarm tests need a manager or no swarm")
		}
		t.Logf("engine is already a swarm manager: using it, leaving it as it is")
		return
	case "inactive":
	default:
		t.Fatalf("swarm state %q: want inactive or active", state)
	}
	hadGWBridge := exec.Command("docker", "network", "inspect", "docker_gwbridge").Run() == nil
	t.Cleanup(func() {
		if out, err := exec.Command("docker", "swarm", "leave", "--force").CombinedOutput(); err != nil {
			t.Errorf("swarm leave: %v: %s", err, out)
		}
		if !hadGWBridge { // the swarm made it, and leaving does not remove it
			exec.Command("docker", "network", "rm", "docker_gwbridge").Run()
		}
	})
	docker(t, "swarm", "init", "--advertise-addr", advertise)
}

// swarmChain is a→b→c for a swarm: dnsrr and host-mode publishing are set
// by the command line, as this kernel has no IPVS.
const swarmChain = `name: PROJECT
volumes:
  c-data: {}
x-health: &health
  test: ["CMD", "/link", "-health"]
  interval: 500ms
  timeout: 1s
  retries: 3
services:
  a: {image: chainctl/link:latest, calls: [b], ports: ["8080"], healthcheck: *health}
  b: {image: chainctl/link:latest, calls: [c], environment: {TIMEOUT: 1s}, healthcheck: *health, stop_grace_period: 2s}
  c: {image: chainctl/link:latest, volumes: ["c-data:/data"], healthcheck: *health, stop_grace_period: 2s}
`

func testSwarmSingleNode(t *testing.T) {
	p := newProject(t)
	file := writeTopology(t, p, swarmChain)
	r := mustChainctl(t, "up", "--engine", "swarm", "--publish-mode", "host", "--endpoint-mode", "dnsrr", file)
	if !strings.Contains(r.stderr, "host IP of a 8080 is not applied") {
		t.Errorf("up did not warn that a swarm publishes on every address:\n%s", r.stderr)
	}

	// What the swarm holds, read through the docker CLI.
	label := "label=io.chainctl.project=" + p
	if got := strings.Fields(docker(t, "service", "ls", "-q", "--filter", label)); len(got) != 3 {
		t.Fatalf("services with the project's label: %v, want 3", got)
	}
	var spec struct {
		Spec struct {
			Labels       map[string]string
			UpdateConfig struct {
				Parallelism int
				Order       string
			}
			EndpointSpec struct {
				Mode  string
				Ports []struct{ PublishMode string }
			}
			TaskTemplate struct{ ContainerSpec struct{ Env []string } }
		}
	}
	if err := json.Unmarshal([]byte(docker(t, "service", "inspect", "--format", "{{json .}}", p+"-a")), &spec); err != nil {
		t.Fatal(err)
	}
	s := spec.Spec
	if s.Labels["io.chainctl.service"] != "a" || s.Labels["io.chainctl.config-hash"] == "" {
		t.Errorf("labels %v", s.Labels)
	}
	if s.UpdateConfig.Parallelism != 1 || s.EndpointSpec.Mode != "dnsrr" || len(s.EndpointSpec.Ports) != 1 || s.EndpointSpec.Ports[0].PublishMode != "host" {
		t.Errorf("update config %+v, endpoint %+v", s.UpdateConfig, s.EndpointSpec)
	}
	if env := strings.Join(s.TaskTemplate.ContainerSpec.Env, " "); !strings.Contains(env, "NEXT=b:8080") || !strings.Contains(env, "CHAINCTL_REPLICA={{.Task.Slot}}") {
		t.Errorf("env %s", env)
	}
	if net := docker(t, "network", "ls", "-q", "--filter", label, "--filter", "driver=overlay"); net == "" {
		t.Error("no overlay network with the project's label")
	}

	url := endpoint(t, p, "a")
	eventually(t, 30*time.Second, "a → b → c answers through the published port", func() (bool, string) {
		status, body, err := get(url)
		return err == nil && status == 200 && strings.Contains(body, "→ b (") && strings.Contains(body, "→ c ("), fmt.Sprint(status, body, err)
	})
	r = mustChainctl(t, "call", "-p", p)
	if !strings.Contains(r.stdout, "c ✓") {
		t.Errorf("call:\n%s", r.stdout)
	}

	// Kill c's task: the swarm starts a new one, the chain recovers by
	// itself, with a new instance of c.
	before := instanceOf(t, url, "c")
	mustChainctl(t, "break", "-p", p, "c", "--mode", "kill")
	eventually(t, 60*time.Second, "the swarm replaces the killed task and the chain answers again", func() (bool, string) {
		status, body, err := get(url)
		return err == nil && status == 200 && !strings.Contains(body, before), fmt.Sprint(status, body, err)
	})
	if tasks := docker(t, "service", "ps", "-q", p+"-c"); len(strings.Fields(tasks)) < 2 {
		t.Errorf("service ps %s-c shows %q: want the killed task and its replacement", p, tasks)
	}

	// scale-zero b: the chain breaks at b; heal scales it back.
	mustChainctl(t, "break", "-p", p, "b", "--mode", "scale-zero")
	if f := row(t, ps(t, p), p+"-b.1").Fault; f != "scaled-zero" {
		t.Errorf("ps fault of b after scale-zero: %q", f)
	}
	eventually(t, 30*time.Second, "a answers 502 naming b", func() (bool, string) {
		status, body, err := get(url)
		return err == nil && status == 502 && strings.Contains(body, "b ✗"), fmt.Sprint(status, body, err)
	})
	if r := chainctl(t, "break", "-p", p, "b", "--mode", "stop"); r.code == 0 || !strings.Contains(r.stderr, "not supported on swarm") {
		t.Errorf("break --mode stop on swarm: %s", r)
	}
	mustChainctl(t, "heal", "-p", p)
	eventually(t, 30*time.Second, "the chain answers after heal", func() (bool, string) {
		status, body, err := get(url)
		return err == nil && status == 200, fmt.Sprint(status, body, err)
	})

	// remove, then heal recreates from the recorded topology, with the
	// endpoint mode the first up was given.
	mustChainctl(t, "break", "-p", p, "c", "--mode", "remove")
	mustChainctl(t, "heal", "-p", p, "c")
	if m := docker(t, "service", "inspect", "--format", "{{.Spec.EndpointSpec.Mode}}", p+"-c"); m != "dnsrr" {
		t.Errorf("c recreated with endpoint mode %q, want the dnsrr of the first up", m)
	}
	eventually(t, 30*time.Second, "the chain answers after c is recreated", func() (bool, string) {
		status, body, err := get(url)
		return err == nil && status == 200, fmt.Sprint(status, body, err)
	})

	// logs come from the service logs.
	eventually(t, 10*time.Second, "a's request log lines in chainctl logs", func() (bool, string) {
		r := mustChainctl(t, "logs", "-p", p, "--tail", "50", "a")
		return strings.Contains(r.stdout, "a | ") && strings.Contains(r.stdout, "GET /"), r.stdout
	})

	// Network faults act on the tasks of this node: delay on c, then a
	// partition; heal undoes both.
	mustChainctl(t, "break", "-q", "-p", p, "c", "--delay", "300ms")
	if f := row(t, ps(t, p), p+"-c.1").Fault; f != "delay 300ms (relay)" {
		t.Errorf("ps fault of c after --delay on a swarm: %q", f)
	}
	eventually(t, 20*time.Second, "b's hop to take 300 ms more", func() (bool, string) {
		h, code := callJSON(t, p)
		b := h.find("b")
		return code == 0 && b != nil && b.TookMS >= 300, fmt.Sprintf("exit %d, b %+v", code, b)
	})
	mustChainctl(t, "partition", "-q", "-p", p, "a,b")
	eventually(t, 20*time.Second, "the chain to fail at c across the partition", func() (bool, string) {
		h, code := callJSON(t, p)
		return code == 1 && h.find("c") != nil && h.find("c").Error != "", fmt.Sprint(code)
	})
	if r := mustChainctl(t, "heal", "-p", p); !strings.Contains(r.stdout, "(delay 300ms)") || !strings.Contains(r.stdout, "(partition {a,b}|{c})") {
		t.Errorf("heal after network faults on a swarm: %s", r)
	}
	eventually(t, 20*time.Second, "the chain answers after heal", func() (bool, string) {
		_, code := callJSON(t, p)
		return code == 0, fmt.Sprint(code)
	})

	// An unchanged up changes nothing (the swarm bumps a service's version
	// on every update); down leaves nothing.
	version := func() string {
		return docker(t, "service", "inspect", "--format", "{{.Version.Index}}", p+"-a", p+"-b", p+"-c")
	}
	versions := version()
	if r := mustChainctl(t, "up", "-q", file); !strings.Contains(r.stdout, "running") {
		t.Errorf("second up:\n%s", r)
	}
	if after := version(); after != versions {
		t.Errorf("an unchanged up updated services: versions %q → %q", versions, after)
	}
	mustChainctl(t, "down", "-p", p)
	for _, kind := range []string{"service", "config", "network", "volume"} {
		if left := docker(t, kind, "ls", "-q", "--filter", label); left != "" {
			t.Errorf("%ss left after down: %s", kind, left)
		}
	}
}

// instanceOf returns the instance (container id) that answered for service
// in a's text reply: "... → c (0e482d034cee, dev, 2µs)".
func instanceOf(t *testing.T, url, service string) string {
	t.Helper()
	_, body, err := get(url)
	if err != nil {
		t.Fatal(err)
	}
	id := instanceIn(body, service)
	if id == "" {
		t.Fatalf("no %s in %q", service, body)
	}
	return id
}

// testSwarmVIP: with the swarm's default virtual IPs, a kernel without
// IPVS cannot route between services. chainctl says so at up, in ps and
// when a call fails; with IPVS, the chain simply answers.
func testSwarmVIP(t *testing.T) {
	p := newProject(t)
	file := writeTopology(t, p, `name: PROJECT
services:
  a: {image: chainctl/link:latest, calls: [b], ports: ["8080"], environment: {TIMEOUT: 1s}}
  b: {image: chainctl/link:latest}
`)
	up := mustChainctl(t, "up", "--engine", "swarm", "--publish-mode", "host", file)
	_, err := os.Stat("/proc/net/ip_vs")
	if ipvs := err == nil; ipvs {
		if r := chainctl(t, "call", "-p", p); r.code != 0 {
			t.Errorf("call with IPVS: %s", r)
		}
		return
	}
	if !strings.Contains(up.stderr, "b has a virtual IP, but this kernel has no IPVS") {
		t.Errorf("up did not warn about the virtual IP:\n%s", up.stderr)
	}
	if e := psRowOf(t, p, "b"); !strings.Contains(e, "without IPVS") {
		t.Errorf("ps error of b: %q", e)
	}
	r := chainctl(t, "call", "-p", p)
	if r.code != 1 || !strings.Contains(r.stderr, "hint: b has a virtual IP that this kernel cannot route") {
		t.Errorf("call: %s", r)
	}
	// Drift: a service scaled to zero behind chainctl's back is scaled
	// back by the next up.
	docker(t, "service", "scale", "-d", p+"-b=0")
	mustChainctl(t, "up", "-q", file)
	if got := docker(t, "service", "inspect", "--format", "{{.Spec.Mode.Replicated.Replicas}}", p+"-b"); got != "1" {
		t.Errorf("replicas of b after up: %s, want 1", got)
	}
}

// psRowOf returns the error column of a service's first task in ps --json.
func psRowOf(t *testing.T, project, service string) string {
	t.Helper()
	for _, r := range psNodes(t, project) {
		if r.Service == service {
			return r.Error
		}
	}
	t.Fatalf("no task of %s in ps", service)
	return ""
}
