// Command loadbench measures chainctl's open-loop load generator
// (internal/loadgen): at each asked rate it reports the rate achieved, the
// scheduling lag (send time − due time), the latencies seen and this
// process's CPU per request (the generator's, and the target's too when
// it runs in this process), against two loopback targets: a link service
// in this process (net/http on 127.0.0.1), and bin/link run as a process
// (LISTEN=127.0.0.1:PORT, NAME=a, no NEXT) when `make build` has built
// it. It prints Markdown; it never passes or fails on time.
//
//	go run ./bench/loadbench [-rates 100,500,1000] [-duration 10s] [-warmup 1s] [-link bin/link] [-cpuprofile FILE]
//
// It sends traffic only to 127.0.0.1, stops by itself, and stops the link
// process it started at the end, on error and on Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/chainctl/chainctl/internal/link"
	"github.com/chainctl/chainctl/internal/loadgen"
)

// What the generator is asked to achieve (at 500/s).
const (
	targetRate  = 500
	targetError = 0.01
	targetLag   = time.Millisecond
)

func main() {
	rates := flag.String("rates", "100,500,1000", "asked rates, requests per second")
	duration := flag.Duration("duration", 10*time.Second, "measured run at each rate")
	warmup := flag.Duration("warmup", time.Second, "unmeasured run before each measured one")
	bin := flag.String("link", "bin/link", "the link binary to run as a target; skipped when missing")
	profile := flag.String("cpuprofile", "", "write this process's CPU profile to this file")
	flag.Parse()
	var asked []float64
	for _, s := range strings.Split(*rates, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || r <= 0 {
			fmt.Fprintf(os.Stderr, "loadbench: -rates: %q is not a positive rate\n", s)
			os.Exit(2)
		}
		asked = append(asked, r)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "loadbench: -cpuprofile: %v\n", err)
			os.Exit(2)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	if err := run(ctx, asked, *duration, *warmup, *bin); err != nil {
		fmt.Fprintf(os.Stderr, "loadbench: %v\n", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// target is a URL to load and how to stop what serves it.
type target struct {
	name string
	url  string
	stop func()
}

func run(ctx context.Context, rates []float64, duration, warmup time.Duration, bin string) error {
	fmt.Printf("loadbench %s: %s, GOMAXPROCS %d, %d CPUs; %v at each rate after %v of warm-up; Link on (each answer's tree read)\n\n",
		time.Now().Format("2006-01-02"), runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(), duration, warmup)
	targets := []func(context.Context) (target, error){inProcess}
	if _, err := os.Stat(bin); err == nil {
		targets = append(targets, func(ctx context.Context) (target, error) { return process(ctx, bin) })
	} else {
		fmt.Fprintf(os.Stderr, "loadbench: %s: %v; run `make build` to load it too\n", bin, err)
	}
	fmt.Println("| target | asked/s | sent | achieved/s | vs asked | lag p50 | lag p99 | lag max | latency p50 | p99 | max | not OK | saturated | CPU/request |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	var verdicts []string
	for _, start := range targets {
		t, err := start(ctx)
		if err != nil {
			return err
		}
		for _, rate := range rates {
			m, err := measure(ctx, t.url, rate, duration, warmup)
			if err != nil {
				t.stop()
				return err
			}
			fmt.Println(m.row(t.name))
			if rate == targetRate {
				verdicts = append(verdicts, m.verdict(t.name))
			}
		}
		t.stop()
	}
	fmt.Println()
	for _, v := range verdicts {
		fmt.Println(v)
	}
	return ctx.Err()
}

// inProcess serves a link service (NAME=a, no NEXT) on a loopback port of
// this process.
func inProcess(ctx context.Context) (target, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return target{}, err
	}
	cfg := link.Config{Name: "a", Instance: "inproc", Version: "dev", Timeout: 2 * time.Second, MaxHops: 16, LogRequests: "none", Listen: l.Addr().String()}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = link.New(cfg, io.Discard).Run(ctx, l)
	}()
	return target{"link in process", "http://" + l.Addr().String() + "/", func() { cancel(); <-done }}, nil
}

// process runs bin as a link service on a free loopback port, with the
// image's defaults otherwise (its request log goes to /dev/null), and
// waits for its /health.
func process(ctx context.Context, bin string) (target, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return target{}, err
	}
	addr := l.Addr().String()
	l.Close() // free again for the process; nothing else here takes ports
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "LISTEN="+addr, "NAME=a", "NEXT=")
	if err := cmd.Start(); err != nil {
		return target{}, err
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := link.Probe(ctx, "http://"+addr+"/health", time.Second)
		if err == nil {
			break
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			stop()
			return target{}, errors.Join(fmt.Errorf("%s on %s did not get healthy", bin, addr), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return target{"bin/link process", "http://" + addr + "/", stop}, nil
}

// measurement is one measured run.
type measurement struct {
	asked     float64
	st        loadgen.Stats
	latencies []time.Duration // of the requests sent
	notOK     int
	firstErr  string
	cpu       time.Duration // this process's CPU (user + system) over the run
}

func measure(ctx context.Context, url string, rate float64, duration, warmup time.Duration) (measurement, error) {
	o := loadgen.Options{URL: url, Rate: rate, Duration: warmup, Timeout: 2 * time.Second, Link: true}
	if _, err := loadgen.Run(ctx, o, nil); err != nil {
		return measurement{}, err
	}
	m := measurement{asked: rate, latencies: make([]time.Duration, 0, int(rate*duration.Seconds())+1)}
	o.Duration = duration
	before := cpuTime()
	// record is serialised by Run: no lock needed here.
	st, err := loadgen.Run(ctx, o, func(r loadgen.Result) {
		if r.Error != loadgen.Saturated {
			m.latencies = append(m.latencies, r.Latency)
		}
		if !r.OK {
			if m.notOK++; m.firstErr == "" {
				m.firstErr = r.Hop + ": " + r.Error
			}
		}
	})
	m.st, m.cpu = st, cpuTime()-before
	slices.Sort(m.latencies)
	return m, err
}

// cpuTime is the CPU this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// quantile is the nearest-rank q-quantile of sorted ds.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(q*float64(len(ds))+0.999999) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

func (m measurement) row(name string) string {
	notOK := strconv.Itoa(m.notOK)
	if m.firstErr != "" {
		notOK += " (" + m.firstErr + ")"
	}
	cpu := 0.0
	if m.st.Done > 0 {
		cpu = float64(m.cpu.Microseconds()) / float64(m.st.Done)
	}
	return fmt.Sprintf("| %s | %g | %d | %.1f | %+.2f %% | %s | %s | %s | %s | %s | %s | %s | %d | %.0f µs |",
		name, m.asked, m.st.Sent, m.st.AchievedRate, (m.st.AchievedRate/m.asked-1)*100,
		us(m.st.LagP50), us(m.st.LagP99), us(m.st.LagMax),
		us(quantile(m.latencies, 0.5)), us(quantile(m.latencies, 0.99)), us(quantile(m.latencies, 1)),
		notOK, m.st.Saturated, cpu)
}

func (m measurement) verdict(name string) string {
	off := m.st.AchievedRate/m.asked - 1
	say := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	return fmt.Sprintf("%s at %g/s: achieved %+.2f %% of asked (target within ±%g %%: %s); lag p99 %s (target ≤ %v: %s)",
		name, m.asked, off*100, targetError*100, say(off >= -targetError && off <= targetError), us(m.st.LagP99), targetLag, say(m.st.LagP99 <= targetLag))
}

// us writes d in milliseconds, to the microsecond.
func us(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d.Microseconds())/1000) }
