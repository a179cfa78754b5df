// End-to-end tests of network faults through the built binary: delay, loss, rate, blackhole, reset, --from, partitions, and their healing.

package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hop is one node of `chainctl call --json`.
type hop struct {
	Service string  `json:"service"`
	TookMS  float64 `json:"took_ms"`
	Status  int     `json:"status"`
	Error   string  `json:"error"`
	Calls   []*hop  `json:"calls"`
}

func (h *hop) find(service string) *hop {
	if h == nil {
		return nil
	}
	if h.Service == service {
		return h
	}
	for _, c := range h.Calls {
		if f := c.find(service); f != nil {
			return f
		}
	}
	return nil
}

// callJSON sends one request through the chain and decodes the tree.
func callJSON(t *testing.T, p string) (*hop, int) {
	t.Helper()
	r := chainctl(t, "call", "-p", p, "--json", "--timeout", "5s")
	var h hop
	if err := json.Unmarshal([]byte(r.stdout), &h); err != nil {
		t.Fatalf("call --json: %v\n%s", err, r)
	}
	return &h, r.code
}

// hopTimes calls n times and returns, in ms, the medians of b's hop time
// and of a's own work (a's time less b's), over the calls that answered.
func hopTimes(t *testing.T, p string, n int) (bMedian, aOwn float64, spread float64) {
	t.Helper()
	var bs, as []float64
	for i := 0; i < n; i++ {
		h, code := callJSON(t, p)
		if code != 0 {
			continue // the first call after a fault goes on may meet a reset kept-alive connection
		}
		b := h.find("b")
		bs, as = append(bs, b.TookMS), append(as, h.TookMS-b.TookMS)
	}
	if len(bs) < n-1 {
		t.Fatalf("only %d of %d calls answered", len(bs), n)
	}
	sort.Float64s(bs)
	sort.Float64s(as)
	return bs[len(bs)/2], as[len(as)/2], bs[len(bs)-1] - bs[0]
}

func faultOf(t *testing.T, p, container string) string {
	t.Helper()
	return row(t, ps(t, p), container).Fault
}

func TestNetDelayAndJitter(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	bBefore, aBefore, spreadBefore := hopTimes(t, p, 7)
	br := mustChainctl(t, "break", "-p", p, "c", "--delay", "300ms")
	if !strings.Contains(br.stdout, "broke "+p+"-c-1 (delay 300ms)") || !strings.Contains(br.stderr, "delay via") {
		t.Fatalf("break --delay: %s", br)
	}
	if f := faultOf(t, p, p+"-c-1"); f != "delay 300ms (relay)" {
		t.Errorf("ps FAULT %q, want delay 300ms (relay)", f)
	}
	bAfter, aAfter, _ := hopTimes(t, p, 9)
	if added := bAfter - bBefore; added < 270 || added > 330 {
		t.Errorf("b's hop rose by %.1f ms (%.1f → %.1f), want 300 ms ±10%%", added, bBefore, bAfter)
	}
	if aAfter-aBefore > 30 {
		t.Errorf("a's own work rose by %.1f ms (%.1f → %.1f): the delay is c's", aAfter-aBefore, aBefore, aAfter)
	}
	mustChainctl(t, "break", "-q", "-p", p, "c", "--delay", "300ms", "--jitter", "150ms")
	_, _, spreadJitter := hopTimes(t, p, 9)
	if spreadJitter < 100 || spreadJitter < 4*spreadBefore {
		t.Errorf("with ±150ms jitter b's hop times spread %.1f ms (%.1f ms without): want a wider spread", spreadJitter, spreadBefore)
	}
	hr := mustChainctl(t, "heal", "-q", "-p", p, "c")
	if !strings.Contains(hr.stdout, "healed "+p+"-c-1 (delay 300ms±150ms)") {
		t.Errorf("heal: %s", hr)
	}
	if f := faultOf(t, p, p+"-c-1"); f != "-" {
		t.Errorf("after heal, FAULT %q", f)
	}
	if b, _, _ := hopTimes(t, p, 5); b > bBefore+50 {
		t.Errorf("after heal b's hop takes %.1f ms (%.1f before the fault)", b, bBefore)
	}
}

// probe runs the helper's probe in a container's namespace: n fresh TCP
// connects to addr, each one trial.
func probe(t *testing.T, inContainer, addr string, n int, timeout time.Duration) (ok, failed int, errs map[string]int) {
	t.Helper()
	out := docker(t, "run", "--rm", "--network", "container:"+inContainer, "--label", "io.chainctl.test=probe",
		"chainctl/netfault:latest", "probe", "-addr", addr, "-n", strconv.Itoa(n), "-timeout", timeout.String(), "-c", "10")
	var res struct {
		OK     int            `json:"ok"`
		Failed int            `json:"failed"`
		Errors map[string]int `json:"errors"`
	}
	if err := json.Unmarshal([]byte(out[strings.LastIndex(out, "\n")+1:]), &res); err != nil {
		t.Fatalf("probe output %q: %v", out, err)
	}
	return res.OK, res.Failed, res.Errors
}

