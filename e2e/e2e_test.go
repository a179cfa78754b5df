// Package e2e runs the built chainctl binary against the real Docker daemon.
// Every test has its own project and removes what it made, even when it
// fails; a daemon that does not answer fails the run, it never skips it.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/enginetest"
)

var chainctlBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // every test here skips itself under -short
	}
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: the Docker daemon does not answer (%v): %s\nstart it, or run `go test -short ./...` for the unit tests only\n", err, out)
		os.Exit(1)
	}
	for _, img := range []string{"chainctl/link:latest", "chainctl/netfault:latest"} {
		if err := exec.Command("docker", "image", "inspect", img).Run(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: image %s is missing: run `make image`\n", img)
			os.Exit(1)
		}
	}
	dir, err := os.MkdirTemp("", "chainctl-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	chainctlBin = filepath.Join(dir, "chainctl")
	build := exec.Command("go", "build", "-o", chainctlBin, "./cmd/chainctl")
	build.Dir = ".."
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: build chainctl: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one chainctl run printed and how it exited.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// chainctl runs the binary with args and a generous deadline.
func chainctl(t *testing.T, args ...string) result {
	t.Helper()
	return chainctlEnv(t, nil, args...)
}

func chainctlEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runChainctl(t, "", 2*time.Minute, env, args...)
}

// runChainctl runs the binary from dir ("": the test's own), with env
// added to the test's environment, within the deadline.
func runChainctl(t *testing.T, dir string, within time.Duration, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	cmd := exec.CommandContext(ctx, chainctlBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// mustChainctl runs chainctl and fails the test unless it exits 0.
func mustChainctl(t *testing.T, args ...string) result {
	t.Helper()
	r := chainctl(t, args...)
	if r.code != 0 {
		t.Fatalf("chainctl %s: %s", strings.Join(args, " "), r)
	}
	return r
}

func needDaemon(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: not run under -short")
	}
}

// newProject gives the test a project name of its own and registers, before
// anything is created, the teardown and the check that nothing is left.
func newProject(t *testing.T) string {
	t.Helper()
	needDaemon(t)
	p := enginetest.Project(t)
	t.Cleanup(func() {
		if r := chainctl(t, "down", "-q", "-p", p, "-t", "1s"); r.code != 0 {
			t.Errorf("cleanup down: %s", r)
		}
		if left := leftovers(p); left != "" {
			t.Errorf("project %s left behind: %s", p, left)
			forceRemove(p)
		}
	})
	return p
}

func randomSuffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// leftovers lists, through the docker CLI, anything carrying the label.
func leftovers(project string) string {
	label := "label=io.chainctl.project=" + project
	var left []string
	for _, args := range [][]string{
		{"ps", "-aq", "--filter", label},
		{"network", "ls", "-q", "--filter", label},
		{"volume", "ls", "-q", "--filter", label},
		{"service", "ls", "-q", "--filter", label}, // an error (no output) unless a swarm manager
		{"config", "ls", "-q", "--filter", label},
	} {
		out, _ := exec.Command("docker", args...).Output()
		if s := strings.TrimSpace(string(out)); s != "" {
			left = append(left, args[0]+": "+strings.ReplaceAll(s, "\n", " "))
		}
	}
	return strings.Join(left, "; ")
}

// removeRunning removes containers as `docker rm -f -v` would, in the
// order that never takes dockerd 20.10 down: stopped (SIGKILL), their
// health probes' execs gone (5 s at most), then removed. Removing a running
// container at once while one of its probes starts can panic the daemon
// (RELIABILITY.md), and every test shares it.
func removeRunning(ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	_ = exec.Command("docker", append([]string{"stop", "-t", "0"}, ids...)...).Run()
	deadline := time.Now().Add(5 * time.Second)
	for _, id := range ids {
		for time.Now().Before(deadline) {
			out, err := exec.Command("docker", "inspect", "-f", "{{len .ExecIDs}}", id).Output()
			if err != nil || strings.TrimSpace(string(out)) == "0" {
				break
			}
			time.Sleep(50 * time.Millisecond) // polling, to a deadline
		}
	}
	if out, err := exec.Command("docker", append([]string{"rm", "-f", "-v"}, ids...)...).CombinedOutput(); err != nil {
		return fmt.Errorf("docker rm: %v: %s", err, out)
	}
	return nil
}

func forceRemove(project string) {
	label := "label=io.chainctl.project=" + project
	for _, kind := range [][]string{{"service", "ls", "-q"}, {"config", "ls", "-q"}, {"ps", "-aq"}, {"network", "ls", "-q"}, {"volume", "ls", "-q"}} {
		out, _ := exec.Command("docker", append(kind, "--filter", label)...).Output()
		for _, id := range strings.Fields(string(out)) {
			switch kind[0] {
			case "ps":
				_ = removeRunning(id)
			case "network":
				exec.Command("docker", "network", "rm", id).Run()
			case "volume":
				exec.Command("docker", "volume", "rm", "-f", id).Run()
			case "service", "config":
				exec.Command("docker", kind[0], "rm", id).Run()
			}
		}
	}
}

func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// writeTopology writes yaml (with %s for the project name) to a temp file.
func writeTopology(t *testing.T, project, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), project+".yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(yaml, "PROJECT", project)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fastChain is a→b→c with an engine-chosen host port on a and quick
// healthchecks, so tests run in parallel without port clashes.
const fastChain = `name: PROJECT
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

// psRow is one object of `chainctl ps --json`.
type psRow struct {
	Service   string   `json:"service"`
	Replica   int      `json:"replica"`
	Container string   `json:"container"`
	ID        string   `json:"id"`
	State     string   `json:"state"`
	Health    string   `json:"health"`
	Ports     []string `json:"ports"`
	Endpoints []string `json:"endpoints"`
	Fault     string   `json:"fault"`
}

func ps(t *testing.T, project string) []psRow {
	t.Helper()
	r := mustChainctl(t, "ps", "-p", project, "--json")
	var rows []psRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("ps --json: %v\n%s", err, r.stdout)
	}
	return rows
}

func row(t *testing.T, rows []psRow, container string) psRow {
	t.Helper()
	for _, r := range rows {
		if r.Container == container {
			return r
		}
	}
	t.Fatalf("no row for %s in %+v", container, rows)
	return psRow{}
}

// endpoint is the published URL of a service, read back from ps.
func endpoint(t *testing.T, project, service string) string {
	t.Helper()
	for _, r := range ps(t, project) {
		if r.Service == service && len(r.Endpoints) > 0 {
			return r.Endpoints[0]
		}
	}
	t.Fatalf("service %s of %s publishes nothing", service, project)
	return ""
}

// get returns the status and body of one GET.
func get(url string) (int, string, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := ""
	for {
		ok, seen := cond()
		if ok {
			return
		}
		last = seen
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; last seen: %s", what, within, last)
		}
		time.Sleep(100 * time.Millisecond) // polling interval under the deadline above
	}
}

// freePort returns a loopback port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
