// Daemon tests of rate accuracy and of the helper's life: parts combined, two helpers at once, SIGTERM, SIGKILL and clear.

package agent

import (
	"fmt"
	"strings"
	"time"

	"github.com/chainctl/chainctl/internal/netfault/spec"
)

// fetch downloads from a `netfault serve`, from from's namespace.
func (f *fixture) fetch(from *box, addr string) FetchResult {
	f.t.Helper()
	var r FetchResult
	f.oneShot(from, &r, "fetch", "-addr", addr, "-timeout", "30s")
	return r
}

// serve starts `netfault serve` on port 9000 in target's namespace.
func (f *fixture) serve(target *box, size int) *helper {
	f.t.Helper()
	h := f.start(target, nil, "serve", "-port", "9000", "-bytes", fmt.Sprint(size))
	h.waitLine(`"serving"`, 10*time.Second)
	return h
}

func testRate(f *fixture, l trio) {
	t, a, b, c := f.t, l.a, l.b, l.c
	const size, bits = 1_000_000, 4_000_000
	want := float64(size*8) / bits // seconds
	within := func(what string, r FetchResult, want, lo, hi float64) {
		t.Helper()
		ratio := r.Seconds / want
		t.Logf("%s: %d bytes in %.2fs (%.2f Mbit/s), %.2f× the %.2fs the rate gives", what, r.Bytes, r.Seconds, r.BPS/1e6, ratio, want)
		if r.Bytes != size || ratio < lo || ratio > hi {
			t.Errorf("%s: %d bytes in %.2fs, want %d bytes in %.2fs (×%.2f to ×%.2f)", what, r.Bytes, r.Seconds, size, want, lo, hi)
		}
	}
	srv := f.serve(b, size)

	h, ready := f.fault(b, spec.Job{Fault: &spec.Fault{Rate: bits}})
	if !strings.Contains(ready, `"rate":"tbf"`) {
		t.Errorf("ready line %s, want rate by tbf", ready)
	}
	within("rate 4mbit out (tbf), c fetches from b", f.fetch(c, at(b, 9000)), want, 0.85, 1.15)
	h.stop()

	h, ready = f.fault(b, spec.Job{Fault: &spec.Fault{Rate: bits, From: ip(a)}})
	if !strings.Contains(ready, `"rate":"htb"`) {
		t.Errorf("ready line %s, want rate by htb", ready)
	}
	within("rate 4mbit out to a (htb), a fetches from b", f.fetch(a, at(b, 9000)), want, 0.85, 1.15)
	if r := f.fetch(c, at(b, 9000)); r.Seconds > want/4 {
		t.Errorf("c (not in From) fetched %d bytes in %.2fs: limited too", r.Bytes, r.Seconds)
	}
	h.stop()
	srv.kill("SIGTERM")
	srv.wait(10 * time.Second)
	srv.remove()

	// In: b downloads from c through the policer. Its bucket holds one
	// second of the rate (nftables' limit), so that much comes free.
	srv = f.serve(c, size)
	h, ready = f.fault(b, spec.Job{Fault: &spec.Fault{Rate: bits / 2, Direction: spec.In}})
	if !strings.Contains(ready, `"rate":"nftables-police"`) {
		t.Errorf("ready line %s, want rate by nftables-police", ready)
	}
	rateBytes := float64(bits / 2 / 8)
	wantIn := (size - rateBytes - minBurst) / rateBytes
	within("rate 2mbit in (policer), b fetches from c", f.fetch(b, at(c, 9000)), wantIn, 0.8, 1.6)
	h.stop()
	srv.kill("SIGTERM")
	srv.wait(10 * time.Second)
}

// combined is delay, loss and rate at once.
var combined = spec.Fault{Delay: 100 * time.Millisecond, Loss: 0.001, Rate: 100_000_000}

func testSIGTERM(f *fixture, l trio) {
	t, a, b, c := f.t, l.a, l.b, l.c
	h, ready := f.fault(b, spec.Job{Fault: &combined})
	if want := `{"ready":true,"mechanisms":{"delay":"relay","drop":"nftables","rate":"tbf"}}`; ready != want {
		t.Errorf("ready line %s, want %s", ready, want)
	}
	p, _ := f.fault(b, spec.Job{Partition: &spec.Partition{Block: ip(a)}})
	st := f.state(b)
	got := listJSON(st)
	for _, want := range []string{`"name":"chainctl_fault"`, `"name":"chainctl_partition"`, `"prerouting":`, `"kind":"tbf","handle":"c4a1:"`} {
		if !strings.Contains(got, want) {
			t.Errorf("list under a fault and a partition: %s, want %s in it", got, want)
		}
	}
	h.stop()
	p.stop()
	f.assertClean(b)
	for _, from := range []*box{a, c} {
		if r := f.probe(from, at(b, 8080), 5, 500*time.Millisecond); r.OK != 5 {
			t.Errorf("probes from %s after SIGTERM: %+v, want all ok", from.name, r)
		}
	}
}

func testSIGKILL(f *fixture, l trio) {
	t, b, c := f.t, l.b, l.c
	h, _ := f.fault(b, spec.Job{Fault: &combined})
	h.kill("SIGKILL")
	if code, _ := h.wait(10 * time.Second); code != 137 {
		t.Errorf("SIGKILLed helper exited %d", code)
	}
	h.remove()
	if st := f.state(b); len(st.Tables) != 1 || len(st.Qdiscs) != 1 {
		t.Errorf("after SIGKILL: %s, want the table and the qdisc left", listJSON(st))
	}
	// What is left is harmful: connections go to a relay that is gone.
	if r := f.probe(c, at(b, 8080), 5, 500*time.Millisecond); r.OK != 0 {
		t.Errorf("probes with a dead helper's rules: %+v, want none ok", r)
	}
	for range 2 { // twice: clearing nothing is fine
		var out map[string]bool
		f.oneShot(b, &out, "clear")
		if !out["cleared"] {
			t.Errorf("clear said %v", out)
		}
		f.assertClean(b)
	}
	if r := f.probe(c, at(b, 8080), 5, 500*time.Millisecond); r.OK != 5 {
		t.Errorf("probes after clear: %+v, want all ok", r)
	}
}
