// The probe load: a few requests a second through the entry (internal/loadgen, open loop) that the page starts and stops, counted into the strip chart.

package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chainctl/chainctl/internal/link"
	"github.com/chainctl/chainctl/internal/loadgen"
)

// probeTimeout is one probe request's budget.
const probeTimeout = 2 * time.Second

// probe is the load and its strip chart.
type probe struct {
	s     *Server
	strip strip

	op sync.Mutex // one start or stop at a time

	mu      sync.Mutex // guards what follows
	running bool
	entry   string
	url     string
	link    bool
	cancel  context.CancelFunc
	done    chan struct{}

	host      atomic.Pointer[string] // where the requests go now (the entry's port may move)
	resolving atomic.Bool
}

func newProbe(s *Server) *probe { return &probe{s: s} }

// probeMsg is the strip chart as the page draws it.
type probeMsg struct {
	Running   bool      `json:"running"`
	Entry     string    `json:"entry,omitempty"`
	URL       string    `json:"url,omitempty"`
	Link      bool      `json:"link"` // the entry answers link trees: a failure names the hop
	Rate      float64   `json:"rate"`
	Now       int64     `json:"now"`
	Buckets   []Bucket  `json:"buckets"`
	LastError string    `json:"last_error,omitempty"`
	LastAt    time.Time `json:"last_error_at,omitzero"`
}

func (p *probe) snapshot(now time.Time) probeMsg {
	p.mu.Lock()
	m := probeMsg{Running: p.running, Entry: p.entry, URL: p.url, Link: p.link, Rate: p.s.o.ProbeRate, Now: now.Unix()}
	p.mu.Unlock()
	m.Buckets = p.strip.window(now)
	m.LastError, m.LastAt = p.strip.lastFailure()
	return m
}

func (p *probe) publish() { p.s.hub.set(kindProbe, p.snapshot(time.Now())) }

// start finds the entry's URL and starts the load (a second start is
// nothing); it runs until stop, or until base ends.
func (p *probe) start(ctx, base context.Context) (probeMsg, error) {
	p.op.Lock()
	defer p.op.Unlock()
	p.mu.Lock()
	running := p.running
	p.mu.Unlock()
	if running {
		return p.snapshot(time.Now()), nil
	}
	entry, raw, err := p.s.o.Engine.Endpoint(ctx, p.s.o.Project, "")
	if err != nil {
		return probeMsg{}, fmt.Errorf("no entry to send the probe to: %w", err)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return probeMsg{}, fmt.Errorf("the entry %s's address %q is no URL", entry, raw)
	}
	host := u.Host
	p.host.Store(&host)
	client := &http.Client{Transport: &rehost{p: p, base: &http.Transport{
		Proxy: nil, DialContext: (&net.Dialer{Timeout: probeTimeout}).DialContext,
		MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second, DisableCompression: true,
	}}}
	isLink := answersTrees(ctx, client, raw)
	rctx, cancel := context.WithCancel(base)
	done := make(chan struct{})
	p.mu.Lock()
	p.running, p.entry, p.url, p.link, p.cancel, p.done = true, entry, raw, isLink, cancel, done
	p.mu.Unlock()
	o := loadgen.Options{URL: raw, Rate: p.s.o.ProbeRate, Timeout: probeTimeout, Client: client, Link: isLink, Start: time.Now()}
	if isLink {
		o.Entry = entry
	}
	go p.run(rctx, o, done)
	p.s.logf("probe load started: %g requests/s to %s (%s)", o.Rate, entry, raw)
	m := p.snapshot(time.Now())
	p.s.hub.set(kindProbe, m)
	return m, nil
}

// run is the load, and the strip chart sent to the pages every second.
func (p *probe) run(ctx context.Context, o loadgen.Options, done chan struct{}) {
	defer close(done)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				p.publish()
			}
		}
	}()
	_, _ = loadgen.Run(ctx, o, func(r loadgen.Result) {
		failure := r.Error
		if r.Hop != "" {
			failure = r.Hop + ": " + r.Error
		}
		p.strip.add(o.Start.Add(r.Due), r.OK, r.Latency, failure)
		if !r.OK && r.Status == 0 && r.Error != loadgen.Saturated {
			p.reresolve(ctx)
		}
	})
	wg.Wait()
	o.Client.CloseIdleConnections()
}

// stop ends the load and waits for its requests in flight (at most
// probeTimeout).
func (p *probe) stop() probeMsg {
	p.op.Lock()
	defer p.op.Unlock()
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
		p.mu.Lock()
		p.running, p.cancel, p.done = false, nil, nil
		p.mu.Unlock()
		p.s.logf("probe load stopped")
	}
	m := p.snapshot(time.Now())
	p.s.hub.set(kindProbe, m)
	return m
}

// reresolve asks the engine again where the entry is, once at a time: a
// container that was killed and started again may publish another port.
func (p *probe) reresolve(ctx context.Context) {
	if !p.resolving.CompareAndSwap(false, true) {
		return
	}
	p.mu.Lock()
	entry := p.entry
	p.mu.Unlock()
	go func() {
		defer time.AfterFunc(time.Second, func() { p.resolving.Store(false) }) // at most once a second
		cctx, cancel := context.WithTimeout(ctx, probeTimeout)
		defer cancel()
		if _, raw, err := p.s.o.Engine.Endpoint(cctx, p.s.o.Project, entry); err == nil {
			if u, err := url.Parse(raw); err == nil && u.Host != "" {
				host := u.Host
				p.host.Store(&host)
			}
		}
	}()
}

// rehost sends each request to where the entry is now.
type rehost struct {
	p    *probe
	base *http.Transport
}

func (t *rehost) RoundTrip(r *http.Request) (*http.Response, error) {
	if h := t.p.host.Load(); h != nil && *h != r.URL.Host {
		r = r.Clone(r.Context())
		r.URL.Host, r.Host = *h, *h
	}
	return t.base.RoundTrip(r)
}

func (t *rehost) CloseIdleConnections() { t.base.CloseIdleConnections() }

// answersTrees says whether the entry is a link service (its answer a
// tree, which names the hop that failed); an entry that does not answer
// now is taken for a plain HTTP service.
func answersTrees(ctx context.Context, c *http.Client, raw string) bool {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return false
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var n link.Node
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return err == nil && json.Unmarshal(body, &n) == nil && n.Service != ""
}
