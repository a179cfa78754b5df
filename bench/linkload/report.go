// The report: Markdown tables of the medians over runs, the targets met or not, and where the CPU went.

package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// report prints the Markdown tables: medians over runs, the figures the
// issue sets targets for, where the CPU went, and how it was measured.
func report(w io.Writer, cfg config, m *measurements) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	rps1, rps3 := median(m.one, result.rps), median(m.three, result.rps)
	s1, s3 := medianDur(m.singleOne, p50Of), medianDur(m.singleThree, p50Of)
	perHop := (s3 - s1) / 2
	ratio := 0.0
	if rps1 > 0 {
		ratio = rps3 / rps1
	}

	p("## The link service under load")
	p("")
	p("Medians over %d runs (1 hop and 3 hops alternating), %d keep-alive clients, %s each after a %s warm-up; the p50 with 1 client over %s. Load generator: %s.", cfg.runs, cfg.clients, cfg.duration, warmup, singleWindow, generatorName(cfg.gen))
	p("")
	p("| chain | req/s | p50 | p90 | p99 | errors | p50, 1 client |")
	p("|---|---|---|---|---|---|---|")
	row := func(name string, rs, single []result) {
		p("| %s | %.0f | %s | %s | %s | %s | %s |", name, median(rs, result.rps),
			msec(medianDur(rs, p50Of)), msec(medianDur(rs, func(r result) time.Duration { return r.p90 })),
			msec(medianDur(rs, func(r result) time.Duration { return r.p99 })),
			errorsOf(rs), msec(medianDur(single, p50Of)))
	}
	row("1 hop (x1)", m.one, m.singleOne)
	row("3 hops (a → b → c)", m.three, m.singleThree)
	p("")
	p("| figure | measured | target | |")
	p("|---|---|---|---|")
	p("| throughput, 3 hops ÷ 1 hop | %.2f× | ≥ %.2f× | %s |", ratio, targetRatio, verdict(ratio >= targetRatio))
	p("| p50 added per hop, 1 client: (%s − %s) / 2 | %s | ≤ %s | %s |", msec(s3), msec(s1), msec(perHop), msec(targetPerHop), verdict(perHop <= targetPerHop))
	p("| idle memory of one link container (`docker stats`, x1 before any load) | %s | ≤ 8 MB | %s |", mem(m.idleMem), verdict(m.idleMem <= targetIdleMem))
	if m.idleRSS.total > 0 {
		p("| RSS of its link process, idle (`/proc/<pid>/status` VmRSS: anon %s + file %s) | %s | ≤ 8 MB | %s |",
			mib(m.idleRSS.anon), mib(m.idleRSS.file), mem(m.idleRSS.total), verdict(m.idleRSS.total <= targetIdleMem))
	}
	p("| after the load: x1 / a (`docker stats`) | %s / %s | | |", mem(m.afterMem), mem(m.afterMemA))
	if m.afterRSS.total > 0 {
		p("| after the load: x1 / a (VmRSS) | %s / %s | | |", mem(m.afterRSS.total), mem(m.afterRSSA.total))
	}
	p("")

	if m.cpuKnown {
		p("CPU per request in µs, medians (from /proc on the Docker host; dockerd and containerd are shared with whoever else uses the daemon; \"machine\" is all cores' busy time, other tenants included, and is tick-sampled, so it can differ from the sum of the groups by a few %%):")
		p("")
		p("| chain | %s | machine | machine busy |", strings.Join(cpuGroups, " | "))
		p("|---|%s---|---|", strings.Repeat("---|", len(cpuGroups)))
		cpuRow := func(name string, rs []result) {
			cells := make([]string, 0, len(cpuGroups)+2)
			for _, g := range cpuGroups {
				cells = append(cells, fmt.Sprintf("%.0f", median(rs, func(r result) float64 { return perReq(r, r.cpu.group[g]) })))
			}
			machine := median(rs, func(r result) float64 { return perReq(r, r.cpu.busy) })
			busy := median(rs, func(r result) float64 {
				if r.cpu.total <= 0 {
					return 0
				}
				return 100 * r.cpu.busy / r.cpu.total
			})
			cells = append(cells, fmt.Sprintf("%.0f", machine), fmt.Sprintf("%.0f%%", busy))
			p("| %s | %s |", name, strings.Join(cells, " | "))
		}
		cpuRow("1 hop", m.one)
		cpuRow("3 hops", m.three)
		cpuRow("1 hop, 1 client", m.singleOne)
		cpuRow("3 hops, 1 client", m.singleThree)
		p("")
	}
	if m.hops != "" {
		p("Hop connections after the last run (outgoing to :8080, in each hop's network namespace): %s.", m.hops)
		p("")
	}
	id := m.imageID
	if i := strings.IndexByte(id, ':'); i >= 0 && len(id) >= i+13 {
		id = id[i+1 : i+13]
	}
	p("Machine: %s cores (nproc), Docker Engine %s, %s; image %s (%s), healthchecks off.", m.nproc, m.engine, m.goVer, cfg.image, id)
	env := ""
	for _, e := range cfg.env {
		env += " -env " + e
	}
	p("Flags: `-c %d -duration %s -runs %d -gen %s%s -image %s`.", cfg.clients, cfg.duration, cfg.runs, cfg.gen, env, cfg.image)
}

func p50Of(r result) time.Duration { return r.p50 }

func perReq(r result, seconds float64) float64 {
	if r.requests == 0 {
		return 0
	}
	return seconds / float64(r.requests) * 1e6
}

func median(rs []result, f func(result) float64) float64 {
	if len(rs) == 0 {
		return 0
	}
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

func medianDur(rs []result, f func(result) time.Duration) time.Duration {
	return time.Duration(median(rs, func(r result) float64 { return float64(f(r)) }))
}

func errorsOf(rs []result) string {
	var errs, reqs int
	for _, r := range rs {
		errs += r.errors
		reqs += r.requests
	}
	return fmt.Sprintf("%d of %d", errs, reqs)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}

func msec(d time.Duration) string {
	return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
}

func mib(b float64) string { return fmt.Sprintf("%.2f MiB", b/(1<<20)) }

// mem shows bytes in MiB, and in MB for the targets stated in MB.
func mem(b float64) string {
	if b <= 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.2f MiB (%.2f MB)", b/(1<<20), b/1e6)
}

func generatorName(gen string) string {
	if gen == genWrk {
		return "wrk (" + commandLine("sh", "-c", "wrk -v 2>&1 | head -1") + ")"
	}
	return "the built-in Go closed loop (wrk not used)"
}