func ipOf(t *testing.T, p, container string) string {
	t.Helper()
	return docker(t, "inspect", "-f", "{{(index .NetworkSettings.Networks \""+p+"-net\").IPAddress}}", container)
}

func TestNetLoss(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	mustChainctl(t, "break", "-q", "-p", p, "c", "--mode", "loss", "--loss", "100%")
	for i := 0; i < 3; i++ {
		if h, code := callJSON(t, p); code != 1 || h.find("c") == nil || h.find("c").Error == "" {
			t.Errorf("loss 100%%: call %d exit %d, c %+v; want every call failing at c", i, code, h.find("c"))
		}
	}
	// 50 % of what reaches c, over 200 fresh connects from b's namespace:
	// a SYN lost is a connect that times out (under the 1 s SYN retry).
	mustChainctl(t, "break", "-q", "-p", p, "c", "--loss", "50%", "--direction", "in")
	if f := faultOf(t, p, p+"-c-1"); f != "loss 50% in" {
		t.Errorf("ps FAULT %q", f)
	}
	const n = 200
	_, failed, _ := probe(t, p+"-b-1", ipOf(t, p, p+"-c-1")+":8080", n, 300*time.Millisecond)
	sigma := math.Sqrt(n * 0.5 * 0.5)
	if d := math.Abs(float64(failed) - n*0.5); d > 4*sigma {
		t.Errorf("loss 50%%: %d of %d connects failed, want %d ± %.0f (4σ)", failed, n, n/2, 4*sigma)
	}
	mustChainctl(t, "heal", "-q", "-p", p)
	if ok, _, _ := probe(t, p+"-b-1", ipOf(t, p, p+"-c-1")+":8080", 20, time.Second); ok != 20 {
		t.Errorf("after heal only %d of 20 connects answered", ok)
	}
}

func TestNetBlackholeKeepsHealthAndResetRefuses(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	mustChainctl(t, "break", "-q", "-p", p, "c", "--mode", "blackhole")
	h, code := callJSON(t, p)
	if code != 1 || h.find("c") == nil || !strings.Contains(h.find("c").Error, "timeout") {
		t.Errorf("blackhole: exit %d, c %+v; want a timeout at c", code, h.find("c"))
	}
	// c's healthcheck probes itself over loopback, which a blackhole never touches.
	eventually(t, 5*time.Second, "c healthy under blackhole for 3 probe intervals", func() (bool, string) {
		r := row(t, ps(t, p), p+"-c-1")
		return r.Health == "healthy" && r.Fault == "blackhole", fmt.Sprintf("%+v", r)
	})
	deadline := time.Now().Add(1600 * time.Millisecond)
	for time.Now().Before(deadline) {
		if r := row(t, ps(t, p), p+"-c-1"); r.Health != "healthy" {
			t.Fatalf("c turned %s under blackhole", r.Health)
		}
	}
	mustChainctl(t, "break", "-q", "-p", p, "c", "--mode", "reset")
	h, code = callJSON(t, p)
	if code != 1 || h.find("c") == nil || !strings.Contains(h.find("c").Error, "connection refused") {
		t.Errorf("reset: exit %d, c %+v; want connection refused at c", code, h.find("c"))
	}
	mustChainctl(t, "heal", "-q", "-p", p)
	if _, code := callJSON(t, p); code != 0 {
		t.Errorf("after heal the chain still fails")
	}
}

const diamond = `name: PROJECT
x-health: &health
  test: ["CMD", "/link", "-health"]
  interval: 500ms
  timeout: 1s
  retries: 3
services:
  a: {image: chainctl/link:latest, calls: [b, c], ports: ["8080"], healthcheck: *health}
  b: {image: chainctl/link:latest, calls: [d], environment: {TIMEOUT: 1s}, healthcheck: *health}
  c: {image: chainctl/link:latest, calls: [d], environment: {TIMEOUT: 1s}, healthcheck: *health}
  d: {image: chainctl/link:latest, healthcheck: *health}
`

