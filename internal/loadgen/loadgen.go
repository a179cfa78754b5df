// Package loadgen is chainctl's open-loop HTTP load generator: requests go
// out on a fixed schedule (request i is due at Start + i/Rate) whatever the
// answers, and each one's latency counts from when it was due, so a system
// that slows down is never excused by a generator that waits for it (no
// coordinated omission). Experiments and the live dashboard read its
// Results; with Link set, a failure names the hop of the link tree where
// the chain broke.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chainctl/chainctl/internal/link"
)

// DefaultTimeout is a request's timeout when Options.Timeout is 0.
const DefaultTimeout = 2 * time.Second

// Saturated is the Error of a request that was due while MaxInFlight
// requests were still waiting for their answers: it was never sent, so
// that the schedule did not slip.
const Saturated = "load generator saturated"

// Options say what to load and how hard.
type Options struct {
	URL      string
	Rate     float64       // requests per second, > 0
	Duration time.Duration // how long the schedule runs; 0: until ctx ends
	Timeout  time.Duration // per request, from its send; 0: DefaultTimeout
	// Client sends the requests; nil: one of Run's own, with keep-alive
	// and enough idle connections for every request in flight, closed
	// when Run returns.
	Client *http.Client
	// Link asks for the link tree (Accept: application/json, and the
	// timeout as the chain's budget) and reads it: a request is OK when
	// every hop answered, and a failure names the hop that broke.
	Link bool
	// Entry names the service behind URL, for the failures where it did
	// not answer at all; "": the name the last tree gave, if any.
	Entry string
	// Start is the schedule's zero; zero value: now. A Start in the past
	// sends the requests already due at once, late (and their latency
	// says so); one in the future waits for it.
	Start time.Time
	// MaxInFlight bounds the requests waiting for an answer; 0: Rate ×
	// Timeout (what an entry that never answers keeps in flight) + 25 % +
	// 16. A request due while the bound is reached is recorded as failed
	// (Error Saturated), not sent late.
	MaxInFlight int
}

// Result is what became of one request. Durations are offsets from
// Options.Start. A request the generator gave up (Error Saturated) was
// never sent: its Sent is when it was given up and its Latency is no
// answer's; leave such results out of latency figures.
type Result struct {
	Seq     int
	Due     time.Duration // Seq / Rate: when it was due
	Sent    time.Duration // when it went out (Sent - Due is the generator's lag)
	Latency time.Duration // from Due to the whole answer read, or to the failure (a timeout's is ≥ Timeout)
	Status  int           // HTTP status; 0 when nothing answered
	OK      bool          // 2xx; with Link, 200 and every hop of the tree answered
	Hop     string        // with Link, the failed hop (deepest first); "" when OK
	Error   string        // short reason ("timeout", "no such host", ...); "" when OK
}

// Stats sum up a run.
type Stats struct {
	Sent      int // requests that went out
	Saturated int // due but not sent: the MaxInFlight bound was reached
	Done      int // results recorded: Sent + Saturated when Run returns
	OK        int
	// AchievedRate is Sent over the time from Start to the last send,
	// plus one interval (1/Rate): a schedule kept exactly gives Rate.
	AchievedRate float64
	// The generator's lag, Sent - Due, over the requests sent.
	LagP50, LagP99, LagMax time.Duration
}

// Run sends GET requests to o.URL on schedule until o.Duration is over or
// ctx ends, then waits for the requests in flight to be answered or to
// time out (ctx does not cut them short), and returns. record, if not nil,
// is called once per request, after its answer or its failure, from the
// goroutine that made it; calls are serialised (never two at once, so it
// needs no lock of its own), in the order the requests end, not by Seq.
// A slow record holds its request's place in MaxInFlight until it returns.
// The error is for Options that cannot run; nothing was sent then.
func Run(ctx context.Context, o Options, record func(Result)) (Stats, error) {
	g, err := newGen(o, record)
	if err != nil {
		return Stats{}, err
	}
	if o.Client == nil {
		defer g.client.CloseIdleConnections()
	}
	g.schedule(ctx)
	g.inflight.Wait()
	return g.stats(), nil
}

// gen is one Run: the options, the template request and what the
// requests have added up to.
type gen struct {
	o        Options
	start    time.Time
	interval float64 // nanoseconds between two requests
	client   *http.Client
	req      *http.Request // cloned for every send
	reqCtx   context.Context
	slots    chan struct{} // one per request in flight
	inflight sync.WaitGroup
	entry    atomic.Pointer[string] // the entry's name, from a tree

	mu     sync.Mutex // serialises record, guards what follows
	record func(Result)
	sum    summary
}

