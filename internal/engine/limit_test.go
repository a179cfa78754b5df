// Tests of the adaptive limiter's arithmetic, on a clock the test moves.

package engine

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestLimiter(initial, lo, hi int) (*Limiter, *fakeClock) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	l := NewLimiter(initial, lo, hi)
	l.Now = clk.now
	return l, clk
}

// call runs one call that takes d on the fake clock.
func call(t *testing.T, l *Limiter, clk *fakeClock, d time.Duration, err error) {
	t.Helper()
	got := l.Do(context.Background(), func() error { clk.advance(d); return err })
	if !errors.Is(got, err) {
		t.Fatalf("Do returned %v, want %v", got, err)
	}
}

func TestLimiterSlowStartThenCut(t *testing.T) {
	l, clk := newTestLimiter(4, 2, 64)
	for i := 0; i < 6; i++ {
		call(t, l, clk, 100*time.Millisecond, nil)
	}
	if got := l.Stats().Limit; got != 10 {
		t.Fatalf("after 6 fast calls in slow start the bound is %d, want 10", got)
	}
	call(t, l, clk, 2*time.Second, nil) // 20 times the fastest, above the floor
	st := l.Stats()
	if st.Limit != 7 || st.Cuts != 1 || st.Fastest != 100*time.Millisecond {
		t.Fatalf("after a slow call: %+v, want bound 7 (10 × 0.7), 1 cut, fastest 100ms", st)
	}
	// After the cut, growth is one per bound's worth of calls.
	for i := 0; i < 7; i++ {
		call(t, l, clk, 100*time.Millisecond, nil)
	}
	if got := l.Stats().Limit; got != 7 && got != 8 {
		t.Fatalf("after 7 fast calls past the cut the bound is %d, want 7 or 8", got)
	}
}

func TestLimiterFloorAndTimeouts(t *testing.T) {
	l, clk := newTestLimiter(8, 2, 64)
	call(t, l, clk, 10*time.Millisecond, nil)
	call(t, l, clk, 400*time.Millisecond, nil) // 40×, but under the floor: not queueing
	if st := l.Stats(); st.Cuts != 0 || st.Limit != 10 {
		t.Fatalf("a call under the floor cut the bound: %+v", st)
	}
	call(t, l, clk, 5*time.Millisecond, context.DeadlineExceeded)
	if st := l.Stats(); st.Cuts != 1 || st.Limit != 7 || st.Fastest != 10*time.Millisecond {
		t.Fatalf("a call that ran out of time: %+v, want one cut to 7, fastest unchanged", st)
	}
	for i := 0; i < 10; i++ {
		clk.advance(time.Second)
		call(t, l, clk, time.Minute, context.DeadlineExceeded)
	}
	if st := l.Stats(); st.Limit != 2 {
		t.Fatalf("the bound fell below Min: %+v", st)
	}
}

// One cut per round: the calls in flight when the bound was cut do not cut
// it again when they finish late too.
func TestLimiterOneCutPerRound(t *testing.T) {
	l, clk := newTestLimiter(4, 1, 64)
	call(t, l, clk, 100*time.Millisecond, nil) // fastest 100ms; bound 5
	release := make(chan struct{})
	var wg sync.WaitGroup
	started := make(chan struct{}, 5)
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = l.Do(context.Background(), func() error { started <- struct{}{}; <-release; return nil })
		}()
	}
	for i := 0; i < 5; i++ {
		<-started
	}
	if st := l.Stats(); st.Peak != 5 {
		t.Fatalf("peak %d in flight, want 5", st.Peak)
	}
	clk.advance(3 * time.Second)
	close(release)
	wg.Wait()
	if st := l.Stats(); st.Cuts != 1 || st.Limit != 3 {
		t.Fatalf("5 slow calls of one round: %+v, want one cut, bound 3 (5 × 0.7)", st)
	}
}

// The bound holds: never more calls in flight than it allows, and every
// waiter runs in the end.
func TestLimiterBoundsInFlight(t *testing.T) {
	l := NewLimiter(3, 3, 3)
	var mu sync.Mutex
	in, most, ran := 0, 0, 0
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = l.Do(context.Background(), func() error {
				mu.Lock()
				in++
				most = max(most, in)
				mu.Unlock()
				time.Sleep(time.Millisecond)
				mu.Lock()
				in--
				ran++
				mu.Unlock()
				return nil
			})
		}()
	}
	wg.Wait()
	if most > 3 || ran != 50 {
		t.Fatalf("%d in flight at most (bound 3), %d of 50 ran", most, ran)
	}
}

// A waiter whose context ends leaves the queue and takes no slot.
func TestLimiterWaitCancelled(t *testing.T) {
	l := NewLimiter(1, 1, 1)
	hold := make(chan struct{})
	go func() { _ = l.Do(context.Background(), func() error { <-hold; return nil }) }()
	for l.Stats().Peak == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Do(ctx, func() error { t.Fatal("ran without a slot"); return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait returned %v", err)
	}
	close(hold)
	done := make(chan struct{})
	go func() { _ = l.Do(context.Background(), func() error { close(done); return nil }) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the slot the cancelled waiter left was never handed on")
	}
}
