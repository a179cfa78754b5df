// What a run adds up to: counts, the achieved rate and the generator's lag, in a histogram of fixed size however long it runs.

package loadgen

import (
	"math"
	"time"
)

// summary is Stats in the making.
type summary struct {
	sent, saturated, ok int
	lastSent            time.Duration
	lags                *histogram
}

func (s *summary) add(r Result, sent bool) {
	if r.OK {
		s.ok++
	}
	if !sent {
		s.saturated++
		return
	}
	s.sent++
	s.lastSent = max(s.lastSent, r.Sent)
	s.lags.add(r.Sent - r.Due)
}

// stats is the summary as Stats; interval is the time between two due
// requests, in nanoseconds.
func (s *summary) stats(interval float64) Stats {
	st := Stats{
		Sent:      s.sent,
		Saturated: s.saturated,
		Done:      s.sent + s.saturated,
		OK:        s.ok,
		LagP50:    s.lags.quantile(0.50),
		LagP99:    s.lags.quantile(0.99),
		LagMax:    s.lags.max,
	}
	if s.sent > 0 {
		st.AchievedRate = float64(s.sent) / (s.lastSent.Seconds() + interval/1e9)
	}
	return st
}

// The histogram's buckets: 1 µs wide up to fineLimit, then 1 ms wide up
// to coarseLimit; beyond that everything shares the last bucket (and the
// maximum is kept exactly).
const (
	fineLimit   = 10 * time.Millisecond
	coarseWidth = time.Millisecond
	coarseLimit = 10 * time.Second
	fineBuckets = int(fineLimit / time.Microsecond)
	allBuckets  = fineBuckets + int((coarseLimit-fineLimit)/coarseWidth) + 1
)

// histogram counts durations (lags) in fixed buckets: 160 KiB whether a
// run lasts ten seconds or a day.
type histogram struct {
	counts []uint64
	n      uint64
	max    time.Duration
}

func newHistogram() *histogram { return &histogram{counts: make([]uint64, allBuckets)} }

func bucket(d time.Duration) int {
	switch {
	case d < 0:
		return 0 // sent early: the clock's rounding, counted as on time
	case d < fineLimit:
		return int(d / time.Microsecond)
	case d < coarseLimit:
		return fineBuckets + int((d-fineLimit)/coarseWidth)
	}
	return allBuckets - 1
}

// lower is the smallest duration of bucket i.
func lower(i int) time.Duration {
	if i < fineBuckets {
		return time.Duration(i) * time.Microsecond
	}
	return fineLimit + time.Duration(i-fineBuckets)*coarseWidth
}

func (h *histogram) add(d time.Duration) {
	h.counts[bucket(d)]++
	h.n++
	h.max = max(h.max, d)
}

// quantile is the nearest-rank q-quantile, to the bucket's width (1 µs
// under 10 ms), never above the maximum.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := max(1, min(uint64(math.Ceil(q*float64(h.n))), h.n))
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen >= rank && i < allBuckets-1 {
			return min(lower(i), h.max)
		}
	}
	return h.max
}
