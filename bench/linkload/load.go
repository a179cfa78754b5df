// The Go load generator: closed-loop keep-alive clients, warm-up then a measured window, latency percentiles.

package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is one measured window of a closed-loop load.
type result struct {
	requests    int           // completed inside the window, errors included
	errors      int           // non-200 answers and transport errors
	firstErr    string        // what the first error said
	elapsed     time.Duration // the window
	p50         time.Duration // of every request completed in the window
	p90         time.Duration
	p99         time.Duration
	connections int64 // TCP connections the load generator opened, warm-up included
	cpu         cpuDelta
}

func (r result) rps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// Phases of a load: warm-up answers are not recorded; in the window they
// are; after it the clients stop sending.
const (
	phaseWarmup int32 = iota
	phaseWindow
	phaseDone
)

// load runs a closed loop on url: clients keep-alive clients, each sending
// its next GET as soon as the previous answer is read, for warmup then
// window. Each load has its own http.Client and Transport, with an idle
// connection kept per client. snap is called at both ends of the window.
func load(ctx context.Context, url string, clients int, warmup, window time.Duration, snap func() cpuSnapshot) (result, error) {
	var dials atomic.Int64
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return dialer.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        clients,
		MaxIdleConnsPerHost: clients,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	var phase atomic.Int32
	type worker struct {
		lat      []time.Duration
		errors   int
		firstErr string
	}
	workers := make([]worker, clients)
	var wg sync.WaitGroup
	for i := range workers {
		w := &workers[i]
		w.lat = make([]time.Duration, 0, 1<<14)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && phase.Load() != phaseDone {
				start := time.Now()
				err := get(ctx, client, url)
				took := time.Since(start)
				if phase.Load() != phaseWindow {
					continue
				}
				w.lat = append(w.lat, took)
				if err != nil {
					if w.errors == 0 {
						w.firstErr = err.Error()
					}
					w.errors++
				}
			}
		}()
	}

	var res result
	wait := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	if wait(warmup) {
		before := snap()
		t0 := time.Now()
		phase.Store(phaseWindow)
		if wait(window) {
			phase.Store(phaseDone)
			res.elapsed = time.Since(t0)
			res.cpu = snap().sub(before)
		}
	}
	phase.Store(phaseDone)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return result{}, err
	}

	var all []time.Duration
	for _, w := range workers {
		all = append(all, w.lat...)
		res.errors += w.errors
		if res.firstErr == "" {
			res.firstErr = w.firstErr
		}
	}
	res.requests = len(all)
	slices.Sort(all)
	res.p50, res.p90, res.p99 = percentile(all, 0.50), percentile(all, 0.90), percentile(all, 0.99)
	res.connections = dials.Load()
	return res, nil
}

// get sends one GET and reads the whole answer; anything but 200 is an error.
func get(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// percentile is the nearest-rank percentile of sorted samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(float64(len(sorted))*p)) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
