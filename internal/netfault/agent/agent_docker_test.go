// Tests of the helper against the real daemon: each fault applied in a link container's namespace, measured from its peers.

package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/netfault/spec"
)

// fault starts `netfault run` with job in target's namespace and waits
// for its ready line, which it returns.
func (f *fixture) fault(target *box, job spec.Job) (*helper, string) {
	f.t.Helper()
	h := f.start(target, &job, "run")
	return h, h.waitLine(`"ready":true`, 20*time.Second)
}

// stop sends SIGTERM and checks the helper cleared and exited 0.
func (h *helper) stop() {
	h.f.t.Helper()
	h.kill("SIGTERM")
	code, line := h.wait(20 * time.Second)
	if code != 0 || line != `{"cleared":true}` {
		h.f.t.Errorf("after SIGTERM %s exited %d saying %s, want 0 and {\"cleared\":true}", h.name, code, line)
	}
	h.remove()
}

// probe runs `netfault probe` in from's namespace.
func (f *fixture) probe(from *box, addr string, n int, timeout time.Duration) ProbeResult {
	f.t.Helper()
	var r ProbeResult
	f.oneShot(from, &r, "probe", "-addr", addr, "-n", fmt.Sprint(n), "-timeout", timeout.String(), "-c", fmt.Sprint(min(n, 50)))
	return r
}

// state is `netfault list` in target's namespace.
func (f *fixture) state(target *box) State {
	f.t.Helper()
	var st State
	f.oneShot(target, &st, "list")
	return st
}

func (f *fixture) assertClean(target *box) {
	f.t.Helper()
	if st := f.state(target); len(st.Tables) != 0 || len(st.Qdiscs) != 0 {
		f.t.Errorf("left in %s: %+v", target.name, st)
	}
}

func ip(b *box) []netip.Addr { return []netip.Addr{netip.MustParseAddr(b.ip)} }

func at(b *box, port int) string { return fmt.Sprintf("%s:%d", b.ip, port) }

// trio is the fixture's link containers: a calls b, c stands aside; b
// is the target of every fault.
type trio struct{ a, b, c *box }

func TestHelperInContainers(t *testing.T) {
	f := newFixture(t)
	boxes := f.links(map[string]string{"a": "b", "b": "", "c": ""}, "a")
	l := trio{boxes["a"], boxes["b"], boxes["c"]}
	// One after the other: every fault is on b.
	for _, tc := range []struct {
		name string
		run  func(*fixture, trio)
	}{
		{"delay", testDelay},
		{"delay from one peer", testDelayFrom},
		{"loss", testLoss},
		{"from one peer", testFrom},
		{"blackhole", testBlackhole},
		{"reset", testReset},
		{"rate", testRate},
		{"partition", testPartition},
		{"combined, fault and partition, SIGTERM clears", testSIGTERM},
		{"SIGKILL then clear", testSIGKILL},
	} {
		t.Run(tc.name, func(t *testing.T) { f.t = t; tc.run(f, l) })
	}
}

const ms = time.Millisecond

func testLoss(f *fixture, l trio) {
	t, b, c := f.t, l.b, l.c
	h, _ := f.fault(b, spec.Job{Fault: &spec.Fault{Loss: 1}})
	if r := f.probe(c, at(b, 8080), 10, 300*ms); r.OK != 0 || r.Errors.Timeout != 10 {
		t.Errorf("probes under loss 100%%: %+v, want every one timed out", r)
	}
	h.stop()

	// In only: each SYN is dropped with p = 0.5, and a timeout under the
	// kernel's 1 s SYN retry makes each probe one Bernoulli trial.
	h, _ = f.fault(b, spec.Job{Fault: &spec.Fault{Loss: 0.5, Direction: spec.In}})
	const n, p = 200, 0.5
	r := f.probe(c, at(b, 8080), n, 500*ms)
	sd := math.Sqrt(n * p * (1 - p))
	t.Logf("loss 50%% in: %d of %d probes failed (mean %.0f, 4σ = %.0f)", r.Failed, n, n*p, 4*sd)
	if math.Abs(float64(r.Failed)-n*p) > 4*sd || r.Errors.Timeout != r.Failed {
		t.Errorf("probes under loss 50%%: %+v, want %.0f±%.0f failed, all timeouts", r, n*p, 4*sd)
	}
	h.stop()
}

func testFrom(f *fixture, l trio) {
	t, a, b, c := f.t, l.a, l.b, l.c
	h, _ := f.fault(b, spec.Job{Fault: &spec.Fault{Loss: 1, From: ip(a)}})
	if r := f.probe(a, at(b, 8080), 10, 300*ms); r.OK != 0 {
		t.Errorf("probes from a (in From): %+v, want all failed", r)
	}
	if r := f.probe(c, at(b, 8080), 10, 300*ms); r.OK != 10 {
		t.Errorf("probes from c (not in From): %+v, want all ok", r)
	}
	h.stop()
}

func testReset(f *fixture, l trio) {
	t, b, c := f.t, l.b, l.c
	h, _ := f.fault(b, spec.Job{Fault: &spec.Fault{Reset: true}})
	if r := f.probe(c, at(b, 8080), 10, 500*ms); r.Errors.Refused != 10 {
		t.Errorf("probes to b under reset: %+v, want all refused", r)
	}
	if r := f.probe(b, at(c, 8080), 10, 500*ms); r.Errors.Refused != 10 {
		t.Errorf("b's own connects under reset: %+v, want all refused", r)
	}
	h.stop()
}