func TestNetFromLimitsTheFaultToOnePeer(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, diamond))
	br := mustChainctl(t, "break", "-p", p, "d", "--mode", "blackhole", "--from", "b")
	if !strings.Contains(br.stdout, "(blackhole from b)") || !strings.Contains(br.stdout, "affected callers: a, b\n") {
		t.Errorf("break --from: %s", br)
	}
	if f := faultOf(t, p, p+"-d-1"); f != "blackhole from b" {
		t.Errorf("ps FAULT %q", f)
	}
	h, _ := callJSON(t, p)
	b, c := h.find("b"), h.find("c")
	if b == nil || c == nil || len(b.Calls) != 1 || len(c.Calls) != 1 {
		t.Fatalf("tree %+v", h)
	}
	if b.Calls[0].Error == "" || c.Calls[0].Error != "" || c.Calls[0].Status != 200 {
		t.Errorf("b → d: %+v (want it failing); c → d: %+v (want 200)", b.Calls[0], c.Calls[0])
	}
}

func TestPartitionTwoWayAndOneWay(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	pr := mustChainctl(t, "partition", "-p", p, "a,b")
	if !strings.Contains(pr.stdout, "partitioned "+p+": {a,b}|{c}") {
		t.Errorf("partition: %s", pr)
	}
	if f := faultOf(t, p, p+"-b-1"); f != "partition {a,b}|{c}" {
		t.Errorf("ps FAULT of b %q", f)
	}
	if h, code := callJSON(t, p); code != 1 || h.find("c") == nil || h.find("c").Error == "" {
		t.Errorf("{a,b}|{c}: exit %d, tree %+v; want b → c failing", code, h)
	}
	// One way: c cannot open connections to a and b, but b still reaches c.
	mustChainctl(t, "partition", "-q", "-p", p, "c", "a,b", "--one-way")
	if _, code := callJSON(t, p); code != 0 {
		t.Errorf("{c} ↛ {a,b}: the chain a → b → c should answer")
	}
	if _, failed, _ := probe(t, p+"-c-1", ipOf(t, p, p+"-b-1")+":8080", 5, 300*time.Millisecond); failed != 5 {
		t.Errorf("{c} ↛ {a,b}: %d of 5 connects from c to b failed, want all", failed)
	}
	mustChainctl(t, "partition", "-q", "-p", p, "a,b", "c", "--one-way")
	if _, code := callJSON(t, p); code != 1 {
		t.Errorf("{a,b} ↛ {c}: the chain should fail at c")
	}
	hr := mustChainctl(t, "heal", "-p", p, "--partition")
	if !strings.Contains(hr.stdout, "partition {a,b}|{c} one-way") {
		t.Errorf("heal --partition: %s", hr)
	}
	if _, code := callJSON(t, p); code != 0 {
		t.Errorf("after heal --partition the chain still fails")
	}
}

func TestNetFaultsCombineReplaceAndRefuseBadInput(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	mustChainctl(t, "break", "-q", "-p", p, "c", "--delay", "50ms", "--loss", "1%", "--rate", "10mbit")
	if f := faultOf(t, p, p+"-c-1"); f != "delay 50ms loss 1% rate 10mbit (relay, tbf)" {
		t.Errorf("combined: ps FAULT %q", f)
	}
	r := mustChainctl(t, "break", "-p", p, "c", "--loss", "100%")
	if !strings.Contains(r.stderr, "replaced the network fault on "+p+"-c-1 (delay 50ms loss 1% rate 10mbit)") {
		t.Errorf("a second break replaces the first: %s", r)
	}
	if f := faultOf(t, p, p+"-c-1"); f != "loss 100%" {
		t.Errorf("after replacing: ps FAULT %q", f)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"c", "--delay", "-5ms"}, 2, "--delay -5ms"},
		{[]string{"c", "--loss", "150%"}, 2, "--loss 150%"},
		{[]string{"c", "--rate", "0"}, 2, "--rate 0"},
		{[]string{"c", "--delay", "1s", "--mode", "kill"}, 2, "not --mode kill"},
		{[]string{"c", "--mode", "blackhole", "--from", "x"}, 1, `--from x: no service "x"`},
	} {
		if r := chainctl(t, append([]string{"break", "-p", p}, c.args...)...); r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("break %v: %s; want exit %d saying %q", c.args, r, c.code, c.want)
		}
	}
	if r := chainctl(t, "partition", "-p", p, "a,b", "b"); r.code != 1 || !strings.Contains(r.stderr, "service b is in two groups") {
		t.Errorf("partition naming b twice: %s", r)
	}
	if f := faultOf(t, p, p+"-c-1"); f != "loss 100%" {
		t.Errorf("bad input changed the fault: %q", f)
	}
	r = mustChainctl(t, "break", "-p", p, "c", "--delay", "100ms", "--for", "1s")
	if !strings.Contains(r.stdout, "healed "+p+"-c-1 (delay 100ms)") {
		t.Errorf("break --for 1s: %s", r)
	}
	if f := faultOf(t, p, p+"-c-1"); f != "-" {
		t.Errorf("after --for: ps FAULT %q", f)
	}
}

