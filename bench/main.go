// Command bench measures chainctl against the raw-API floor and docker
// compose in one run, alternating them, and prints medians and ratios. It
// never passes or fails on time: it reports.
//
//	go run ./bench -n 3,20,50 -runs 5 -chainctl bin/chainctl
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/client"

	"github.com/chainctl/chainctl/bench/chain"
)

const linkImage = chain.Image

type config struct {
	sizes     []int
	runs      int
	largeRuns int // runs per measurement from scaleFrom services on
	chainctl  string
	basePort  int
	health    bool
	ordered   bool
	compose   []string // the compose command, or nil when none is installed
	baseline  string   // another chainctl binary (an older build) measured in the same runs, or ""
}

func main() {
	var sizes string
	cfg := config{}
	flag.StringVar(&sizes, "n", "3,20", "chain lengths, comma-separated")
	flag.IntVar(&cfg.runs, "runs", 5, "runs per measurement (the median is reported)")
	flag.IntVar(&cfg.largeRuns, "large-runs", 1, fmt.Sprintf("runs per measurement from N = %d on (a run of N = 200 takes about 10 minutes)", scaleFrom))
	flag.StringVar(&cfg.chainctl, "chainctl", "bin/chainctl", "chainctl binary")
	flag.IntVar(&cfg.basePort, "base-port", 18000, "first host port of the chain")
	flag.BoolVar(&cfg.health, "health", true, "also measure up with health waits")
	flag.BoolVar(&cfg.ordered, "ordered", true, "also measure chainctl with depends_on along the chain")
	flag.StringVar(&cfg.baseline, "baseline", "", "another chainctl binary (e.g. the last release) to measure in the same runs")
	flag.Parse()
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fatalf("bad -n %q", s)
		}
		cfg.sizes = append(cfg.sizes, n)
	}
	cfg.compose = findCompose()
	if err := run(context.Background(), cfg); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}

// findCompose prefers the compose plugin, then the v1 binary.
func findCompose() []string {
	if exec.Command("docker", "compose", "version").Run() == nil {
		return []string{"docker", "compose"}
	}
	if _, err := exec.LookPath("docker-compose"); err == nil {
		return []string{"docker-compose"}
	}
	return nil
}

// timings collects the samples of one measurement, and how often a step
// failed instead.
type timings struct {
	samples map[string][]time.Duration
	failed  map[string]int
	peakKB  map[string]int64 // chainctl's peak resident memory per step, the largest over the runs
}

func (t timings) add(key string, d time.Duration) { t.samples[key] = append(t.samples[key], d) }

