// Tests of the schedule: open loop, latency from due, saturation, clean stops, the stats and the options.

package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// run is Run with every Result collected (record is serialised, so the
// append needs no lock) and sorted by Seq.
func run(t *testing.T, ctx context.Context, o Options) ([]Result, Stats) {
	t.Helper()
	var rs []Result
	st, err := Run(ctx, o, func(r Result) { rs = append(rs, r) })
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Seq < rs[j].Seq })
	return rs, st
}

// checkSeqs fails unless rs are requests 0..n-1, each due at Seq / rate.
func checkSeqs(t *testing.T, rs []Result, n int, rate float64) {
	t.Helper()
	if len(rs) != n {
		t.Fatalf("got %d results, want %d", len(rs), n)
	}
	for i, r := range rs {
		want := time.Duration(float64(i) / rate * 1e9)
		if r.Seq != i || (r.Due-want).Abs() > time.Microsecond {
			t.Fatalf("result %d: Seq %d Due %v, want Seq %d Due %v", i, r.Seq, r.Due, i, want)
		}
	}
}

// slowServer answers 200 after d, and counts the requests it holds at once.
func slowServer(t *testing.T, d time.Duration) (*httptest.Server, *atomic.Int32) {
	var cur, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		defer cur.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		select {
		case <-time.After(d): // the server's own slowness
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &peak
}

func TestOpenLoop(t *testing.T) {
	srv, peak := slowServer(t, 200*time.Millisecond)
	rs, st := run(t, context.Background(), Options{URL: srv.URL, Rate: 50, Duration: time.Second, Timeout: 5 * time.Second})
	checkSeqs(t, rs, 50, 50)
	for _, r := range rs {
		if !r.OK || r.Status != 200 || r.Error != "" {
			t.Errorf("request %d: %+v, want OK", r.Seq, r)
		}
		if r.Latency < 200*time.Millisecond {
			t.Errorf("request %d: latency %v, under the server's 200ms", r.Seq, r.Latency)
		}
		// A closed loop would send request i at i × 200ms; on schedule
		// it goes at i × 20ms (the bound is generous for -race on 2 cores).
		if lag := r.Sent - r.Due; lag < 0 || lag > 150*time.Millisecond {
			t.Errorf("request %d: sent %v after it was due", r.Seq, lag)
		}
	}
	// 50/s × 200ms: ten at once when the schedule does not wait.
	if p := peak.Load(); p < 5 {
		t.Errorf("the server held at most %d requests at once, want ~10 (open loop)", p)
	}
	if st.Sent != 50 || st.Done != 50 || st.OK != 50 || st.Saturated != 0 {
		t.Errorf("stats %+v, want 50 sent, done and OK", st)
	}
}

func TestLatencyCountsFromDue(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	// The first three requests were due before Run began: they go at
	// once, late, and their latency includes the wait.
	late := 300 * time.Millisecond
	start := time.Now().Add(-late)
	rs, st := run(t, context.Background(), Options{URL: srv.URL, Rate: 10, Duration: 500 * time.Millisecond, Start: start})
	checkSeqs(t, rs, 5, 10)
	for _, r := range rs {
		if !r.OK || r.Latency < r.Sent-r.Due {
			t.Errorf("request %d: %+v: latency under the lag", r.Seq, r)
		}
	}
	for _, r := range rs[:3] {
		if r.Sent < late || r.Latency < late-r.Due {
			t.Errorf("request %d (due %v): sent %v, latency %v: want sent at %v or later and the wait counted", r.Seq, r.Due, r.Sent, r.Latency, late)
		}
	}
	if st.LagMax < late {
		t.Errorf("lag max %v, want ≥ %v (request 0 was due %v before the start)", st.LagMax, late, late)
	}
}

func TestSaturationIsRecordedNotWaited(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	saturated := 0
	var rs []Result
	// Two slots, held until the eight requests after them are recorded:
	// if saturation delayed the schedule this would wait for the timeout.
	st, err := Run(context.Background(), Options{URL: srv.URL, Rate: 100, Duration: 100 * time.Millisecond, Timeout: time.Minute, MaxInFlight: 2},
		func(r Result) {
			rs = append(rs, r)
			if r.Error == Saturated {
				if saturated++; saturated == 8 {
					close(release)
				}
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Seq < rs[j].Seq })
	checkSeqs(t, rs, 10, 100)
	for _, r := range rs {
		switch {
		case r.Seq < 2 && (!r.OK || r.Error != ""):
			t.Errorf("request %d: %+v, want sent and OK", r.Seq, r)
		case r.Seq >= 2 && (r.OK || r.Status != 0 || r.Error != Saturated || r.Hop != ""):
			t.Errorf("request %d: %+v, want %q", r.Seq, r, Saturated)
		case r.Seq >= 2 && r.Sent-r.Due > 500*time.Millisecond:
			t.Errorf("request %d: saturated %v after it was due: the schedule waited", r.Seq, r.Sent-r.Due)
		}
	}
	if st.Sent != 2 || st.Saturated != 8 || st.Done != 10 || st.OK != 2 {
		t.Errorf("stats %+v, want 2 sent, 8 saturated, 10 done, 2 OK", st)
	}
}

func TestStatsAddUp(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1)%2 == 0 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	rs, st := run(t, context.Background(), Options{URL: srv.URL, Rate: 200, Duration: 500 * time.Millisecond})
	checkSeqs(t, rs, 100, 200)
	ok, lagMax := 0, time.Duration(0)
	for _, r := range rs {
		if r.OK {
			ok++
		}
		lagMax = max(lagMax, r.Sent-r.Due)
	}
	if st.Done != len(rs) || st.Sent+st.Saturated != st.Done || st.Sent != 100 || st.OK != ok || ok != 50 {
		t.Errorf("stats %+v; %d results, %d OK: want 100 sent and done, 50 OK", st, len(rs), ok)
	}
	if st.LagMax != lagMax || st.LagP50 > st.LagP99 || st.LagP99 > st.LagMax {
		t.Errorf("lags p50 %v p99 %v max %v; the results' max is %v", st.LagP50, st.LagP99, st.LagMax, lagMax)
	}
	if st.AchievedRate < 100 || st.AchievedRate > 201 {
		t.Errorf("achieved %.1f/s of 200/s", st.AchievedRate)
	}
}

func TestStopsCleanly(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if n.Add(1)%3 == 0 { // every third one never answers: it times out
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	base := runtime.NumGoroutine() // the server is listening, with no connection yet
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex // only to prove record is never called twice at once
	records := 0
	st, err := Run(ctx, Options{URL: srv.URL, Rate: 100, Timeout: 200 * time.Millisecond}, func(r Result) {
		if !mu.TryLock() {
			t.Error("record called while another call was running")
			return
		}
		defer mu.Unlock()
		if r.Error != "" && r.Error != "timeout" {
			t.Errorf("request %d: %+v", r.Seq, r)
		}
		if records++; records == 20 {
			cancel() // no Duration: the schedule ends with ctx
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Done != records || st.Done < 20 || st.Sent != st.Done {
		t.Errorf("stats %+v after %d records", st, records)
	}
	// The server stays up: Run must have closed its connections itself
	// (then the server's side of each ends too). Goroutines end as the
	// sockets close, so wait for that, bounded.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before Run:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, with a deadline
	}
}

func TestStartInTheFuture(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	start := time.Now().Add(100 * time.Millisecond)
	rs, _ := run(t, context.Background(), Options{URL: srv.URL, Rate: 20, Duration: 100 * time.Millisecond, Start: start})
	checkSeqs(t, rs, 2, 20)
	if rs[0].Sent < 0 {
		t.Errorf("request 0 sent %v before Start", -rs[0].Sent)
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Options{
		{URL: "http://127.0.0.1:1/", Rate: 0},
		{URL: "http://127.0.0.1:1/", Rate: -5},
		{URL: "http://127.0.0.1:1/"},
		{URL: "127.0.0.1:1", Rate: 10},
		{URL: "ftp://127.0.0.1/", Rate: 10},
		{URL: "http://127.0.0.1:1/", Rate: 10, Duration: -time.Second},
		{URL: "http://127.0.0.1:1/", Rate: 10, MaxInFlight: -1},
	} {
		called := false
		if _, err := Run(context.Background(), o, func(Result) { called = true }); err == nil || called {
			t.Errorf("%+v: err %v, record called %v: want an error and nothing sent", o, err, called)
		}
	}
}

func TestHistogram(t *testing.T) {
	h := newHistogram()
	if h.quantile(0.5) != 0 {
		t.Error("empty histogram: want 0")
	}
	for i := 1; i <= 100; i++ {
		h.add(time.Duration(i) * 10 * time.Microsecond) // 10µs .. 1ms
	}
	h.add(3 * time.Second)
	if got := h.quantile(0.5); got != 510*time.Microsecond {
		t.Errorf("p50 %v, want 510µs (rank 51 of 101)", got)
	}
	if got := h.quantile(0.99); got != 1000*time.Microsecond {
		t.Errorf("p99 %v, want 1ms (rank 100 of 101)", got)
	}
	if got := h.quantile(1); got != 3*time.Second || h.max != 3*time.Second {
		t.Errorf("p100 %v, max %v, want 3s", got, h.max)
	}
	h.add(time.Hour)
	if got := h.quantile(1); got != time.Hour {
		t.Errorf("beyond the last bucket: p100 %v, want the max, 1h", got)
	}
}
