// End-to-end reliability tests: interrupted ups, downs and heals recover, drift is reported and repaired, project names match exactly.

package e2e

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chainOf is a chain of n link services s0 → s1 → ... with quick health
// checks; s0 publishes an engine-chosen port.
func chainOf(n int) string {
	var b strings.Builder
	b.WriteString("name: PROJECT\nvolumes:\n  data: {}\nx-health: &health {test: [\"CMD\", \"/link\", \"-health\"], interval: 500ms, timeout: 1s, retries: 3}\nservices:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  s%d: {image: chainctl/link:latest, healthcheck: *health, stop_grace_period: 2s", i)
		if i == 0 {
			b.WriteString(`, ports: ["8080"]`)
		}
		if i+1 < n {
			fmt.Fprintf(&b, ", calls: [s%d]", i+1)
		} else {
			b.WriteString(`, volumes: ["data:/data"]`)
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// interrupt starts chainctl with args, sends sig after delay, and returns
// the exit code (0 when it finished first).
func interrupt(t *testing.T, sig syscall.Signal, delay time.Duration, args ...string) int {
	t.Helper()
	cmd := exec.Command(chainctlBin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(delay, func() { _ = cmd.Process.Signal(sig) })
	defer timer.Stop()
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		if ee.ExitCode() == -1 { // killed by the signal
			return 128 + int(sig)
		}
		return ee.ExitCode()
	}
	return 0
}

// TestInterruptedUpIsRecoverable interrupts `up` of a 10-service chain at
// random moments, with SIGINT and SIGKILL: after each, either the rollback
// left nothing, or one `down` does.
func TestInterruptedUpIsRecoverable(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	path := writeTopology(t, p, chainOf(10))
	trials := 20
	if testing.Short() {
		trials = 4
	}
	rolledBack, downed := 0, 0
	for i := 0; i < trials; i++ {
		sig := syscall.SIGINT
		if i%2 == 1 {
			sig = syscall.SIGKILL
		}
		delay := time.Duration(50+rand.IntN(1500)) * time.Millisecond
		code := interrupt(t, sig, delay, "up", "-q", path)
		if sig == syscall.SIGINT && code != 130 && code != 0 {
			t.Errorf("trial %d: up after SIGINT at %s exited %d, want 130 (or 0 if it had finished)", i, delay, code)
		}
		if sig == syscall.SIGINT && code == 130 && leftovers(p) == "" {
			rolledBack++
		}
		mustChainctl(t, "down", "-q", "-p", p, "-t", "1s")
		downed++
		if left := leftovers(p); left != "" {
			t.Fatalf("trial %d (%s after %s): one down left %s", i, sig, delay, left)
		}
	}
	t.Logf("%d interrupted ups: %d rolled back to nothing by themselves, all %d cleared by one down", trials, rolledBack, downed)
}

func TestInterruptedDownAndHealAreRecoverable(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	path := writeTopology(t, p, chainOf(5))
	for i := 0; i < 3; i++ {
		mustChainctl(t, "up", "-q", path)
		mustChainctl(t, "break", "-q", "-p", p, "s2", "s3", "--mode", "remove")
		interrupt(t, syscall.SIGKILL, time.Duration(20+rand.IntN(300))*time.Millisecond, "heal", "-q", "-p", p)
		mustChainctl(t, "heal", "-q", "-p", p)
		callOK(t, p)
		interrupt(t, syscall.SIGKILL, time.Duration(20+rand.IntN(300))*time.Millisecond, "down", "-q", "-p", p)
		mustChainctl(t, "down", "-q", "-p", p)
		if left := leftovers(p); left != "" {
			t.Fatalf("round %d: down after a killed down left %s", i, left)
		}
	}
}

// TestDriftIsReportedRepairedAndRemoved changes containers behind
// chainctl's back.
func TestDriftIsReportedRepairedAndRemoved(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	path := writeTopology(t, p, fastChain)
	mustChainctl(t, "up", "-q", path)
	if err := removeRunning(p + "-c-1"); err != nil { // docker rm -f, behind chainctl's back
		t.Fatal(err)
	}
	docker(t, "volume", "rm", p+"-c-data")
	docker(t, "network", "disconnect", p+"-net", p+"-b-1")
	docker(t, "stop", "-t", "1", p+"-a-1")
	rows := ps(t, p)
	for container, want := range map[string]string{p + "-a-1": "stopped", p + "-b-1": "disconnected", p + "-c-1": "removed"} {
		if got := row(t, rows, container).Fault; got != want {
			t.Errorf("%s: fault %q, want %q", container, got, want)
		}
	}
	mustChainctl(t, "up", "-q", path)
	for _, r := range ps(t, p) {
		if r.Fault != "-" || r.Health != "healthy" {
			t.Errorf("after up: %s %s/%s", r.Container, r.Fault, r.Health)
		}
	}
	callOK(t, p)
	docker(t, "stop", "-t", "1", p+"-b-1")
	mustChainctl(t, "down", "-q", "-p", p)
	if left := leftovers(p); left != "" {
		t.Errorf("down after drift left %s", left)
	}
}

// TestProjectNamesMatchExactly: a project named like the prefix of another
// never touches it.
func TestProjectNamesMatchExactly(t *testing.T) {
	t.Parallel()
	short := newProject(t)
	long := short + "x"
	t.Cleanup(func() {
		chainctl(t, "down", "-q", "-p", long)
	})
	mustChainctl(t, "up", "-q", writeTopology(t, long, "name: PROJECT\nservices:\n  a: {image: chainctl/link:latest, healthcheck: {disable: true}}\n"))
	mustChainctl(t, "up", "-q", writeTopology(t, short, "name: PROJECT\nservices:\n  a: {image: chainctl/link:latest, healthcheck: {disable: true}}\n"))
	mustChainctl(t, "down", "-q", "-p", short)
	if state := docker(t, "inspect", "-f", "{{.State.Status}}", long+"-a-1"); state != "running" {
		t.Errorf("down of %s touched %s: %s", short, long, state)
	}
	if rows := ps(t, long); len(rows) != 1 {
		t.Errorf("ps of %s: %+v", long, rows)
	}
}
