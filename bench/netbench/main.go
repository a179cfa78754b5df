// Command netbench measures chainctl's network faults on this machine in
// one run: how long setting and healing a fault takes (whole chainctl
// processes), how close an asked delay comes to the delay a call sees, what
// the delay relay costs at zero delay, and its throughput against the bare
// hop. It alternates what it compares, prints medians and p99 as markdown
// tables on stdout (progress on stderr), and never passes or fails on time.
// It removes everything it made, even when a step fails or it is
// interrupted.
//
//	go run ./bench/netbench -chainctl bin/chainctl
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/client"

	"github.com/chainctl/chainctl/internal/netfault"
)

const linkImage = "chainctl/link:latest"

// testLabel marks the containers and networks netbench makes itself (its
// own helpers, the throughput lab); the value is the run's name, so the
// cleanup removes this run's resources and nothing else.
const testLabel = "io.chainctl.test"

type config struct {
	chainctl   string
	rounds     int           // set/heal rounds per fault kind
	calls      int           // calls per side (fault on, off) per asked delay
	zeroCalls  int           // calls per side through the 1ns relay
	blocks     int           // on/off blocks the calls are split into
	fetches    int           // downloads per side (bare, relay)
	fetchBytes int64         // bytes per download
	max        time.Duration // the whole run's deadline
	only       map[string]bool
}

var sections = []string{"set", "delay", "zero", "rate"}

func main() {
	cfg := config{}
	var only string
	var fetchMiB int64
	flag.StringVar(&cfg.chainctl, "chainctl", "bin/chainctl", "chainctl binary")
	flag.IntVar(&cfg.rounds, "rounds", 15, "rounds of set and heal per fault kind (1)")
	flag.IntVar(&cfg.calls, "calls", 60, "calls through the chain per side (fault on, off, off with calls the delay apart) per asked delay (2)")
	flag.IntVar(&cfg.zeroCalls, "zero-calls", 400, "calls per side through the relay at 1ns delay (3)")
	flag.IntVar(&cfg.blocks, "blocks", 5, "alternating on/off blocks the calls of (2) and (3) are split into")
	flag.IntVar(&cfg.fetches, "fetches", 8, "downloads per side, bare and through the relay (4)")
	flag.Int64Var(&fetchMiB, "fetch-mib", 512, "MiB per download (4)")
	flag.DurationVar(&cfg.max, "max", 8*time.Minute, "deadline of the whole run; what is not measured by then is reported missing")
	flag.StringVar(&only, "only", strings.Join(sections, ","), "sections to run: set (1), delay (2), zero (3), rate (4)")
	flag.Parse()
	cfg.only = map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		cfg.only[strings.TrimSpace(s)] = true
	}
	if cfg.rounds < 1 || cfg.calls < 1 || cfg.zeroCalls < 1 || cfg.blocks < 1 || cfg.fetches < 1 || fetchMiB < 1 {
		fatalf("-rounds, -calls, -zero-calls, -blocks, -fetches and -fetch-mib want at least 1")
	}
	cfg.fetchBytes = fetchMiB << 20
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.max)
	defer cancel()
	code := 0
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "netbench: %v\n", err)
		code = 1
	}
	os.Exit(code)
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "netbench: "+format+"\n", args...)
	os.Exit(2)
}

// bench is one run: its name (nb-<random>, the chainctl project and the
// label value), the engine, the chain, and what was measured.
type bench struct {
	cfg   config
	cli   *client.Client
	name  string
	chain *chain
	res   results
}

func run(ctx context.Context, cfg config) error {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer cli.Close()
	for _, img := range []string{linkImage, netfault.Image} {
		if _, err := cli.ImageInspect(ctx, img); err != nil {
			return fmt.Errorf("image %s: %w: build it with `make image`", img, err)
		}
	}
	b := &bench{cfg: cfg, cli: cli, name: "nb-" + randomHex(4)}
	b.res.header = b.machine(ctx)
	dir, err := os.MkdirTemp("", "netbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b.chain = newChain(cfg.chainctl, b.name, dir)
	defer b.cleanup()
	fmt.Fprintf(os.Stderr, "netbench %s: up a → b → c\n", b.name)
	if err := b.chain.up(ctx); err != nil {
		return err
	}
	steps := []struct {
		key string
		fn  func(context.Context) error
	}{
		{"set", b.measureSetHeal},
		{"delay", b.measureDelay},
		{"zero", b.measureZero},
		{"rate", b.measureThroughput},
	}
	for _, s := range steps {
		if !cfg.only[s.key] {
			continue
		}
		if ctx.Err() != nil {
			b.res.notef("%s: not run: %v", s.key, context.Cause(ctx))
			continue
		}
		start := time.Now()
		if err := s.fn(ctx); err != nil {
			b.res.notef("%s: stopped: %v", s.key, err)
		}
		fmt.Fprintf(os.Stderr, "netbench %s: %s done in %.1fs\n", b.name, s.key, time.Since(start).Seconds())
	}
	b.res.print(os.Stdout, cfg)
	return nil
}

// machine is the header line: the date, the cores, the memory, the engine.
func (b *bench) machine(ctx context.Context) string {
	s := time.Now().Format("2006-01-02") + ", " + runtime.Version()
	info, err := b.cli.Info(ctx)
	if err != nil {
		return s
	}
	return fmt.Sprintf("%s, %d cores, %.0f GiB, Docker Engine %s (API %s, %s), kernel %s, %s",
		time.Now().Format("2006-01-02"), info.NCPU, float64(info.MemTotal)/(1<<30), info.ServerVersion,
		b.cli.ClientVersion(), info.Driver, info.KernelVersion, runtime.Version())
}

func randomHex(n int) string {
	p := make([]byte, n)
	_, _ = rand.Read(p)
	return hex.EncodeToString(p)
}
