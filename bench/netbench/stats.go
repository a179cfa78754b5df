// Samples and their percentiles (nearest rank), in milliseconds.

package main

import (
	"math"
	"sort"
	"time"
)

// samples are measurements in milliseconds.
type samples []float64

func (s *samples) add(ms float64) { *s = append(*s, ms) }

func (s *samples) addDur(d time.Duration) { s.add(float64(d) / float64(time.Millisecond)) }

// pct is the p-quantile by nearest rank: the smallest sample with at least
// p of them at or below it. With fewer than 100 samples p99 is the largest.
// NaN when there are none.
func (s samples) pct(p float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	sorted := append(samples(nil), s...)
	sort.Float64s(sorted)
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func (s samples) p50() float64 { return s.pct(0.5) }
func (s samples) p99() float64 { return s.pct(0.99) }

func (s samples) min() float64 { return s.pct(0) }
func (s samples) max() float64 { return s.pct(1) }
