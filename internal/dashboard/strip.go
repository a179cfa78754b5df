// The strip chart's data: the probe's requests in one-second buckets over the last minute, each with its successes, failures and latency.

package dashboard

import (
	"math"
	"sort"
	"sync"
	"time"
)

// stripSeconds is how far back the strip chart reaches.
const stripSeconds = 60

// Bucket is one second of the probe: the requests due in it and what
// became of them. Latencies are of the successful requests (a failure's
// is mostly its timeout), in milliseconds; 0 when none succeeded.
type Bucket struct {
	T    int64   `json:"t"` // Unix second
	OK   int     `json:"ok"`
	Fail int     `json:"fail"`
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
}

// strip keeps the last stripSeconds seconds in a ring, one slot a second.
type strip struct {
	mu      sync.Mutex
	slots   [stripSeconds]slot
	lastErr string    // the last failure, as "hop: reason"
	lastAt  time.Time // when it was due
}

type slot struct {
	t        int64
	ok, fail int
	lat      []time.Duration
}

// add counts one request, due at at. A request due before the window is
// dropped: the strip chart does not reach it any more.
func (s *strip) add(at time.Time, ok bool, latency time.Duration, failure string) {
	sec := at.Unix()
	s.mu.Lock()
	defer s.mu.Unlock()
	sl := &s.slots[mod(sec, stripSeconds)]
	if sl.t != sec {
		if sl.t > sec {
			return // its slot holds a later second now
		}
		*sl = slot{t: sec}
	}
	if ok {
		sl.ok++
		sl.lat = append(sl.lat, latency)
		return
	}
	sl.fail++
	if !at.Before(s.lastAt) {
		s.lastErr, s.lastAt = failure, at
	}
}

// window is the stripSeconds buckets up to now's second, oldest first;
// a second without requests is a bucket of zeros.
func (s *strip) window(now time.Time) []Bucket {
	end := now.Unix()
	out := make([]Bucket, 0, stripSeconds)
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := end - stripSeconds + 1; t <= end; t++ {
		b := Bucket{T: t}
		if sl := s.slots[mod(t, stripSeconds)]; sl.t == t {
			b.OK, b.Fail = sl.ok, sl.fail
			b.P50, b.P95 = quantileMS(sl.lat, 0.50), quantileMS(sl.lat, 0.95)
		}
		out = append(out, b)
	}
	return out
}

// lastFailure is the latest failure seen and when it was due.
func (s *strip) lastFailure() (string, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr, s.lastAt
}

// quantileMS is the nearest-rank quantile of ds, in milliseconds rounded
// to 0.1.
func quantileMS(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	c := append([]time.Duration(nil), ds...)
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	i := int(math.Ceil(q*float64(len(c)))) - 1
	i = min(max(i, 0), len(c)-1)
	return math.Round(float64(c[i])/float64(time.Millisecond)*10) / 10
}

func mod(a, n int64) int64 { return ((a % n) + n) % n }