func newGen(o Options, record func(Result)) (*gen, error) {
	if !(o.Rate > 0) || math.IsInf(o.Rate, 1) {
		return nil, fmt.Errorf("load: rate %v: want a positive number of requests per second", o.Rate)
	}
	if o.Duration < 0 || o.Timeout < 0 || o.MaxInFlight < 0 {
		return nil, errors.New("load: duration, timeout and max in flight cannot be negative")
	}
	req, err := http.NewRequest(http.MethodGet, o.URL, nil)
	if err != nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") || req.URL.Host == "" {
		return nil, fmt.Errorf("load: URL %q: want http://host:port/path", o.URL)
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = int(math.Ceil(o.Rate*o.Timeout.Seconds()*1.25)) + 16
	}
	if o.Start.IsZero() {
		o.Start = time.Now()
	}
	g := &gen{
		o:        o,
		start:    o.Start,
		interval: 1e9 / o.Rate,
		client:   o.Client,
		req:      req,
		slots:    make(chan struct{}, o.MaxInFlight),
		record:   record,
		sum:      summary{lags: newHistogram()},
	}
	if g.client == nil {
		g.client = defaultClient(o.MaxInFlight)
	}
	if o.Link {
		g.req.Header.Set("Accept", "application/json")
		g.req.Header.Set(link.HeaderBudget, fmt.Sprint(o.Timeout.Milliseconds()))
	}
	if o.Entry != "" {
		g.entry.Store(&o.Entry)
	}
	return g, nil
}

// due is when request i is due, from Start (at the latest, in 292 years).
func (g *gen) due(i int) time.Duration {
	if ns := math.Round(float64(i) * g.interval); ns < math.MaxInt64 {
		return time.Duration(ns)
	}
	return math.MaxInt64
}

// schedule sends every request when it is due: it sleeps until the next
// due time, and when it wakes late it sends all that are due at once. It
// never waits for an answer; it ends with the Duration or ctx.
func (g *gen) schedule(ctx context.Context) {
	// Requests outlive ctx: they end with their answer or their timeout.
	g.reqCtx = context.WithoutCancel(ctx)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for i := 0; ; i++ {
		due := g.due(i)
		if g.o.Duration > 0 && due >= g.o.Duration {
			return
		}
		if !g.sleep(ctx, timer, due) {
			return
		}
		g.launch(i, due)
	}
}

// fineSleep is the last stretch of a wait, slept with preciseSleep: the
// runtime's timer may wake a whole millisecond late, so it is set to
// wake this much early.
const fineSleep = 2 * time.Millisecond

// sleep waits until offset due, or returns false when ctx ends first. The
// wait is a timer until fineSleep before due (while ctx can end it), then
// preciseSleep.
func (g *gen) sleep(ctx context.Context, timer *time.Timer, due time.Duration) bool {
	wait := due - time.Since(g.start)
	if wait <= 0 {
		return ctx.Err() == nil
	}
	if coarse := wait - fineSleep; coarse > 0 {
		timer.Reset(coarse)
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
		}
	} else if ctx.Err() != nil {
		return false
	}
	// The requests just launched go out before this goroutine holds its
	// thread (and its P) in a sleep.
	runtime.Gosched()
	preciseSleep(due - time.Since(g.start))
	return true
}

// launch sends request seq in a goroutine of its own, or records it as
// Saturated when MaxInFlight requests are still out.
func (g *gen) launch(seq int, due time.Duration) {
	g.inflight.Add(1)
	select {
	case g.slots <- struct{}{}:
		go func() {
			defer g.inflight.Done()
			sent := time.Since(g.start)
			r := g.do(seq, due, sent)
			g.finish(r, true)
			<-g.slots
		}()
	default:
		// Recorded from a goroutine too, so that a slow record never
		// holds up the schedule.
		now := time.Since(g.start)
		go func() {
			defer g.inflight.Done()
			g.finish(Result{Seq: seq, Due: due, Sent: now, Latency: now - due, Error: Saturated}, false)
		}()
	}
}

// finish adds r to the stats and records it.
func (g *gen) finish(r Result, sent bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sum.add(r, sent)
	if g.record != nil {
		g.record(r)
	}
}

func (g *gen) stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sum.stats(g.interval)
}