// A chainctl killed while the helper starts leaves nothing heal cannot
// find: heal removes the helper, whatever state it was in, and the chain
// answers without a rule left behind.
func TestNetFaultKilledMidBreakIsHealable(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	cmd := exec.Command(chainctlBin, "break", "-q", "-p", p, "c", "--delay", "300ms")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the helper container to exist", func() (bool, string) {
		out, _ := exec.Command("docker", "ps", "-aq", "--filter", "name="+p+"-c-1-netfault").Output()
		return strings.TrimSpace(string(out)) != "", "no helper yet"
	})
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	mustChainctl(t, "heal", "-q", "-p", p)
	if out := docker(t, "ps", "-aq", "--filter", "label=io.chainctl.project="+p, "--filter", "label=io.chainctl.role"); out != "" {
		t.Errorf("helpers left after heal: %s", out)
	}
	b, _, _ := hopTimes(t, p, 5)
	if b > 100 {
		t.Errorf("after heal b's hop takes %.1f ms: a delay rule was left behind", b)
	}
}

// A chainctl killed while it holds a fault leaves a helper that heal finds
// by its labels; a target that restarts loses the fault with its namespace.
func TestNetFaultSurvivesKilledChainctlAndTargetRestart(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	cmd := exec.Command(chainctlBin, "break", "-p", p, "c", "--delay", "200ms", "--for", "1h")
	var errb syncWriter
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "break --for to be waiting", func() (bool, string) {
		return strings.Contains(errb.String(), "healing in"), errb.String()
	})
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	if f := faultOf(t, p, p+"-c-1"); f != "delay 200ms (relay)" {
		t.Errorf("after SIGKILL of chainctl, ps FAULT %q; want the fault still in force", f)
	}
	hr := mustChainctl(t, "heal", "-q", "-p", p)
	if !strings.Contains(hr.stdout, "healed "+p+"-c-1 (delay 200ms)") {
		t.Errorf("heal after SIGKILL: %s", hr)
	}
	if out := docker(t, "ps", "-aq", "--filter", "label=io.chainctl.project="+p, "--filter", "label=io.chainctl.role"); out != "" {
		t.Errorf("helpers left after heal: %s", out)
	}
	// The target restarts: its new namespace has no rules, ps says so.
	mustChainctl(t, "break", "-q", "-p", p, "c", "--mode", "blackhole")
	docker(t, "restart", "-t", "1", p+"-c-1")
	eventually(t, 20*time.Second, "the fault to be gone after c restarted", func() (bool, string) {
		f := faultOf(t, p, p+"-c-1")
		return f == "-", f
	})
	eventually(t, 20*time.Second, "the chain to answer", func() (bool, string) {
		_, code := callJSON(t, p)
		return code == 0, fmt.Sprint(code)
	})
	mustChainctl(t, "heal", "-q", "-p", p) // removes the stale helper
	if out := docker(t, "ps", "-aq", "--filter", "label=io.chainctl.project="+p, "--filter", "label=io.chainctl.role"); out != "" {
		t.Errorf("stale helper left after heal: %s", out)
	}
}

// syncWriter is a buffer a test reads while a process writes to it.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

const slowChain = `name: PROJECT
x-health: &health
  test: ["CMD", "/link", "-health"]
  interval: 500ms
  timeout: 1s
  retries: 3
services:
  a: {image: chainctl/link:latest, calls: [b], ports: ["8080"], environment: {TIMEOUT: 20s}, healthcheck: *health}
  b: {image: chainctl/link:latest, calls: [c], environment: {TIMEOUT: 15s}, healthcheck: *health}
  c: {image: chainctl/link:latest, healthcheck: *health}
`

// A payload of known size through a throttled c takes size ÷ rate.
func TestNetRateThrottlesAPayload(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, slowChain))
	url := endpoint(t, p, "a") + "/?payload=262144&format=json"
	bTime := func() float64 {
		status, body, err := get(url)
		var h hop
		if err != nil || status != 200 || json.Unmarshal([]byte(body), &h) != nil || h.find("b") == nil {
			t.Fatalf("GET %s: %d %v %.200s", url, status, err, body)
		}
		return h.find("b").TookMS
	}
	before := bTime()
	mustChainctl(t, "break", "-q", "-p", p, "c", "--rate", "1mbit")
	if f := faultOf(t, p, p+"-c-1"); f != "rate 1mbit (tbf)" {
		t.Errorf("ps FAULT %q", f)
	}
	want := 262144.0 * 8 / 1e6 * 1000 // ms at 1 mbit/s
	var got []float64
	for i := 0; i < 3; i++ {
		got = append(got, bTime()-before)
	}
	sort.Float64s(got)
	if m := got[1]; m < want*0.85 || m > want*1.15 {
		t.Errorf("256 KiB through c at 1mbit took %.0f ms more than without (runs %v), want %.0f ms ±15%%", m, got, want)
	}
}
