// End-to-end tests of events: a kill's die event then chainctl's heal record, live and replayed, and never another project's.

package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// eventLine is one object of `chainctl events --json`.
type eventLine struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`
	Name    string    `json:"name"`
	Action  string    `json:"action"`
	Detail  string    `json:"detail"`
	Service string    `json:"service"`
	ID      string    `json:"id"`
}

// eventLines parses every complete line of events --json output.
func eventLines(t *testing.T, out string) []eventLine {
	t.Helper()
	var es []eventLine
	lines := strings.Split(out, "\n")
	for _, line := range lines[:len(lines)-1] { // the last is not written whole yet, or ""
		if line == "" {
			continue
		}
		var e eventLine
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("events --json printed a line that is not JSON: %q: %v", line, err)
		}
		es = append(es, e)
	}
	return es
}

// find is the index of the first event matching, -1 if none.
func find(es []eventLine, kind, name, action string) int {
	for i, e := range es {
		if e.Kind == kind && e.Name == name && e.Action == action {
			return i
		}
	}
	return -1
}

// Two projects broken at once: the first's events show its container's die
// (SIGKILL: exit code 137), then chainctl's break and heal records, and
// nothing of the second; Ctrl-C ends the stream with exit 0, and a bounded
// replay afterwards still has both records (kept on the engine).
func TestEventsShowTheKillAndTheHealOfOneProjectOnly(t *testing.T) {
	t.Parallel()
	p, other := newProject(t), newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	mustChainctl(t, "up", "-q", writeTopology(t, other, fastChain))
	since := time.Now().Add(-100 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	cmd, out, errb := covStart(t, "events", "--json", "-p", p, "--since", since)

	broke := make(chan result, 1)
	go func() { broke <- chainctl(t, "break", "-q", "-p", other, "c", "--mode", "kill") }()
	mustChainctl(t, "break", "-q", "-p", p, "c", "--mode", "kill")
	if r := <-broke; r.code != 0 {
		t.Fatalf("break %s: %s", other, r)
	}
	mustChainctl(t, "heal", "-q", "-p", other)
	mustChainctl(t, "heal", "-q", "-p", p)
	c := p + "-c-1"
	eventually(t, 20*time.Second, "the heal record of "+c+" in events", func() (bool, string) {
		return find(eventLines(t, out.String()), "chainctl", c, "heal") >= 0, out.String() + errb.String()
	})
	code, took := covInterrupt(t, cmd, 5*time.Second)
	if code != 0 || took > 2*time.Second {
		t.Errorf("events after SIGINT: exit %d in %s, want 0 within 2s; stderr: %s", code, took, errb.String())
	}
	es := eventLines(t, out.String())
	kill, die, brk, heal := find(es, "container", c, "kill"), find(es, "container", c, "die"), find(es, "chainctl", c, "break"), find(es, "chainctl", c, "heal")
	if kill < 0 || die < 0 || brk < 0 || heal < 0 || !(kill < die && die < heal && brk < heal) {
		t.Fatalf("want kill, die, break then heal of %s; got kill %d, die %d, break %d, heal %d:\n%s", c, kill, die, brk, heal, out.String())
	}
	if es[die].Detail != "exit code 137" || es[die].Service != "c" || es[brk].Detail != "kill SIGKILL" || es[heal].Detail != "killed" {
		t.Errorf("die %+v, break %+v, heal %+v", es[die], es[brk], es[heal])
	}
	for _, e := range es {
		if strings.Contains(e.Name+e.Detail+e.ID, other) {
			t.Errorf("project %s's event among %s's: %+v", other, p, e)
		}
		if e.Time.IsZero() || e.Kind == "" || e.Action == "" || e.Name == "" {
			t.Errorf("event with a field missing: %+v", e)
		}
	}
	for i := 1; i < len(es); i++ {
		if es[i].Time.Before(es[i-1].Time.Add(-time.Second)) {
			t.Errorf("event %d (%s) is far before the one above it (%s)", i, es[i].Time, es[i-1].Time)
		}
	}

	// A bounded window ends by itself; the records come from the engine
	// whatever it still keeps of its own events.
	r := mustChainctl(t, "events", "--json", "-p", p, "--since", since, "--until", time.Now().UTC().Format(time.RFC3339Nano))
	replayed := eventLines(t, r.stdout)
	if b, h := find(replayed, "chainctl", c, "break"), find(replayed, "chainctl", c, "heal"); b < 0 || h < b {
		t.Errorf("replay: break %d, heal %d:\n%s", b, h, r.stdout)
	}
	human := mustChainctl(t, "events", "-p", p, "--since", since, "--until", "0s")
	if !strings.Contains(human.stdout, "  chainctl   "+c+" ") || !strings.Contains(human.stdout, "  heal ") {
		t.Errorf("human lines:\n%s", human.stdout)
	}
	if bad := chainctl(t, "events", "-p", p, "--since", "yesterday"); bad.code != 2 || !strings.Contains(bad.stderr, "--since") {
		t.Errorf("events --since yesterday: %s", bad)
	}
}