func (t timings) median(key string) time.Duration {
	s := append([]time.Duration(nil), t.samples[key]...)
	if len(s) == 0 {
		return 0
	}
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func run(ctx context.Context, cfg config) error {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer cli.Close()
	dir, err := os.MkdirTemp("", "chainctl-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	composeName := "none installed"
	if cfg.compose != nil {
		composeName = strings.Join(cfg.compose, " ")
		if v, err := exec.Command(cfg.compose[0], append(cfg.compose[1:], "version", "--short")...).Output(); err == nil {
			composeName += " " + strings.TrimSpace(string(v))
		}
	}
	fmt.Printf("chainctl bench: %d runs per figure (%d from N = %d), medians; compose: %s\n\n", cfg.runs, cfg.largeRuns, scaleFrom, composeName)
	results := map[int]timings{}
	for _, n := range cfg.sizes {
		t, err := measure(ctx, cli, cfg, dir, n)
		if err != nil {
			return fmt.Errorf("n=%d: %w", n, err)
		}
		results[n] = t
	}
	printTable(cfg, results)
	return nil
}

// measure alternates chainctl, the floor and compose, run after run, so
// that they share the machine's state and noise.
func measure(ctx context.Context, cli *client.Client, cfg config, dir string, n int) (timings, error) {
	t := timings{samples: map[string][]time.Duration{}, failed: map[string]int{}, peakKB: map[string]int64{}}
	project := fmt.Sprintf("bench%d", n)
	topo := filepath.Join(dir, project+".yaml")
	healthTopo := filepath.Join(dir, project+"-health.yaml")
	orderedTopo := filepath.Join(dir, project+"-ordered.yaml")
	composeFile := filepath.Join(dir, project+"-compose.yaml")
	files := map[string]string{
		topo:        chain.Topology(project, n, cfg.basePort, false, false, scaleProbe(n)),
		healthTopo:  chain.Topology(project, n, cfg.basePort, true, false, scaleProbe(n)),
		orderedTopo: chain.Topology(project, n, cfg.basePort, false, true, scaleProbe(n)),
		composeFile: chainCompose(n, cfg.basePort),
	}
	for path, body := range files {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			return t, err
		}
	}
	// A failed step is counted and reported, not timed: at large N the
	// machine itself can fail a measurement (a health probe that times
	// out), and the other figures of the run still stand.
	timed := func(key string, fn func() error) {
		start := time.Now()
		if err := fn(); err != nil {
			t.failed[key]++
			fmt.Fprintf(os.Stderr, "n=%d %s failed: %v\n", n, key, err)
			return
		}
		t.add(key, time.Since(start))
	}
	// chainctl's steps also record the process's peak resident memory.
	chainctl := func(key string, args ...string) step {
		return step{key, func() error {
			kb, err := runMeasured(cfg.chainctl, args...)
			t.peakKB[key] = max(t.peakKB[key], kb)
			return err
		}}
	}
	large := n >= scaleFrom
	runs := cfg.runs
	if large {
		runs = cfg.largeRuns
	}
	for r := 0; r < runs; r++ {
		steps := []step{
			{"floor-par/up", func() error { return floorUp(ctx, cli, project+"f", n, cfg.basePort, true, false) }},
			{"floor-par/down", func() error { return floorDown(ctx, cli, project+"f", true) }},
			chainctl("chainctl/up", "up", "-q", topo),
			chainctl("chainctl/reup", "up", "-q", topo),
			chainctl("chainctl/ps", "ps", "-p", project),
			chainctl("chainctl/ls", "ls"),
			chainctl("chainctl/help", "--help"),
			chainctl("chainctl/version", "version"),
			chainctl("chainctl/down", "down", "-q", "-p", project),
		}
		if !large { // one service after another: minutes at N = 200, and no target is set against it
			steps = append(steps,
				step{"floor-seq/up", func() error { return floorUp(ctx, cli, project+"f", n, cfg.basePort, false, false) }},
				step{"floor-seq/down", func() error { return floorDown(ctx, cli, project+"f", false) }})
		}
		if cfg.baseline != "" {
			base := func(args ...string) func() error {
				return func() error { return runCmd(cfg.baseline, args...) }
			}
			steps = append(steps,
				step{"baseline/up", base("up", "-q", topo)},
				step{"baseline/down", base("down", "-q", "-p", project)})
		}
		if cfg.compose != nil {
			c := func(args ...string) func() error {
				return func() error {
					all := append(append([]string{}, cfg.compose[1:]...), append([]string{"-p", project + "c", "-f", composeFile}, args...)...)
					return runCmd(cfg.compose[0], all...)
				}
			}
			steps = append(steps,
				step{"compose/up", c("up", "-d")},
				step{"compose/down", c("down", "-v")})
		}
		if cfg.ordered && !large {
			steps = append(steps,
				chainctl("chainctl-ordered/up", "up", "-q", orderedTopo),
				chainctl("chainctl-ordered/down", "down", "-q", "-p", project))
		}
		if cfg.health {
			steps = append(steps,
				step{"floor-health/up", func() error {
					if err := floorUp(ctx, cli, project+"h", n, cfg.basePort, true, true); err != nil {
						return err
					}
					return floorWaitHealthy(ctx, cli, project+"h", n)
				}},
				step{"floor-health/down", func() error { return floorDown(ctx, cli, project+"h", true) }},
				chainctl("chainctl-health/up", "up", "-q", healthTopo),
				chainctl("chainctl-health/down", "down", "-q", "-p", project))
		}
		for _, s := range steps {
			timed(s.key, s.fn)
		}
		fmt.Fprintf(os.Stderr, "n=%d run %d/%d done\n", n, r+1, runs)
	}
	return t, nil
}

// step is one timed action of a run.
type step struct {
	key string
	fn  func() error
}

// runMeasured runs a command and returns its peak resident memory in KiB.
func runMeasured(name string, args ...string) (int64, error) {
	cmd := exec.Command(name, args...)
	out, err := cmd.CombinedOutput()
	var kb int64
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			kb = ru.Maxrss // KiB on Linux
		}
	}
	if err != nil {
		return kb, fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return kb, nil
}

