// Tests of the command line through Run, in-process: usage errors and exit codes, flag mapping, and one project's life on the real daemon.

package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/backend"
	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/enginetest"
)

// syncBuffer is a bytes.Buffer a test may read while Run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type result struct {
	code           int
	stdout, stderr string
}

func run(ctx context.Context, args ...string) result {
	var out, errb syncBuffer
	code := Run(ctx, args, &out, &errb)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func TestUsageErrorsExitTwoWithoutTheEngine(t *testing.T) {
	// An engine that cannot answer: a usage error must be found before it is asked.
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	file := filepath.Join(t.TempDir(), "t.yaml")
	if err := os.WriteFile(file, []byte("name: t\nservices:\n  a: {image: chainctl/link:latest}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"up"}, "no topology file"},
		{[]string{"ps", "--no-such-flag"}, "unknown flag: --no-such-flag"},
		{[]string{"ps", "extra"}, `unknown command "extra"`},
		{[]string{"break"}, "requires at least 1 arg"},
		{[]string{"break", "c", "--mode", "nope"}, `--mode "nope": want one of kill, stop, pause, disconnect, remove, restart, delay, loss, rate, blackhole, reset, scale-zero`},
		{[]string{"break", "c/0"}, "replica must be a number from 1"},
		{[]string{"break", "c", "--for", "-1s"}, "--for -1s"},
		{[]string{"--progress", "bogus", "ps"}, `unknown progress mode "bogus"`},
		{[]string{"call", "--watch", "--interval", "0s"}, "--interval 0s"},
		{[]string{"export", file}, "--format is required"},
		{[]string{"export", "--format", "helm", file}, `--format "helm"`},
		{[]string{"up", "--endpoint-mode", "x", file}, `--endpoint-mode "x"`},
		{[]string{"up", "--endpoint-mode", "dnsrr", file}, "apply to --engine swarm only"},
		{[]string{"version", "now"}, `unknown command "now"`},
		{[]string{"break", "c", "--loss", "150%"}, "--loss 150%"},
		{[]string{"break", "c", "--mode", "kill", "--delay", "1s"}, "not --mode kill"},
		{[]string{"heal", "c", "--partition"}, "heal --partition takes no service"},
		{[]string{"partition"}, "requires at least 1 arg"},
		{[]string{"down", "extra"}, "unknown command \"extra\""},
		{[]string{"up", "a.yaml", "b.yaml"}, "accepts at most 1 arg(s), received 2"},
		{[]string{"nonsense"}, `unknown command "nonsense"`},
		{[]string{"up", "--wait-timeout", "soon", file}, `invalid argument "soon"`},
		{[]string{"experiment", "run"}, "accepts 1 arg(s), received 0"},
	}
	for _, c := range cases {
		r := run(context.Background(), c.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("chainctl %s: exit %d, stderr %q; want exit 2 saying %q", strings.Join(c.args, " "), r.code, r.stderr, c.want)
		}
		if strings.Contains(r.stderr, "unreachable") {
			t.Errorf("chainctl %s asked the engine: %s", strings.Join(c.args, " "), r.stderr)
		}
	}
}

func TestErrorsExitOne(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: t\nservices:\n  a:\n    image: chainctl/link:latest\n    replicas: many\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(context.Background(), "up", bad)
	if r.code != exitError || !strings.Contains(r.stderr, bad+":5:") || !strings.Contains(r.stderr, "replicas") {
		t.Errorf("up on a malformed file: %+v; want exit 1 naming %s:5 and the field", r, bad)
	}
	r = run(context.Background(), "ps", "-p", "x")
	if r.code != exitError || !strings.Contains(r.stderr, "docker daemon unreachable at unix:///nonexistent/docker.sock") || !strings.Contains(r.stderr, "check DOCKER_HOST") {
		t.Errorf("ps on an unreachable engine: %+v", r)
	}
}

func TestHelpListsEveryBackendsModes(t *testing.T) {
	r := run(context.Background(), "break", "--help")
	if r.code != exitOK {
		t.Fatalf("break --help: %+v", r)
	}
	for _, kind := range engine.Kinds {
		for _, m := range backend.Modes(kind) {
			if !strings.Contains(r.stdout, m.Name) || !strings.Contains(r.stdout, m.Help) {
				t.Errorf("break --help lacks %s mode %s (%s):\n%s", kind, m.Name, m.Help, r.stdout)
			}
		}
	}
	if r := run(context.Background(), "version"); r.code != exitOK || !strings.HasPrefix(r.stdout, "chainctl ") {
		t.Errorf("version: %+v", r)
	}
}

const oneService = `name: PROJECT
services:
  a:
    image: chainctl/link:latest
    ports: ["8080"]
    healthcheck: {test: ["CMD", "/link", "-health"], interval: 500ms, timeout: 1s, retries: 3}
`

// psRows runs ps --json and decodes it.
func psRows(t *testing.T, args ...string) []engine.ContainerStatus {
	t.Helper()
	r := run(context.Background(), append([]string{"ps", "--json"}, args...)...)
	var rows []engine.ContainerStatus
	if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &rows) != nil {
		t.Fatalf("ps --json: %+v", r)
	}
	return rows
}

// One project through Run against the real daemon: the flags reach the
// engine, $CHAINCTL_PROJECT picks the project, --for heals after Ctrl-C
// and exits 130.
func TestOneProjectThroughRun(t *testing.T) {
	_, cli := enginetest.Daemon(t)
	project := enginetest.Project(t)
	t.Cleanup(func() {
		if r := run(context.Background(), "down", "-q", "-p", project, "-t", "0s"); r.code != exitOK {
			t.Errorf("cleanup down: %+v", r)
		}
		enginetest.AssertNothingLeft(t, cli, project)
	})
	file := filepath.Join(t.TempDir(), "one.yaml")
	if err := os.WriteFile(file, []byte(strings.ReplaceAll(oneService, "PROJECT", project)), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(context.Background(), "up", "-q", file, "--wait-timeout", "30s"); r.code != exitOK || !strings.Contains(r.stdout, project+"-a-1") {
		t.Fatalf("up: %+v", r)
	}
	t.Setenv("CHAINCTL_PROJECT", project)
	rows := psRows(t)
	if len(rows) != 1 || rows[0].Health != "healthy" || len(rows[0].Endpoints) != 1 || !strings.HasPrefix(rows[0].Endpoints[0], "http://127.0.0.1:") {
		t.Fatalf("ps via $CHAINCTL_PROJECT: %+v", rows)
	}
	if r := run(context.Background(), "break", "-q", "a", "--mode", "pause"); r.code != exitOK || !strings.Contains(r.stdout, "broke "+project+"-a-1 (pause)") {
		t.Fatalf("break: %+v", r)
	}
	if rows := psRows(t, "-f", file); rows[0].Fault != engine.FaultPaused {
		t.Errorf("after break --mode pause, ps -f: fault %q", rows[0].Fault)
	}
	if r := run(context.Background(), "heal", "-q"); r.code != exitOK || !strings.Contains(r.stdout, "healed "+project+"-a-1 (paused)") {
		t.Fatalf("heal: %+v", r)
	}
	// break --for, interrupted once the fault is in: it heals at once and exits 130.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	code := make(chan int, 1)
	go func() { code <- Run(ctx, []string{"break", "-q", "a", "--mode", "stop", "--for", "1h"}, &out, &errb) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(errb.String(), "healing in 1h0m0s") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // polling Run's output, with a deadline
	}
	cancel()
	if c := <-code; c != exitInterrupted || !strings.Contains(out.String(), "healed "+project+"-a-1 (stopped)") {
		t.Errorf("break --for interrupted: exit %d, stdout %q, stderr %q; want 130 and the heal", c, out.String(), errb.String())
	}
	if rows := psRows(t); rows[0].Fault != engine.FaultNone || rows[0].State != "running" {
		t.Errorf("after the interrupted break --for: %+v", rows[0])
	}
}
