// The chain a → b → c as a chainctl project: up, down, whole chainctl processes, and calls that read each hop's time.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// chain is one chainctl project: a publishes its 8080 on a loopback port
// the engine picks, b calls c, healthchecks off (their probes would be
// engine work in the measurement).
type chain struct {
	bin, project, file string
	url                string // a's published endpoint, ?format=json
	http               *http.Client
}

func newChain(bin, project, dir string) *chain {
	return &chain{bin: bin, project: project, file: filepath.Join(dir, project+".yaml"),
		http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			Proxy: nil, MaxIdleConnsPerHost: 2, DisableCompression: true}}}
}

func (c *chain) topology() string {
	return "name: " + c.project + `
services:
  a: {image: ` + linkImage + `, calls: [b], ports: ["8080"], healthcheck: {disable: true}}
  b: {image: ` + linkImage + `, calls: [c], healthcheck: {disable: true}}
  c: {image: ` + linkImage + `, healthcheck: {disable: true}}
`
}

// up brings the chain up and waits until a call goes through it.
func (c *chain) up(ctx context.Context) error {
	if err := os.WriteFile(c.file, []byte(c.topology()), 0o644); err != nil {
		return err
	}
	if _, err := c.ctl(ctx, "up", "-q", c.file); err != nil {
		return err
	}
	out, err := c.ctl(ctx, "ps", "-p", c.project, "--json")
	if err != nil {
		return err
	}
	var rows []struct {
		Service   string   `json:"service"`
		Endpoints []string `json:"endpoints"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		return fmt.Errorf("ps --json: %w: %s", err, out)
	}
	for _, r := range rows {
		if r.Service == "a" && len(r.Endpoints) > 0 && strings.HasPrefix(r.Endpoints[0], "http://127.0.0.1:") {
			c.url = r.Endpoints[0] + "/?format=json"
		}
	}
	if c.url == "" {
		return fmt.Errorf("a publishes no loopback endpoint: %s", out)
	}
	var last error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, last = c.call(ctx); last == nil || ctx.Err() != nil {
			return last
		}
	}
	return fmt.Errorf("the chain does not answer at %s: %w", c.url, last)
}

// down removes the project, on a context of its own: it runs after an
// interrupt too.
func (c *chain) down() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.ctl(ctx, "down", "-q", "-p", c.project)
	return err
}

// ctl runs one chainctl process and returns its stdout; an exit other than
// 0 is an error that quotes what it said.
func (c *chain) ctl(ctx context.Context, args ...string) (string, error) {
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", c.bin, strings.Join(args, " "),
			err, strings.TrimSpace(errb.String()+" "+out.String()))
	}
	return out.String(), nil
}

// timed runs one chainctl process and returns its wall time.
func (c *chain) timed(ctx context.Context, args ...string) (time.Duration, error) {
	start := time.Now()
	_, err := c.ctl(ctx, args...)
	return time.Since(start), err
}

// node is one hop of the chain tree a link answers with.
type node struct {
	Service string  `json:"service"`
	TookMS  float64 `json:"took_ms"`
	Status  int     `json:"status"`
	Error   string  `json:"error"`
	Calls   []*node `json:"calls"`
}

// hops is one call's time on each hop, in ms: ab is a's time less b's (a's
// own work and its call to b), bc b's less c's (b's work and its call to c,
// where a fault on c acts).
type hops struct{ ab, bc float64 }

// call sends one request through the chain on the kept-alive connection.
func (c *chain) call(ctx context.Context) (hops, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return hops{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return hops{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return hops{}, err
	}
	var a node
	if err := json.Unmarshal(body, &a); err != nil {
		return hops{}, fmt.Errorf("HTTP %d: %w: %.200s", resp.StatusCode, err, body)
	}
	if resp.StatusCode != http.StatusOK || len(a.Calls) != 1 || len(a.Calls[0].Calls) != 1 {
		return hops{}, fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, body)
	}
	b := a.Calls[0]
	cc := b.Calls[0]
	if b.Service != "b" || cc.Service != "c" || b.Error != "" || cc.Error != "" || cc.Status != http.StatusOK {
		return hops{}, fmt.Errorf("the chain broke: %.300s", body)
	}
	return hops{ab: a.TookMS - b.TookMS, bc: b.TookMS - cc.TookMS}, nil
}

// sideSamples are the hop times of one side (fault on, or off) of a
// comparison, gathered over its blocks.
type sideSamples struct {
	ab, bc samples
	failed int
}

// sample discards warm calls (the first calls after a fault goes on or off
// may meet a connection it reset), then records n calls into s, each gap
// after the end of the one before. A failed call is counted, not timed.
func (c *chain) sample(ctx context.Context, s *sideSamples, warm, n int, gap time.Duration) error {
	for i := 0; i < warm+n; i++ {
		if gap > 0 && i > 0 {
			select {
			case <-time.After(gap):
			case <-ctx.Done():
			}
		}
		h, err := c.call(ctx)
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if i < warm {
			continue
		}
		if err != nil {
			s.failed++
			if s.failed > n/2+2 {
				return fmt.Errorf("%d calls failed; the last: %w", s.failed, err)
			}
			continue
		}
		s.ab.add(h.ab)
		s.bc.add(h.bc)
	}
	return nil
}