func testPartition(f *fixture, l trio) {
	t, a, b, c := f.t, l.a, l.b, l.c
	h, _ := f.fault(b, spec.Job{Partition: &spec.Partition{Block: ip(a)}})
	if r := f.probe(a, at(b, 8080), 5, 300*ms); r.OK != 0 {
		t.Errorf("a → b across the partition: %+v, want all failed", r)
	}
	if r := f.probe(b, at(a, 8080), 5, 300*ms); r.OK != 0 {
		t.Errorf("b → a across the partition: %+v, want all failed", r)
	}
	if r := f.probe(c, at(b, 8080), 5, 300*ms); r.OK != 5 {
		t.Errorf("c → b (outside the partition): %+v, want all ok", r)
	}
	h.stop()

	h, _ = f.fault(b, spec.Job{Partition: &spec.Partition{Block: ip(a), OneWay: true}})
	if r := f.probe(b, at(a, 8080), 5, 300*ms); r.OK != 0 {
		t.Errorf("b → a, one way cut: %+v, want all failed", r)
	}
	if r := f.probe(a, at(b, 8080), 5, 300*ms); r.OK != 5 {
		t.Errorf("a → b, the way left open: %+v, want all ok", r)
	}
	h.stop()
}

// chainTimer times n calls of a's chain from the host, on one kept-alive
// connection.
func (f *fixture) chainTimer(a *box) func(n int) []time.Duration {
	client := &http.Client{Timeout: 5 * time.Second}
	return func(n int) []time.Duration {
		f.t.Helper()
		out := make([]time.Duration, n)
		for i := range out {
			start := time.Now()
			resp, err := client.Get("http://127.0.0.1:" + a.hostPort + "/")
			if err != nil {
				f.t.Fatalf("GET a: %v", err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				f.t.Fatalf("GET a: %s", resp.Status)
			}
			out[i] = time.Since(start)
		}
		return out
	}
}

// testDelayFrom delays only c's requests to b: a's, over its kept-alive
// connections, are neither delayed nor reset.
func testDelayFrom(f *fixture, l trio) {
	t, b := f.t, l.b
	get := f.chainTimer(l.a)
	base := pct(get(10), 50)
	h, _ := f.fault(b, spec.Job{Fault: &spec.Fault{Delay: 300 * ms, From: ip(l.c)}})
	if under := get(10); slices.Max(under) > base+50*ms {
		t.Errorf("a → b with the delay from c only: %v (base %s), want a unaffected", under, base)
	}
	h.stop()
}

// testDelay times the chain a → b from the host, with b delayed: a's
// kept-alive pool to b was made before the fault.
func testDelay(f *fixture, l trio) {
	t, b := f.t, l.b
	get := f.chainTimer(l.a)
	base := pct(get(20), 50)
	const d = 300 * time.Millisecond
	h, ready := f.fault(b, spec.Job{Fault: &spec.Fault{Delay: d}})
	if !strings.Contains(ready, `"delay":"relay"`) {
		t.Errorf("ready line %s, want delay by relay (no sch_netem here)", ready)
	}
	under := get(20)
	p50, p99 := pct(under, 50)-base, pct(under, 99)-base
	t.Logf("round trips under the delay: %v", under)
	t.Logf("delay %s on b: a → b added p50 %s, p99 %s (base round trip %s)", d, p50.Round(100*time.Microsecond), p99.Round(100*time.Microsecond), base)
	if p50 < d*9/10 || p50 > d*11/10 {
		t.Errorf("added p50 %s, want %s ±10%%", p50, d)
	}
	if slices.Min(under) < d*9/10 {
		t.Errorf("a request took %s under a %s delay: a kept-alive connection bypassed the relay", slices.Min(under), d)
	}
	h.stop()
	if after := pct(get(10), 50); after > base+50*time.Millisecond {
		t.Errorf("after the fault: p50 %s, base %s", after, base)
	}
}

func testBlackhole(f *fixture, l trio) {
	t, b, c := f.t, l.b, l.c
	h, _ := f.fault(b, spec.Job{Fault: &spec.Fault{Blackhole: true}})
	if r := f.probe(c, at(b, 8080), 5, 500*time.Millisecond); r.Errors.Timeout != 5 {
		t.Errorf("probes under blackhole: %+v, want all timed out", r)
	}
	// The healthcheck probes localhost: untouched.
	if code, out := f.exec(b, "/link", "-health"); code != 0 {
		t.Errorf("/link -health in b under blackhole exited %d: %s", code, out)
	}
	in, err := f.cli.ContainerInspect(context.Background(), b.id)
	if err != nil {
		t.Fatal(err)
	}
	if hs := in.State.Health; hs.Status != "healthy" || hs.FailingStreak != 0 {
		t.Errorf("b under blackhole: health %s, failing streak %d", hs.Status, hs.FailingStreak)
	}
	h.stop()
	if r := f.probe(c, at(b, 8080), 5, 500*time.Millisecond); r.OK != 5 {
		t.Errorf("probes after blackhole: %+v, want all ok", r)
	}
}

// exec runs a command in a container and returns its exit code and output.
func (f *fixture) exec(b *box, cmd ...string) (int, string) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ex, err := f.cli.ContainerExecCreate(ctx, b.id, container.ExecOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		f.t.Fatalf("exec %v in %s: %v", cmd, b.name, err)
	}
	att, err := f.cli.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		f.t.Fatalf("exec %v in %s: %v", cmd, b.name, err)
	}
	out, _ := io.ReadAll(att.Reader)
	att.Close()
	in, err := f.cli.ContainerExecInspect(ctx, ex.ID)
	if err != nil {
		f.t.Fatalf("exec %v in %s: %v", cmd, b.name, err)
	}
	return in.ExitCode, string(out)
}

// listJSON is the state as one line, for messages.
func listJSON(st State) string {
	b, _ := json.Marshal(st)
	return string(b)
}
