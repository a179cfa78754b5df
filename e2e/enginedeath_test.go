// End-to-end test of the engine killed -9 under a running chain, on a private dockerd of the test's own.

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/enginetest"
	"github.com/chainctl/chainctl/internal/link"
)

// TestEngineDies kills the project's engine with SIGKILL under a running
// chain, starts it again with the same flags, and shows that ps tells the
// truth, heal brings the chain back with its volume's data, and down leaves
// nothing. (The same kill during an up is not here yet: see RELIABILITY.md,
// "Not covered yet".)
func TestEngineDies(t *testing.T) {
	e := newPrivateEngine(t)
	t.Run("UnderARunningChain", func(t *testing.T) { testEngineDiesUnderARunningChain(t, e) })
	t.Run("DuringUp", func(t *testing.T) { testEngineDiesDuringUp(t, e) })
}

// restartingChain is fastChain with a restart policy on every service and
// a's port published on the namespace's address, which the host reaches.
func restartingChain(e *privateEngine) string {
	s := strings.ReplaceAll(fastChain, "image: chainctl/link:latest,", "image: chainctl/link:latest, restart: unless-stopped,")
	return strings.Replace(s, `ports: ["8080"]`, `ports: ["`+e.w.workerIP+`::8080"]`, 1)
}

func (e *privateEngine) chainctl(t *testing.T, args ...string) result {
	t.Helper()
	return chainctlEnv(t, e.env(), args...)
}

func (e *privateEngine) mustChainctl(t *testing.T, args ...string) result {
	t.Helper()
	r := e.chainctl(t, args...)
	if r.code != 0 {
		t.Fatalf("chainctl %s (on the private engine): %s", strings.Join(args, " "), r)
	}
	return r
}

func (e *privateEngine) running() bool {
	select {
	case err := <-e.exited:
		e.exited <- err
		return false
	default:
		return true
	}
}

// newProject is newProject for this engine: the teardown and the check
// that nothing is left run against it.
func (e *privateEngine) newProject(t *testing.T) string {
	t.Helper()
	p := enginetest.Project(t)
	t.Cleanup(func() {
		if !e.running() {
			t.Logf("cleanup: the private engine is down; its data root goes with it")
			return
		}
		if r := e.chainctl(t, "down", "-q", "-p", p, "-t", "1s"); r.code != 0 {
			t.Errorf("cleanup down: %s", r)
		}
		if left := e.leftovers(p); left != "" {
			t.Errorf("project %s left behind on the private engine: %s", p, left)
		}
	})
	return p
}

// chainAnswers waits until `chainctl call` answers a → b → c with 200 at every hop.
func (e *privateEngine) chainAnswers(t *testing.T, p string, within time.Duration) {
	t.Helper()
	eventually(t, within, "a → b → c answers 200 through chainctl call", func() (bool, string) {
		r := e.chainctl(t, "call", "-p", p, "--json", "--timeout", "3s")
		var n link.Node
		if err := json.Unmarshal([]byte(r.stdout), &n); err != nil {
			return false, r.String()
		}
		hops := []string{}
		for cur := &n; cur != nil; {
			hops = append(hops, fmt.Sprintf("%s:%d", cur.Service, cur.Status))
			if len(cur.Calls) == 0 {
				break
			}
			cur = cur.Calls[0]
		}
		return r.code == 0 && strings.Join(hops, " ") == "a:200 b:200 c:200", strings.Join(hops, " ") + "\n" + r.String()
	})
}

// dockerStates is name → state of the project's containers, as the docker CLI sees them.
func (e *privateEngine) dockerStates(t *testing.T, p string) map[string]string {
	t.Helper()
	out := e.docker(t, "ps", "-a", "--filter", "label=io.chainctl.project="+p, "--format", "{{.Names}} {{.State}}")
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if name, state, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			m[name] = state
		}
	}
	return m
}

// psTellsTheTruth waits for a moment when the engine holds still (two
// docker ps -a around one chainctl ps agree) and checks that chainctl ps
// shows every container in the state docker shows, and no other. It
// returns those states.
func (e *privateEngine) psTellsTheTruth(t *testing.T, p string) map[string]string {
	t.Helper()
	var states map[string]string
	eventually(t, 30*time.Second, "a still engine to compare chainctl ps with", func() (bool, string) {
		before := e.dockerStates(t, p)
		r := e.chainctl(t, "ps", "-p", p, "--json")
		after := e.dockerStates(t, p)
		if fmt.Sprint(before) != fmt.Sprint(after) {
			return false, fmt.Sprintf("docker ps -a changed: %v → %v", before, after)
		}
		if r.code != 0 {
			t.Fatalf("chainctl ps after the engine came back: %s", r)
		}
		var rows []psRow
		if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
			t.Fatalf("ps --json: %v\n%s", err, r.stdout)
		}
		shown := map[string]string{}
		for _, row := range rows {
			if row.State != "missing" {
				shown[row.Container] = row.State
			}
		}
		if fmt.Sprint(shown) != fmt.Sprint(after) {
			t.Fatalf("chainctl ps shows %v, docker ps -a shows %v\n%s", shown, after, r.stdout)
		}
		states = after
		return true, ""
	})
	return states
}

