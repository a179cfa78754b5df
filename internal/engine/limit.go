// An adaptive bound on the engine calls of one kind in flight at once.

package engine

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"
)

// Limiter bounds how many calls of one kind (starts, creates, removals)
// chainctl has in flight on the engine, and moves the bound with the
// latency it measures, the way TCP moves its window (AIMD):
//
//   - the fastest call seen is the engine's unloaded latency;
//   - a call that took more than Tolerance times that, or ran out of time,
//     says the engine queues: the bound is cut to Backoff of itself, once
//     per round (calls already in flight at a cut do not cut it again);
//   - otherwise the bound grows: by one per call until the first cut
//     (slow start), then by one per bound's worth of calls.
//
// A dockerd on 2 cores runs starts mostly one after another, so 200 sent at
// once only queue until the last ones run out of time; a bounded queue in
// chainctl gets the same throughput without a call waiting 30 s.
type Limiter struct {
	// Min and Max bound the bound.
	Min, Max int
	// Tolerance is how many times the fastest latency a call may take
	// before it counts as the engine queueing.
	Tolerance float64
	// Floor is the latency below which no call counts as queueing
	// whatever the fastest one was: a 40 ms start is not congestion.
	Floor time.Duration
	// Backoff is what a cut keeps of the bound.
	Backoff float64
	// Now is the clock (time.Now unless a test sets it).
	Now func() time.Time

	mu       sync.Mutex
	limit    float64
	inFlight int
	fastest  time.Duration
	lastCut  time.Time
	cut      bool // slow start has ended
	waiters  []chan struct{}
	peak     int
	cuts     int
}

// NewLimiter is a limiter that starts at initial calls in flight.
func NewLimiter(initial, lo, hi int) *Limiter {
	return &Limiter{Min: lo, Max: hi, Tolerance: 4, Floor: 500 * time.Millisecond, Backoff: 0.7, Now: time.Now, limit: float64(initial)}
}

// Do runs fn once a slot is free, and learns from how long it took. An
// error that says the call ran out of time counts as queueing; any other
// error is the call's own and teaches nothing. ctx bounds only the wait for
// a slot; fn gets its own context from the caller.
func (l *Limiter) Do(ctx context.Context, fn func() error) error {
	if l == nil {
		return fn()
	}
	if err := l.acquire(ctx); err != nil {
		return err
	}
	start := l.Now()
	err := fn()
	l.release(start, l.Now().Sub(start), errors.Is(err, context.DeadlineExceeded))
	return err
}

func (l *Limiter) acquire(ctx context.Context) error {
	l.mu.Lock()
	if l.inFlight < l.bound() && len(l.waiters) == 0 {
		l.take()
		l.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	l.waiters = append(l.waiters, ch)
	l.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		select {
		case <-ch: // handed a slot as ctx ended: give it back
			l.inFlight--
			l.wake()
		default:
			for i, w := range l.waiters {
				if w == ch {
					l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
					break
				}
			}
		}
		return ctx.Err()
	}
}

// take counts one more call in flight; l.mu is held.
func (l *Limiter) take() {
	l.inFlight++
	l.peak = max(l.peak, l.inFlight)
}

// bound is the whole number of calls allowed now; l.mu is held.
func (l *Limiter) bound() int {
	return min(max(int(math.Floor(l.limit)), l.Min, 1), max(l.Max, 1))
}

func (l *Limiter) release(start time.Time, took time.Duration, timedOut bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inFlight--
	if !timedOut && (l.fastest == 0 || took < l.fastest) {
		l.fastest = took
	}
	queued := timedOut || took > l.Floor && float64(took) > l.Tolerance*float64(l.fastest)
	switch {
	case queued && start.After(l.lastCut):
		l.limit = max(float64(l.Min), l.limit*l.Backoff)
		l.lastCut, l.cut = l.Now(), true
		l.cuts++
	case queued:
		// in flight when the bound was last cut: that cut already counted it
	case !l.cut:
		l.limit++
	default:
		l.limit += 1 / l.limit
	}
	l.limit = min(l.limit, float64(max(l.Max, 1)))
	l.wake()
}

// wake hands free slots to the waiters in arrival order; l.mu is held.
func (l *Limiter) wake() {
	for len(l.waiters) > 0 && l.inFlight < l.bound() {
		ch := l.waiters[0]
		l.waiters = l.waiters[1:]
		l.take()
		close(ch)
	}
}

// LimiterStats is what a limiter saw: for the bench and the debug log.
type LimiterStats struct {
	Limit, Peak, Cuts int
	Fastest           time.Duration
}

// Stats reports the bound now, the most calls that were in flight at
// once, how many times the bound was cut, and the fastest call.
func (l *Limiter) Stats() LimiterStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return LimiterStats{Limit: l.bound(), Peak: l.peak, Cuts: l.cuts, Fastest: l.fastest}
}
