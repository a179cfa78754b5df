// End-to-end tests of up and down on the flagship chain: convergence, rollback, port clashes, Ctrl-C, foreign containers, replicas, logs and ls.

package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFlagshipChain walks the README's main path on topologies/abc.yaml
// itself (the only test that uses its fixed host port 8080).
func TestFlagshipChain(t *testing.T) {
	p := newProject(t)
	up := mustChainctl(t, "up", "-p", p, "--progress", "plain", "../topologies/abc.yaml")
	if !strings.Contains(up.stdout, "http://127.0.0.1:8080") {
		t.Errorf("up summary lacks the endpoint:\n%s", up.stdout)
	}
	status, body, err := get("http://127.0.0.1:8080/")
	if err != nil || status != 200 {
		t.Fatalf("GET / = %d %q %v", status, body, err)
	}
	if !strings.HasPrefix(body, "a (") || !strings.Contains(body, "→ b (") || !strings.Contains(body, "→ c (") {
		t.Errorf("body = %q, want a → b → c", body)
	}
	rows := ps(t, p)
	if len(rows) != 3 {
		t.Fatalf("ps: %+v", rows)
	}
	ids := map[string]string{}
	for _, r := range rows {
		if r.State != "running" || r.Health != "healthy" || r.Fault != "-" {
			t.Errorf("%s: %s/%s/%s", r.Container, r.State, r.Health, r.Fault)
		}
		ids[r.Container] = r.ID
	}

	// Security defaults, through the engine.
	inspect := docker(t, "inspect", p+"-a-1", "--format",
		"{{.Config.User}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.Privileged}} {{.HostConfig.CapDrop}} {{.HostConfig.SecurityOpt}} {{(index (index .HostConfig.PortBindings \"8080/tcp\") 0).HostIp}}")
	if inspect != "65534:65534 true false [ALL] [no-new-privileges] 127.0.0.1" {
		t.Errorf("a's security settings: %s", inspect)
	}

	mustChainctl(t, "up", "-q", "-p", p, "../topologies/abc.yaml")
	for _, r := range ps(t, p) {
		if ids[r.Container] != r.ID {
			t.Errorf("second up recreated %s", r.Container)
		}
	}

	src, err := os.ReadFile("../topologies/abc.yaml")
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(src), "    calls: [c]\n", "    calls: [c]\n    environment: {VERSION: \"2\"}\n", 1)
	path := writeTopology(t, p, changed)
	mustChainctl(t, "up", "-q", "-p", p, path)
	for _, r := range ps(t, p) {
		same := ids[r.Container] == r.ID
		if r.Service == "b" && same {
			t.Error("b changed but was not recreated")
		}
		if r.Service != "b" && !same {
			t.Errorf("%s did not change but was recreated", r.Container)
		}
	}
	mustChainctl(t, "down", "-p", p)
	if left := leftovers(p); left != "" {
		t.Errorf("down left: %s", left)
	}
	mustChainctl(t, "down", "-p", p) // twice is fine
}

func TestPortInUseNamesThePort(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	path := writeTopology(t, p, fmt.Sprintf("name: PROJECT\nservices:\n  a: {image: chainctl/link:latest, ports: [\"%d:8080\"]}\n", port))
	r := chainctl(t, "up", "-q", path)
	if r.code != 1 || !strings.Contains(r.stderr, fmt.Sprintf("127.0.0.1:%d", port)) || !strings.Contains(r.stderr, "already in use") {
		t.Errorf("want exit 1 naming the port: %s", r)
	}
	if left := leftovers(p); left != "" {
		t.Errorf("a failed pre-flight created: %s", left)
	}
}

func TestMissingImageSaysHowToBuild(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	path := writeTopology(t, p, "name: PROJECT\nservices:\n  a: {image: chainctl/link-nope:latest}\n")
	r := chainctl(t, "up", "-q", path)
	if r.code != 1 || !strings.Contains(r.stderr, "chainctl/link-nope:latest") || !strings.Contains(r.stderr, "make image") {
		t.Errorf("want exit 1 naming the image and `make image`: %s", r)
	}
	if left := leftovers(p); left != "" {
		t.Errorf("created: %s", left)
	}
}

func TestServiceThatExitsIsRolledBack(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	path := writeTopology(t, p, strings.Replace(fastChain, "  b: {image: chainctl/link:latest,", "  b: {image: chainctl/link:latest, command: [\"-no-such-flag\"],", 1))
	r := chainctl(t, "up", "-q", path)
	if r.code != 1 || !strings.Contains(r.stderr, "service b") || !strings.Contains(r.stderr, "exited with code 2") {
		t.Errorf("want exit 1 naming b and its exit code: %s", r)
	}
	if left := leftovers(p); left != "" {
		t.Errorf("not rolled back: %s", left)
	}
}

// startUp runs `chainctl up` in the background and waits until the project
// has at least one container, so an interrupt lands mid-way.
func startUp(t *testing.T, project, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(chainctlBin, "up", "-q", path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "a container exists", func() (bool, string) {
		out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=io.chainctl.project="+project).Output()
		return strings.TrimSpace(string(out)) != "", "none yet"
	})
	return cmd
}

func TestCtrlCDuringUpRollsBack(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	cmd := startUp(t, p, writeTopology(t, p, fastChain))
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 130 {
		t.Errorf("exit %d after SIGINT, want 130", code)
	}
	if left := leftovers(p); left != "" {
		t.Errorf("not rolled back after Ctrl-C: %s", left)
	}
}