func runCmd(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func printTable(cfg config, results map[int]timings) {
	sec := func(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }
	// cell is a step's median, "failed" when no run of it succeeded (the
	// list below the tables says how often), "-" when it was not measured.
	cell := func(t timings, key string) string {
		switch {
		case len(t.samples[key]) > 0:
			return sec(t.median(key))
		case t.failed[key] > 0:
			return "failed"
		}
		return "-"
	}
	ratio := func(a, b time.Duration) string {
		if a == 0 || b == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f×", a.Seconds()/b.Seconds())
	}
	fmt.Println("| N | floor parallel up / down | floor sequential up / down | chainctl up / down | compose up / down | chainctl ÷ floor: up / down | chainctl ÷ compose: up / down | up, down per service |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, n := range cfg.sizes {
		t := results[n]
		m := t.median
		fmt.Printf("| %d | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s | %s, %s |\n", n,
			cell(t, "floor-par/up"), cell(t, "floor-par/down"),
			cell(t, "floor-seq/up"), cell(t, "floor-seq/down"),
			cell(t, "chainctl/up"), cell(t, "chainctl/down"),
			cell(t, "compose/up"), cell(t, "compose/down"),
			ratio(m("chainctl/up"), m("floor-par/up")), ratio(m("chainctl/down"), m("floor-par/down")),
			ratio(m("chainctl/up"), m("compose/up")), ratio(m("chainctl/down"), m("compose/down")),
			sec(m("chainctl/up")/time.Duration(n)), sec(m("chainctl/down")/time.Duration(n)))
	}
	fmt.Println()
	fmt.Println("| N | floor + health wait: up | chainctl with health waits: up | ratio | chainctl, depends_on along the chain: up / down | its ratio to compose: up / down |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, n := range cfg.sizes {
		t := results[n]
		m := t.median
		fmt.Printf("| %d | %s | %s | %s | %s / %s | %s / %s |\n", n,
			cell(t, "floor-health/up"), cell(t, "chainctl-health/up"), ratio(m("chainctl-health/up"), m("floor-health/up")),
			cell(t, "chainctl-ordered/up"), cell(t, "chainctl-ordered/down"),
			ratio(m("chainctl-ordered/up"), m("compose/up")), ratio(m("chainctl-ordered/down"), m("compose/down")))
	}
	fmt.Println()
	if cfg.baseline != "" {
		fmt.Printf("Baseline %s, in the same runs:\n\n", cfg.baseline)
		fmt.Println("| N | baseline up / down | baseline ÷ floor: up / down | chainctl ÷ floor: up / down | chainctl ÷ baseline: up / down |")
		fmt.Println("|---|---|---|---|---|")
		for _, n := range cfg.sizes {
			t := results[n]
			m := t.median
			fmt.Printf("| %d | %s / %s | %s / %s | %s / %s | %s / %s |\n", n,
				cell(t, "baseline/up"), cell(t, "baseline/down"),
				ratio(m("baseline/up"), m("floor-par/up")), ratio(m("baseline/down"), m("floor-par/down")),
				ratio(m("chainctl/up"), m("floor-par/up")), ratio(m("chainctl/down"), m("floor-par/down")),
				ratio(m("chainctl/up"), m("baseline/up")), ratio(m("chainctl/down"), m("baseline/down")))
		}
		fmt.Println()
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
	fmt.Println("| N | re-up, nothing to do | ps | ls | --help | version |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, n := range cfg.sizes {
		m := results[n].median
		fmt.Printf("| %d | %s | %s | %s | %s | %s |\n", n, ms(m("chainctl/reup")), ms(m("chainctl/ps")),
			ms(m("chainctl/ls")), ms(m("chainctl/help")), ms(m("chainctl/version")))
	}
	fmt.Println()
	mib := func(kb int64) string {
		if kb == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f MiB", float64(kb)/1024)
	}
	fmt.Println("| N | health probe | chainctl peak memory: up / up with health waits / down / ps |")
	fmt.Println("|---|---|---|")
	for _, n := range cfg.sizes {
		p := results[n].peakKB
		probe := "the image's (every 2s, timeout 1s)"
		if hc := scaleProbe(n); hc != nil {
			probe = fmt.Sprintf("every %s, timeout %s, %d retries, start period %s", hc.Interval, hc.Timeout, hc.Retries, hc.StartPeriod)
		}
		fmt.Printf("| %d | %s | %s / %s / %s / %s |\n", n, probe, mib(p["chainctl/up"]), mib(p["chainctl-health/up"]), mib(p["chainctl/down"]), mib(p["chainctl/ps"]))
	}
	for _, n := range cfg.sizes {
		keys := make([]string, 0, len(results[n].failed))
		for k := range results[n].failed {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Printf("\nN=%d: %s failed in %d of %d runs (the errors are on stderr); its figure is the median of the others.\n", n, k, results[n].failed[k], cfg.runs)
		}
	}
}
