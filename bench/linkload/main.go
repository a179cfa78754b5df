// Command linkload measures the link service under load on loopback: a
// 1-hop chain (x1) against a 3-hop one (a → b → c) of chainctl/link
// containers, alternating run after run, with -c keep-alive clients of wrk
// when it is installed (`apt-get install wrk`), else of a closed-loop Go
// load generator (-gen picks one). It prints a Markdown table
// of medians: throughput, latency percentiles, the 3-hop ÷ 1-hop ratio,
// the p50 added per hop with one client, and the idle memory of one link
// container. It never passes or fails on time: it reports.
//
//	go run ./bench/linkload [-c 16] [-duration 10s] [-runs 3] [-gen auto|wrk|go] [-env KEY=VALUE]... [-image chainctl/link:latest]
//
// It creates its own bridge network and containers, all labelled
// io.chainctl.bench=linkload-<random>, and removes them at the end, on
// error and on Ctrl-C.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type config struct {
	clients  int
	duration time.Duration
	runs     int
	image    string
	gen      string // genWrk or genGo, after -gen auto is resolved
	env      envFlags
}

// envFlags is -env KEY=VALUE, repeatable: settings of every link
// container (LOG_REQUESTS=none, GOMAXPROCS=1, ...), to compare with the
// image's defaults.
type envFlags []string

func (e *envFlags) String() string { return strings.Join(*e, " ") }
func (e *envFlags) Set(v string) error {
	if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
		return fmt.Errorf("%q: want KEY=VALUE", v)
	}
	*e = append(*e, v)
	return nil
}

// Fixed parts of the method, printed with the flags.
const (
	warmup        = 2 * time.Second
	singleWarmup  = 500 * time.Millisecond
	singleWindow  = 3 * time.Second
	readyTimeout  = 30 * time.Second
	targetRatio   = 0.22
	targetPerHop  = 300 * time.Microsecond
	targetIdleMem = 8e6 // bytes: "8 MB"
)