func TestDownAfterKilledUp(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	cmd := startUp(t, p, writeTopology(t, p, fastChain))
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	mustChainctl(t, "down", "-q", "-p", p)
	if left := leftovers(p); left != "" {
		t.Errorf("down after SIGKILLed up left: %s", left)
	}
}

func TestForeignContainerIsNeverTouched(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	foreign := p + "-a-1"
	t.Cleanup(func() { _ = removeRunning(foreign) })
	docker(t, "run", "-d", "--no-healthcheck", "--name", foreign, "--label", "io.chainctl.test="+p, "chainctl/link:latest")
	r := chainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	if r.code != 1 || !strings.Contains(r.stderr, foreign) || !strings.Contains(r.stderr, "does not belong to project") {
		t.Errorf("want a name clash naming %s: %s", foreign, r)
	}
	mustChainctl(t, "down", "-q", "-p", p)
	if state := docker(t, "inspect", "-f", "{{.State.Status}}", foreign); state != "running" {
		t.Errorf("foreign container is %s, want untouched and running", state)
	}
}

func TestReplicasAnswerFromDistinctInstances(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	path := writeTopology(t, p, `name: PROJECT
services:
  front: {image: chainctl/link:latest, calls: [b], ports: ["8080"]}
  b: {image: chainctl/link:latest, replicas: 3}
`)
	mustChainctl(t, "up", "-q", path)
	url := endpoint(t, p, "front") + "/?format=json"
	seen := map[string]bool{}
	eventually(t, 30*time.Second, "3 distinct b instances answer", func() (bool, string) {
		_, body, err := get(url)
		if err != nil {
			return false, err.Error()
		}
		var tree struct {
			Calls []struct {
				Instance string `json:"instance"`
			} `json:"calls"`
		}
		if json.Unmarshal([]byte(body), &tree) == nil && len(tree.Calls) == 1 {
			seen[tree.Calls[0].Instance] = true
		}
		return len(seen) == 3, fmt.Sprint(seen)
	})
}

func TestLogsLsAndOrphans(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	path := writeTopology(t, p, fastChain)
	mustChainctl(t, "up", "-q", path)
	_, _, _ = get(endpoint(t, p, "a") + "/")
	// Log lines reach the engine asynchronously (the link service flushes
	// its request log in batches): poll for b's line.
	eventually(t, 10*time.Second, "b's request log line in chainctl logs", func() (bool, string) {
		logs := mustChainctl(t, "logs", "-p", p, "b")
		ok := strings.Contains(logs.stdout, "b-1 | ") && strings.Contains(logs.stdout, "GET /?format=json 200")
		return ok, logs.stdout
	})
	ls := mustChainctl(t, "ls", "--json")
	if !strings.Contains(ls.stdout, `"name":"`+p+`"`) {
		t.Errorf("ls lacks %s: %s", p, ls.stdout)
	}
	// Drop c (and b's call to it): c becomes an orphan.
	noC := strings.Replace(strings.Replace(fastChain, "  c: {image: chainctl/link:latest, volumes: [\"c-data:/data\"], healthcheck: *health, stop_grace_period: 2s}\n", "", 1), "calls: [c], ", "", 1)
	r := mustChainctl(t, "up", "-q", writeTopology(t, p, noC))
	if !strings.Contains(r.stderr, "not in") || !strings.Contains(r.stderr, "c") {
		t.Errorf("orphan c not reported: %s", r)
	}
	mustChainctl(t, "up", "-q", "--remove-orphans", writeTopology(t, p, noC))
	for _, row := range ps(t, p) {
		if row.Service == "c" {
			t.Errorf("orphan c still there: %+v", row)
		}
	}
}

func TestBadTopologyCreatesNothing(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	path := writeTopology(t, p, "name: PROJECT\nservices:\n  a:\n    image: chainctl/link:latest\n    ports: [\"80800:80\"]\n")
	r := chainctl(t, "up", path)
	if r.code != 1 || !strings.Contains(r.stderr, path+":5: services.a.ports[0]") {
		t.Errorf("want file:line: field: %s", r)
	}
	if left := leftovers(p); left != "" {
		t.Errorf("created: %s", left)
	}
}

func TestUnreachableDaemonFailsFast(t *testing.T) {
	t.Parallel()
	needDaemon(t)
	start := time.Now()
	r := chainctlEnv(t, []string{"DOCKER_HOST=unix:///nonexistent/docker.sock"}, "ps", "-p", "x")
	if r.code != 1 || !strings.Contains(r.stderr, "docker daemon unreachable") || !strings.Contains(r.stderr, "DOCKER_HOST") {
		t.Errorf("want a clear unreachable error: %s", r)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s", took)
	}
}

func TestTwoUpsOfOneProjectAtOnce(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	path := writeTopology(t, p, fastChain)
	var firstErr strings.Builder
	first := exec.Command(chainctlBin, "up", "-q", path)
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	second := chainctl(t, "up", "-q", path)
	err := first.Wait()
	// One may lose the race and say who holds the project, or they run one
	// after the other and converge: never both fail, never two of anything.
	const busy = "is being changed by another chainctl (pid"
	if second.code != 0 && !strings.Contains(second.stderr, busy) {
		t.Errorf("second up: %s", second)
	}
	if err != nil && !strings.Contains(firstErr.String(), busy) {
		t.Errorf("first up: %v: %s", err, firstErr.String())
	}
	if err != nil && second.code != 0 {
		t.Error("both ups failed")
	}
	if n := len(strings.Fields(docker(t, "ps", "-aq", "--filter", "label=io.chainctl.project="+p))); n != 3 {
		t.Errorf("%d containers, want 3", n)
	}
}
