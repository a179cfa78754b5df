// Measuring tools for tests and benchmarks: Probe (fresh TCP connects), Serve and Fetch (a payload, to time a rate).

package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// ProbeResult counts N fresh connects.
type ProbeResult struct {
	OK     int         `json:"ok"`
	Failed int         `json:"failed"`
	Errors ProbeErrors `json:"errors"`
}

// ProbeErrors are the failed connects by kind.
type ProbeErrors struct {
	Timeout int `json:"timeout"`
	Refused int `json:"refused"`
	Other   int `json:"other"`
}

// ProbeOptions: N connects to Addr, each within Timeout, Interval apart,
// Concurrency at a time.
type ProbeOptions struct {
	Addr        string
	N           int
	Timeout     time.Duration
	Interval    time.Duration
	Concurrency int
}

// Probe opens N fresh TCP connections to Addr, closing each at once.
func Probe(ctx context.Context, o ProbeOptions) ProbeResult {
	var (
		mu  sync.Mutex
		res ProbeResult
		wg  sync.WaitGroup
	)
	sem := make(chan struct{}, max(o.Concurrency, 1))
	d := net.Dialer{Timeout: o.Timeout}
	for i := 0; i < o.N && ctx.Err() == nil; i++ {
		if i > 0 && o.Interval > 0 {
			select {
			case <-time.After(o.Interval):
			case <-ctx.Done():
			}
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, err := d.DialContext(ctx, "tcp", o.Addr)
			if err == nil {
				c.Close()
			}
			mu.Lock()
			defer mu.Unlock()
			res.count(err)
		}()
	}
	wg.Wait()
	return res
}

func (r *ProbeResult) count(err error) {
	var ne net.Error
	switch {
	case err == nil:
		r.OK++
		return
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		r.Errors.Timeout++
	case errors.Is(err, syscall.ECONNREFUSED):
		r.Errors.Refused++
	default:
		r.Errors.Other++
	}
	r.Failed++
}

// Serve writes n bytes to every connection on ln, then closes it, until
// ctx ends. What the peer sends is read and dropped.
func Serve(ctx context.Context, ln net.Listener, n int64) error {
	go func() { <-ctx.Done(); ln.Close() }()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("serve: %w", err)
		}
		go func() {
			defer c.Close()
			go io.Copy(io.Discard, c)
			io.CopyN(c, zeros{}, n)
		}()
	}
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// FetchResult is one download's size and time.
type FetchResult struct {
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	BPS     float64 `json:"bits_per_second"`
}

// Fetch connects to addr and reads until the server closes, within
// timeout. The clock starts at the connect.
func Fetch(ctx context.Context, addr string, timeout time.Duration) (FetchResult, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return FetchResult{}, fmt.Errorf("fetch %s: %w", addr, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	n, err := io.Copy(io.Discard, c)
	secs := time.Since(start).Seconds()
	res := FetchResult{Bytes: n, Seconds: secs, BPS: float64(n) * 8 / secs}
	if err != nil {
		return res, fmt.Errorf("fetch %s: after %d bytes: %w", addr, n, err)
	}
	return res, nil
}