func main() {
	var cfg config
	flag.IntVar(&cfg.clients, "c", 16, "concurrent keep-alive clients")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "measured window of each run (after a 2s warm-up)")
	flag.IntVar(&cfg.runs, "runs", 3, "runs, alternating 1 hop and 3 hops (medians are reported)")
	flag.StringVar(&cfg.image, "image", "chainctl/link:latest", "link image (make image builds it)")
	flag.Var(&cfg.env, "env", "KEY=VALUE for every link container, repeatable (default: the image's settings)")
	gen := flag.String("gen", "auto", "load generator: wrk, go (the built-in closed loop), or auto (wrk when installed)")
	flag.Parse()
	if cfg.clients < 1 || cfg.runs < 1 || cfg.duration <= 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: linkload [-c clients>=1] [-duration d>0] [-runs n>=1] [-gen auto|wrk|go] [-env KEY=VALUE]... [-image ref]")
		os.Exit(2)
	}
	var err error
	if cfg.gen, err = pickGenerator(*gen); err != nil {
		fmt.Fprintln(os.Stderr, "linkload:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, cfg, os.Stdout)
	stop()
	os.Exit(code)
}

// run sets up, measures, reports and cleans up; its result is the exit
// code: 0, 1 on an error, 130 when interrupted.
func run(ctx context.Context, cfg config, stdout io.Writer) (code int) {
	fail := func(err error) int {
		if ctx.Err() != nil {
			warnf("interrupted: %v", context.Cause(ctx))
			return 130
		}
		warnf("%v", err)
		return 1
	}
	if _, err := docker(ctx, "image", "inspect", "--format", "{{.Id}}", cfg.image); err != nil {
		return fail(fmt.Errorf("image %s: %w\nbuild it with: make image", cfg.image, err))
	}
	l, err := newLab(cfg.image)
	if err != nil {
		return fail(err)
	}
	l.env = cfg.env
	defer func() {
		if err := l.cleanup(); err != nil {
			warnf("%v", err)
			code = max(code, 1)
		}
	}()
	m, err := measure(ctx, cfg, l)
	if err != nil {
		return fail(err)
	}
	report(stdout, cfg, m)
	return 0
}

// measurements is everything the report shows.
type measurements struct {
	one, three             []result // -c clients, one per run
	singleOne, singleThree []result // one client
	idleMem                float64  // docker stats of x1 before any load, bytes
	afterMem, afterMemA    float64  // x1 and a (the busiest hop) after the load
	idleRSS                rss      // zero when /proc is not the Docker host's
	afterRSS, afterRSSA    rss
	hops                   string // pooled and closed hop connections, or ""
	cpuKnown               bool
	nproc, engine, goVer   string
	imageID                string
}

func measure(ctx context.Context, cfg config, l *lab) (*measurements, error) {
	m := &measurements{
		nproc:  commandLine("nproc"),
		engine: commandLine("docker", "version", "--format", "{{.Server.Version}}"),
		goVer:  commandLine("go", "env", "GOVERSION"),
	}
	m.imageID, _ = docker(ctx, "image", "inspect", "--format", "{{.Id}}", cfg.image)
	warnf("%s: network %s, containers x1 and a → b → c; load generator: %s", l.id, l.network, cfg.gen)
	if err := l.createNetwork(ctx); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		svc, next string
		publish   bool
	}{{"x1", "", true}, {"c", "", false}, {"b", "c:8080", false}, {"a", "b:8080", true}} {
		if err := l.runLink(ctx, c.svc, c.next, c.publish); err != nil {
			return nil, err
		}
	}
	url1, err := l.hostURL(ctx, "x1")
	if err != nil {
		return nil, err
	}
	url3, err := l.hostURL(ctx, "a")
	if err != nil {
		return nil, err
	}
	if err := waitChain(ctx, url1, []string{"x1"}, readyTimeout); err != nil {
		return nil, fmt.Errorf("1 hop: %w", err)
	}
	if err := waitChain(ctx, url3, []string{"a", "b", "c"}, readyTimeout); err != nil {
		return nil, fmt.Errorf("3 hops: %w", err)
	}
	warnf("ready: 1 hop at %s, 3 hops at %s", url1, url3)

	pids := map[string]int{}
	var ids []string
	var linkPIDs []int
	for _, svc := range []string{"x1", "a", "b", "c"} {
		id, pid, err := l.inspect(ctx, svc)
		if err != nil {
			return nil, err
		}
		pids[svc] = pid
		ids = append(ids, id)
		linkPIDs = append(linkPIDs, pid)
	}
	procs := findProcs(linkPIDs, ids, []string{port(url1), port(url3)})
	_, err = os.Stat(fmt.Sprintf("/proc/%d/stat", pids["x1"]))
	m.cpuKnown = err == nil

	// Idle: after the readiness probe, before any load.
	if m.idleMem, err = l.memUsage(ctx, "x1"); err != nil {
		return nil, err
	}
	m.idleRSS = vmRSS(pids["x1"])

	for r := 1; r <= cfg.runs; r++ {
		for _, step := range []struct {
			name    string
			url     string
			clients int
			warm    time.Duration
			window  time.Duration
			out     *[]result
		}{
			{"1 hop", url1, cfg.clients, warmup, cfg.duration, &m.one},
			{"3 hops", url3, cfg.clients, warmup, cfg.duration, &m.three},
			{"1 hop, 1 client", url1, 1, singleWarmup, singleWindow, &m.singleOne},
			{"3 hops, 1 client", url3, 1, singleWarmup, singleWindow, &m.singleThree},
		} {
			gen := load
			if cfg.gen == genWrk {
				gen = loadWrk
			}
			res, err := gen(ctx, step.url+"/", step.clients, step.warm, step.window, procs.snapshot)
			if err != nil {
				return nil, fmt.Errorf("run %d, %s: %w", r, step.name, err)
			}
			*step.out = append(*step.out, res)
			warnf("run %d/%d, %-16s %8.0f req/s  p50 %s  p90 %s  p99 %s  errors %d/%d  connections %d%s",
				r, cfg.runs, step.name+":", res.rps(), msec(res.p50), msec(res.p90), msec(res.p99),
				res.errors, res.requests, res.connections, firstErr(res))
		}
	}

	if ea, ta, ok := hopConns(pids["a"]); ok {
		eb, tb, _ := hopConns(pids["b"])
		m.hops = fmt.Sprintf("a → b: %d pooled, %d closed (TIME-WAIT); b → c: %d pooled, %d closed", ea, ta, eb, tb)
	}
	if m.afterMem, err = l.memUsage(ctx, "x1"); err != nil {
		return nil, err
	}
	m.afterRSS = vmRSS(pids["x1"])
	if m.afterMemA, err = l.memUsage(ctx, "a"); err != nil {
		return nil, err
	}
	m.afterRSSA = vmRSS(pids["a"])
	return m, nil
}

func firstErr(r result) string {
	if r.firstErr == "" {
		return ""
	}
	return "  first error: " + r.firstErr
}

// port is the port of a base URL.
func port(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return u.Port()
}

// rss is a process's resident set, in bytes: total (VmRSS) = anon + file
// (+ shmem); the file part is the mapped binary, shared page cache.
type rss struct{ total, anon, file float64 }

// vmRSS reads a process's /proc/<pid>/status; zero when unreadable.
func vmRSS(pid int) rss {
	var r rss
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return r
	}
	for _, line := range strings.Split(string(b), "\n") {
		key, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
		if err != nil {
			continue
		}
		switch key {
		case "VmRSS":
			r.total = kb * 1024
		case "RssAnon":
			r.anon = kb * 1024
		case "RssFile":
			r.file = kb * 1024
		}
	}
	return r
}
