// Analysis: from the requests and the faults' windows to buckets, phases, detection, recovery and the verdict.

package experiment

import (
	"fmt"
	"math"
	"sort"

	"github.com/chainctl/chainctl/internal/netfault/spec"
)

// Window sizes.
const (
	bucketMS = 100.0  // the report's resolution
	windowMS = 1000.0 // a hypothesis is checked over sliding 1 s windows
	stepMS   = 100.0  // windows start every 100 ms
)

// Analyze fills the journal's figures from its requests, faults and the
// experiment's hypothesis: buckets, phases, each fault's detection and
// recovery and errors, the checks and the verdict.
func Analyze(j *Journal) {
	reqs := j.Requests
	sort.SliceStable(reqs, func(a, b int) bool { return reqs[a].SentMS < reqs[b].SentMS })
	j.Buckets = buckets(reqs, j.EndMS)
	j.Errors = hopErrors(reqs, 0, math.Inf(1))
	checks := j.Experiment.SteadyState
	for i := range j.Faults {
		f := &j.Faults[i]
		f.Errors = hopErrors(reqs, f.StartMS, f.EndMS)
		f.DetectMS = detect(reqs, f.StartMS, f.EndMS)
		f.RecoverMS = recoverFrom(reqs, checks, f.EndMS, j.EndMS)
	}
	j.Phases = phases(reqs, j.Faults, j.EndMS)
	j.Checks, j.Verdict = verdict(j, reqs)
}

// stats are one slice of requests' figures.
type stats struct {
	n, ok         int
	p50, p95, p99 float64
}

func (s stats) ratio() float64 {
	if s.n == 0 {
		return 1
	}
	return float64(s.ok) / float64(s.n)
}

// statsOf the requests due in [from, to).
func statsOf(reqs []Request, from, to float64) stats {
	i := sort.Search(len(reqs), func(i int) bool { return reqs[i].SentMS >= from })
	var lat []float64
	var s stats
	for ; i < len(reqs) && reqs[i].SentMS < to; i++ {
		s.n++
		if reqs[i].OK {
			s.ok++
		}
		lat = append(lat, reqs[i].LatencyMS)
	}
	sort.Float64s(lat)
	s.p50, s.p95, s.p99 = quantile(lat, 0.50), quantile(lat, 0.95), quantile(lat, 0.99)
	return s
}

// quantile of sorted values, nearest rank; 0 for none.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func buckets(reqs []Request, endMS float64) []Bucket {
	var out []Bucket
	for t := 0.0; t < endMS; t += bucketMS {
		s := statsOf(reqs, t, t+bucketMS)
		out = append(out, Bucket{StartMS: t, Requests: s.n, OK: s.ok, P50MS: s.p50, P95MS: s.p95, P99MS: s.p99})
	}
	return out
}

// hopErrors counts the failures due in [from, to) by hop and kind, most first.
func hopErrors(reqs []Request, from, to float64) []HopErr {
	counts := map[[2]string]int{}
	for _, r := range reqs {
		if !r.OK && r.SentMS >= from && r.SentMS < to {
			counts[[2]string{r.Hop, r.Error}]++
		}
	}
	out := []HopErr{}
	for k, n := range counts {
		out = append(out, HopErr{Hop: k[0], Kind: k[1], Count: n})
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Count != out[b].Count {
			return out[a].Count > out[b].Count
		}
		return out[a].Hop+out[a].Kind < out[b].Hop+out[b].Kind
	})
	return out
}

// detect is the time from injection to the first failed request sent
// while the fault was in force; nil when none failed.
func detect(reqs []Request, start, end float64) *float64 {
	for _, r := range reqs {
		if r.SentMS >= start && r.SentMS < end && !r.OK {
			d := r.SentMS - start
			return &d
		}
	}
	return nil
}

// recoverFrom is the time from the heal to the start of the first full
// window in which every hypothesis line holds; nil when none does before
// the run ends.
func recoverFrom(reqs []Request, checks []Check, healMS, endMS float64) *float64 {
	for t := healMS; t+windowMS <= endMS; t += stepMS {
		if holdsAll(checks, statsOf(reqs, t, t+windowMS)) {
			d := t - healMS
			return &d
		}
	}
	return nil
}

func holdsAll(checks []Check, s stats) bool {
	for _, c := range checks {
		if ok, _ := c.holds(s); !ok {
			return false
		}
	}
	return true
}

// holds checks one line against a window's figures, and says the figure.
func (c Check) holds(s stats) (bool, float64) {
	var v float64
	switch c.Metric {
	case MetricSuccessRatio:
		v = s.ratio()
	case MetricP50:
		v = s.p50
	case MetricP95:
		v = s.p95
	case MetricP99:
		v = s.p99
	}
	switch c.Op {
	case ">=":
		return v >= c.Value, v
	case "<=":
		return v <= c.Value, v
	case ">":
		return v > c.Value, v
	case "<":
		return v < c.Value, v
	}
	return false, v
}

// figure writes a check's metric value as people read it.
func (c Check) figure(v float64) string {
	if c.Metric == MetricSuccessRatio {
		return spec.Percent(v)
	}
	return fmt.Sprintf("%.1fms", v)
}

func phases(reqs []Request, faults []Fault, endMS float64) []Phase {
	type span struct {
		name     string
		from, to float64
	}
	first, last := endMS, 0.0
	for _, f := range faults {
		first, last = math.Min(first, f.StartMS), math.Max(last, f.EndMS)
	}
	spans := []span{{"before", 0, first}}
	for _, f := range faults {
		spans = append(spans, span{"during " + f.Text, f.StartMS, f.EndMS})
	}
	if len(faults) > 0 {
		spans = append(spans, span{"after", last, endMS})
	}
	out := make([]Phase, 0, len(spans))
	for _, sp := range spans {
		s := statsOf(reqs, sp.from, sp.to)
		out = append(out, Phase{Name: sp.name, StartMS: sp.from, EndMS: sp.to, Requests: s.n,
			SuccessRatio: s.ratio(), P50MS: s.p50, P95MS: s.p95, P99MS: s.p99})
	}
	return out
}
