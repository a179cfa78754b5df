// What a run measured, and its markdown tables.

package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"time"
)

// results is everything one run measured.
type results struct {
	header string
	set    []*setRow
	delays []*delayRow
	zero   zeroResult
	rate   rateResult
	notes  []string // failures, in order
}

// setRow is one fault kind of (1): the commands, and their wall times.
type setRow struct {
	label                 string
	set, heal             []string
	setS, healS           samples
	setFailed, healFailed int
}

// delayRow is one asked delay of (2).
type delayRow struct {
	label           string
	delay, jitter   time.Duration
	on, off, spaced sideSamples // spaced: no fault, calls the delay apart
}

// zeroResult is (3), and the helper's own start and stop times.
type zeroResult struct {
	on, off     sideSamples
	mech        string
	start, stop samples
}

// rateResult is (4), in MB/s.
type rateResult struct {
	bytes                   int64
	mech                    string
	bare, relay             samples
	bareFailed, relayFailed int
}

// notef records a failure; it goes to stderr at once and under the tables.
func (r *results) notef(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	fmt.Fprintln(os.Stderr, "netbench: "+s)
	r.notes = append(r.notes, s)
}

// ms formats milliseconds with the given decimals; "-" when not measured.
func ms(v float64, decimals int) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.*f ms", decimals, v)
}

func (r *results) print(w io.Writer, cfg config) {
	fmt.Fprintf(w, "netbench: %s\n\n", r.header)
	if len(r.set) > 0 {
		r.printSet(w, cfg)
	}
	if len(r.delays) > 0 {
		r.printDelay(w)
	}
	if len(r.zero.on.bc)+len(r.zero.off.bc) > 0 {
		r.printZero(w)
	}
	if len(r.rate.bare)+len(r.rate.relay) > 0 {
		r.printRate(w)
	}
	const maxNotes = 20
	for i, n := range r.notes {
		if i == maxNotes {
			fmt.Fprintf(w, "- and %d more (on stderr)\n", len(r.notes)-maxNotes)
			break
		}
		fmt.Fprintf(w, "- %s\n", n)
	}
}

func (r *results) printSet(w io.Writer, cfg config) {
	fmt.Fprintf(w, "(1) Setting and healing a fault on c: whole `bin/chainctl -q` processes, %d rounds, the kinds taking turns\n\n", cfg.rounds)
	fmt.Fprintln(w, "| fault | set p50 | set p99 | heal p50 | heal p99 | failed set / heal |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, s := range r.set {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %d / %d |\n", s.label, ms(s.setS.p50(), 0), ms(s.setS.p99(), 0),
			ms(s.healS.p50(), 0), ms(s.healS.p99(), 0), s.setFailed, s.healFailed)
	}
	if z := r.zero; len(z.start) > 0 {
		fmt.Fprintf(w, "| the helper alone (SDK, from (3)): create, start, ready / SIGTERM stop, remove; %d times | %s | %s | %s | %s | - |\n",
			len(z.start), ms(z.start.p50(), 0), ms(z.start.p99(), 0), ms(z.stop.p50(), 0), ms(z.stop.p99(), 0))
	}
	fmt.Fprintln(w)
}

func (r *results) printDelay(w io.Writer) {
	fmt.Fprintln(w, "(2) Delay accuracy: the b → c hop (b's took_ms − c's) per call, fault-on and fault-off blocks taking turns; added pX = on pX − off pX")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| asked | calls on / off | off p50 / p99 | on p50 / p99 | added p50 / p99 | expected added p50 / p99 | no fault, calls the delay apart: p50 / p99 | a → b change p50 (control) | failed on / off |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, d := range r.delays {
		exp50 := float64(d.delay) / float64(time.Millisecond)
		exp99 := exp50 + 0.98*float64(d.jitter)/float64(time.Millisecond) // uniform on delay ± jitter
		fmt.Fprintf(w, "| %s | %d / %d | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s | %s | %d / %d |\n", d.label,
			len(d.on.bc), len(d.off.bc),
			ms(d.off.bc.p50(), 2), ms(d.off.bc.p99(), 2), ms(d.on.bc.p50(), 2), ms(d.on.bc.p99(), 2),
			ms(d.on.bc.p50()-d.off.bc.p50(), 2), ms(d.on.bc.p99()-d.off.bc.p99(), 2),
			ms(exp50, 0), ms(exp99, 0), ms(d.spaced.bc.p50(), 2), ms(d.spaced.bc.p99(), 2),
			ms(d.on.ab.p50()-d.off.ab.p50(), 3), d.on.failed, d.off.failed+d.spaced.failed)
	}
	fmt.Fprintln(w)
}

func (r *results) printZero(w io.Writer) {
	z := r.zero
	fmt.Fprintf(w, "(3) The relay at zero delay (a helper with {\"fault\":{\"delay\":1}} on c, mechanism: %s), relay-on and relay-off blocks alternating; added pX = on pX − off pX\n\n", z.mech)
	fmt.Fprintln(w, "| hop | calls on / off | off p50 / p99 | relay p50 / p99 | added p50 / p99 | failed on / off |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, h := range []struct {
		label   string
		on, off samples
	}{{"b → c (the relay is on c)", z.on.bc, z.off.bc}, {"a → b (control: untouched)", z.on.ab, z.off.ab}} {
		fmt.Fprintf(w, "| %s | %d / %d | %s / %s | %s / %s | %s / %s | %d / %d |\n", h.label, len(h.on), len(h.off),
			ms(h.off.p50(), 3), ms(h.off.p99(), 3), ms(h.on.p50(), 3), ms(h.on.p99(), 3),
			ms(h.on.p50()-h.off.p50(), 3), ms(h.on.p99()-h.off.p99(), 3), z.on.failed, z.off.failed)
	}
	fmt.Fprintln(w)
}

func (r *results) printRate(w io.Writer) {
	rt := r.rate
	fmt.Fprintf(w, "(4) Throughput: `netfault fetch` of %d MiB from `netfault serve` in a peer container on the same bridge, bare and through the 1ns relay (mechanism: %s), taking turns\n\n", rt.bytes>>20, rt.mech)
	fmt.Fprintln(w, "| path | fetches | MB/s p50 | min – max | ÷ bare (p50) | failed |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	mbs := func(v float64) string {
		if math.IsNaN(v) {
			return "-"
		}
		return fmt.Sprintf("%.0f", v)
	}
	for _, p := range []struct {
		label  string
		s      samples
		failed int
	}{{"bare hop", rt.bare, rt.bareFailed}, {"through the relay", rt.relay, rt.relayFailed}} {
		ratio := "-"
		if len(p.s) > 0 && len(rt.bare) > 0 {
			ratio = fmt.Sprintf("%.2f×", p.s.p50()/rt.bare.p50())
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s – %s | %s | %d |\n", p.label, len(p.s), mbs(p.s.p50()), mbs(p.s.min()), mbs(p.s.max()), ratio, p.failed)
	}
	fmt.Fprintln(w)
}
