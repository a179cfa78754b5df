// Tests of Watch: Recovery's bookkeeping alone, and the loop against a test server that answers, fails and answers again.

package link

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRecovery(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 750 * time.Millisecond) }
	for _, tc := range []struct {
		name       string
		oks        []bool
		want       WatchSummary
		wantBroken bool
		wantLine   string
	}{{
		name:     "fails then recovers",
		oks:      []bool{true, false, false, true},
		want:     WatchSummary{Calls: 4, Failed: 2, FirstFailure: at(1), Recovered: at(3)},
		wantLine: "4 calls, 2 failed; first failure 10:00:00.750, recovered 10:00:02.250 (1.5s later)",
	}, {
		name:       "never recovers",
		oks:        []bool{true, false, false},
		want:       WatchSummary{Calls: 3, Failed: 2, FirstFailure: at(1)},
		wantBroken: true,
		wantLine:   "3 calls, 2 failed; first failure 10:00:00.750, not recovered",
	}, {
		name:     "never fails",
		oks:      []bool{true, true},
		want:     WatchSummary{Calls: 2},
		wantLine: "2 calls, 0 failed",
	}, {
		name:     "no call",
		wantLine: "0 calls, 0 failed",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var r Recovery
			for i, ok := range tc.oks {
				r.Observe(at(i), ok)
			}
			if r.WatchSummary != tc.want {
				t.Errorf("summary = %+v, want %+v", r.WatchSummary, tc.want)
			}
			if r.Broken() != tc.wantBroken {
				t.Errorf("Broken() = %v, want %v", r.Broken(), tc.wantBroken)
			}
			if got := r.String(); got != tc.wantLine {
				t.Errorf("line = %q, want %q", got, tc.wantLine)
			}
		})
	}
}

// lineWriter collects what Watch writes and closes reached once it holds
// want lines.
type lineWriter struct {
	mu      sync.Mutex
	b       strings.Builder
	want    int
	reached chan struct{}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	before := strings.Count(w.b.String(), "\n")
	w.b.Write(p)
	if after := strings.Count(w.b.String(), "\n"); before < w.want && after >= w.want {
		close(w.reached)
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// Answers of the entry "a", call after call: a whole chain, a chain broken
// below a, something that is not a link (the entry itself failed), the
// whole chain again; after those it hangs until the call is cut.
var watchAnswers = []struct {
	status int
	body   string
}{
	{200, `{"service":"a","instance":"a-1","version":"test","took_ms":1.5,"status":200,"error":"","calls":[{"service":"b","instance":"b-1","version":"test","took_ms":0.5,"status":200,"error":""}]}`},
	{502, `{"service":"a","instance":"a-1","version":"test","took_ms":1.5,"status":502,"error":"","calls":[{"service":"b","instance":"","version":"","took_ms":0.5,"status":502,"error":"connection refused"}]}`},
	{500, "internal error\n"},
	{200, `{"service":"a","instance":"a-1","version":"test","took_ms":1.5,"status":200,"error":"","calls":[{"service":"b","instance":"b-1","version":"test","took_ms":0.5,"status":200,"error":""}]}`},
}

func TestWatch(t *testing.T) {
	var served atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(served.Add(1)) - 1
		if i >= len(watchAnswers) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(watchAnswers[i].status)
		w.Write([]byte(watchAnswers[i].body))
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	// The entry is down at first: no endpoint, then the server's.
	var lookups atomic.Int32
	endpoint := func() string {
		if lookups.Add(1) == 1 {
			return ""
		}
		return srv.URL
	}
	wantLines := []string{
		"    0  BROKEN  a ✗ not reachable: no published port is up",
		"  200  ok      a → b",
		"  502  BROKEN  a → b ✗ connection refused",
		"  500  BROKEN  a ✗ HTTP 500, not a link service",
		"  200  ok      a → b",
	}
	out := &lineWriter{want: len(wantLines), reached: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan WatchSummary, 1)
	go func() {
		done <- Watch(ctx, out, WatchOptions{Service: "a", Endpoint: endpoint, Client: srv.Client(), Interval: 5 * time.Millisecond, Timeout: 5 * time.Second})
	}()
	select {
	case <-out.reached:
	case <-time.After(10 * time.Second):
		t.Fatalf("after 10s, Watch wrote %q", out.String())
	}
	cancel() // the call in flight, if any, hangs: cutting it must not count it
	var sum WatchSummary
	select {
	case sum = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not return 10s after its context ended")
	}

	text := out.String()
	body, summary, ok := strings.Cut(text, "\n\n")
	if !ok {
		t.Fatalf("no blank line before the summary: %q", text)
	}
	lines := strings.Split(body, "\n")
	if len(lines) != len(wantLines) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(wantLines), text)
	}
	for i, line := range lines {
		clock, rest := line[:len(watchClock)], line[len(watchClock):]
		if _, err := time.Parse(watchClock, clock); err != nil || rest != wantLines[i] {
			t.Errorf("line %d = %q, want a time then %q", i, line, wantLines[i])
		}
	}
	if sum.Calls != 5 || sum.Failed != 3 {
		t.Errorf("summary = %+v, want 5 calls, 3 failed", sum)
	}
	if got, want := sum.FirstFailure.Format(watchClock), lines[0][:len(watchClock)]; got != want {
		t.Errorf("first failure %s, want the first line's time %s", got, want)
	}
	if got, want := sum.Recovered.Format(watchClock), lines[4][:len(watchClock)]; got != want {
		t.Errorf("recovered %s, want the last line's time %s", got, want)
	}
	if want := sum.String() + "\n"; summary != want || !strings.HasPrefix(want, "5 calls, 3 failed; first failure ") || !strings.Contains(want, ", recovered ") {
		t.Errorf("summary = %q, want %q", summary, want)
	}
	// Looked up at the start, after the unreachable call and after the
	// entry itself failed (HTTP 500, no instance): three times.
	if n := lookups.Load(); n != 3 {
		t.Errorf("Endpoint called %d times, want 3", n)
	}
}