// restartAfterKill kills the engine, starts it again and says how long it took to answer.
func (e *privateEngine) restartAfterKill(t *testing.T) time.Duration {
	t.Helper()
	e.kill9(t)
	began := time.Now()
	e.start(t)
	took := time.Since(began)
	t.Logf("the private engine answers again %s after kill -9", took.Round(10*time.Millisecond))
	return took
}

func testEngineDiesUnderARunningChain(t *testing.T, e *privateEngine) {
	p := e.newProject(t)
	file := writeTopology(t, p, restartingChain(e))
	e.mustChainctl(t, "up", "-q", "--wait-timeout", "60s", file)
	e.chainAnswers(t, p, 20*time.Second)

	// The link image has no shell: docker cp into the volume's mount path
	// writes into the volume.
	marker := "written before the engine died " + randomSuffix()
	src := filepath.Join(t.TempDir(), "marker")
	if err := os.WriteFile(src, []byte(marker), 0o644); err != nil {
		t.Fatal(err)
	}
	c := p + "-c-1"
	e.docker(t, "cp", src, c+":/data/marker")
	ids := e.docker(t, "ps", "-aq", "--no-trunc", "--filter", "label=io.chainctl.project="+p)

	e.restartAfterKill(t)
	states := e.psTellsTheTruth(t, p)
	t.Logf("after the restart: %v", states)
	if ids2 := e.docker(t, "ps", "-aq", "--no-trunc", "--filter", "label=io.chainctl.project="+p); ids2 != ids {
		t.Errorf("the engine came back with other containers:\n%s\nwant:\n%s", ids2, ids)
	}

	r := e.mustChainctl(t, "heal", "-p", p, "--wait-timeout", "60s")
	t.Logf("heal after the restart:\n%s%s", r.stdout, r.stderr)
	e.chainAnswers(t, p, 20*time.Second)
	e.psTellsTheTruth(t, p)

	dst := t.TempDir()
	e.docker(t, "cp", c+":/data/marker", dst)
	if got, err := os.ReadFile(filepath.Join(dst, "marker")); err != nil || string(got) != marker {
		t.Errorf("c's volume after the engine died: %q, %v; want %q", got, err, marker)
	}

	e.mustChainctl(t, "down", "-p", p)
	if left := e.leftovers(p); left != "" {
		t.Errorf("down after the engine died left: %s", left)
	}
}

func testEngineDiesDuringUp(t *testing.T, e *privateEngine) {
	p := e.newProject(t)
	file := writeTopology(t, p, restartingChain(e))
	up := exec.Command(chainctlBin, "up", "--wait-timeout", "60s", file)
	up.Env = append(os.Environ(), e.env()...)
	var out, errb bytes.Buffer
	up.Stdout, up.Stderr = &out, &errb
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- up.Wait() }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			up.Process.Kill() // only when the test failed while it ran
			<-exited
		}
	})
	label := "label=io.chainctl.project=" + p
	eventually(t, 30*time.Second, "up creates its first container", func() (bool, string) {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("up ended (%v) before it created a container:\n%s%s", err, out.String(), errb.String())
		default:
		}
		cs, err := exec.Command("docker", "-H", "unix://"+e.w.sock, "ps", "-aq", "--filter", label).Output()
		return err == nil && len(bytes.TrimSpace(cs)) > 0, string(cs)
	})
	e.kill9(t)
	began := time.Now()
	var upErr error
	select {
	case upErr = <-exited:
		exited <- upErr
	case <-time.After(60 * time.Second):
		t.Fatalf("up still runs 60s after its engine died:\n%s%s", out.String(), errb.String())
	}
	code := up.ProcessState.ExitCode()
	t.Logf("up ended %s after the engine died: %v\nstdout:\n%s\nstderr:\n%s", time.Since(began).Round(10*time.Millisecond), upErr, out.String(), errb.String())
	if code != 1 {
		t.Errorf("up whose engine died: exit %d, want 1", code)
	}

	e.start(t)
	t.Logf("after the restart: %v", e.psTellsTheTruth(t, p))
	r := e.mustChainctl(t, "up", "--wait-timeout", "60s", file)
	t.Logf("the next up:\n%s%s", r.stdout, r.stderr)
	e.chainAnswers(t, p, 20*time.Second)
	states := e.psTellsTheTruth(t, p)
	names := make([]string, 0, len(states))
	for name, state := range states {
		names = append(names, name)
		if state != "running" {
			t.Errorf("%s is %s after the next up", name, state)
		}
	}
	slices.Sort(names)
	if want := []string{p + "-a-1", p + "-b-1", p + "-c-1"}; !slices.Equal(names, want) {
		t.Errorf("containers after the next up: %v, want %v", names, want)
	}

	e.mustChainctl(t, "down", "-p", p)
	if left := e.leftovers(p); left != "" {
		t.Errorf("down after the engine died during up left: %s", left)
	}
}
