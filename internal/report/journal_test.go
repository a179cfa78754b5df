// Synthetic journals for the tests: a 40 s run with two faults, a dip and a 4-service chain; a stress case; an empty one.

package report

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/chainctl/chainctl/internal/experiment"
)

func ptr(v float64) *float64 { return &v }

// sampleJournal is a 40 s run at 200 req/s against a→b→{c,d}: c is
// killed from 10 s to 15 s (every request fails, then the chain recovers
// in 1.4 s), b gets 200 ms of delay from 25 s to 30 s and latency never
// comes back down.
func sampleJournal() *experiment.Journal {
	j := &experiment.Journal{
		Experiment: &experiment.Experiment{
			Name: "abc survives a kill of c", File: "experiments/abc-kill.yaml",
			Load:     experiment.LoadSpec{Entry: "a", Rate: 200, Timeout: 2 * time.Second},
			Duration: 40 * time.Second, Settle: 3 * time.Second,
		},
		Seed: 42, Version: "v0.9.0-12-gabcdef", Project: "abc", URL: "http://127.0.0.1:32768/",
		Started: time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC), EndMS: 40000,
		Verdict: experiment.VerdictDidNotRecover,
		Faults: []experiment.Fault{
			{Service: "c", Mode: "kill", Text: "c kill", StartMS: 10000, EndMS: 15000, DetectMS: ptr(120.4), RecoverMS: ptr(1400),
				Errors: []experiment.HopErr{{Hop: "c", Kind: "connection refused", Count: 412}, {Hop: "c", Kind: "no such host", Count: 37}, {Hop: "c", Kind: "timeout", Count: 12}}},
			{Service: "b", Mode: "delay", Text: "b delay 200ms", StartMS: 25000, EndMS: 30000, DetectMS: ptr(850.5),
				Errors: []experiment.HopErr{{Hop: "a", Kind: "502 bad gateway", Count: 5}}},
		},
		Checks: []experiment.Result{
			{Check: experiment.Check{Text: "success_ratio >= 99%", Metric: experiment.MetricSuccessRatio, Op: ">=", Value: 0.99, Line: 4}, Held: true, Figure: "99.6%", Where: "after (last 3s)"},
			{Check: experiment.Check{Text: "p99 <= 100ms", Metric: experiment.MetricP99, Op: "<=", Value: 100, Line: 5}, Held: false, Figure: "131ms", Where: "after (last 3s)"},
		},
		Errors: []experiment.HopErr{
			{Hop: "c", Kind: "connection refused", Count: 412}, {Hop: "c", Kind: "no such host", Count: 37},
			{Hop: "c", Kind: "timeout", Count: 12}, {Hop: "a", Kind: "502 bad gateway", Count: 5},
		},
		Graph: experiment.Graph{Services: []experiment.GraphService{
			{Name: "a", Calls: []string{"b"}}, {Name: "b", Calls: []string{"c", "d"}},
			{Name: "c", Faulted: true}, {Name: "d"},
		}},
		Timeline: []experiment.Event{
			{Fault: 0, Action: "break", RequestedMS: 10000, StartedMS: 10001, ActualMS: 10012.5},
			{Fault: 0, Action: "heal", RequestedMS: 15000, StartedMS: 15000.4, ActualMS: 15480},
			{Fault: 1, Action: "break", RequestedMS: 25000, StartedMS: 25000.2, ActualMS: 25008},
			{Fault: 1, Action: "heal", RequestedMS: 30000, StartedMS: 30000.3, ActualMS: 30021},
		},
	}
	j.Buckets = sampleBuckets()
	j.Phases = phasesOf(j.Buckets, []string{"before", "during c kill", "between", "during b delay 200ms", "after"},
		[]float64{0, 10000, 15000, 25000, 30000, 40000})
	return j
}

// sampleBuckets are 400 buckets of 20 requests with the faults' effects.
func sampleBuckets() []experiment.Bucket {
	rng := rand.New(rand.NewPCG(1, 2))
	var bs []experiment.Bucket
	for i := range 400 {
		t := float64(i) * 100
		b := experiment.Bucket{StartMS: t, Requests: 20, OK: 20}
		base := 2.5 + rng.Float64()
		b.P50MS, b.P95MS, b.P99MS = base, base*2.2+rng.Float64()*2, base*3.5+rng.Float64()*6
		switch {
		case t >= 10100 && t < 15000: // c is gone: fast refusals, a few timeouts
			b.OK = 0
			b.P50MS, b.P95MS, b.P99MS = 1.1, 3, 2000
		case t >= 15000 && t < 16400: // coming back
			b.OK = int(20 * (t - 15000) / 1400)
			b.P99MS = 450
		case t >= 25000 && t < 30000: // b is slow
			b.P50MS, b.P95MS, b.P99MS = 204+rng.Float64()*3, 221+rng.Float64()*10, 246+rng.Float64()*20
			if i%17 == 0 {
				b.OK = 19
			}
		case t >= 30000: // and never quite recovers
			b.P50MS, b.P95MS, b.P99MS = 41+rng.Float64()*4, 88+rng.Float64()*10, 118+rng.Float64()*20
			if i%29 == 0 {
				b.OK = 19
			}
		}
		bs = append(bs, b)
	}
	return bs
}

// phasesOf sums buckets into phases (the percentiles roughly: medians
// and maxima of the buckets', enough for a picture).
func phasesOf(bs []experiment.Bucket, names []string, cuts []float64) []experiment.Phase {
	var ps []experiment.Phase
	for i, name := range names {
		p := experiment.Phase{Name: name, StartMS: cuts[i], EndMS: cuts[i+1]}
		ok := 0
		var p50s []float64
		for _, b := range bs {
			if b.StartMS >= p.StartMS && b.StartMS < p.EndMS {
				p.Requests += b.Requests
				ok += b.OK
				p50s = append(p50s, b.P50MS)
				p.P95MS, p.P99MS = math.Max(p.P95MS, b.P95MS), math.Max(p.P99MS, b.P99MS)
			}
		}
		if p.Requests > 0 {
			p.SuccessRatio = float64(ok) / float64(p.Requests)
			p.P50MS = p50s[len(p50s)/2]
		}
		ps = append(ps, p)
	}
	return ps
}

// stressJournal is a long run (10 min, 6000 buckets) with eight faults
// that overlap, a 20-service graph with a cycle, and long names.
func stressJournal() *experiment.Journal {
	j := &experiment.Journal{
		Experiment: &experiment.Experiment{Name: "twenty services, eight faults, ten minutes", Load: experiment.LoadSpec{Rate: 50}},
		Project:    "stress", EndMS: 600000, Verdict: experiment.VerdictBroken,
	}
	for i := range 6000 {
		ok := 5
		if i%97 < 9 {
			ok = 2
		}
		j.Buckets = append(j.Buckets, experiment.Bucket{StartMS: float64(i) * 100, Requests: 5, OK: ok,
			P50MS: 3 + float64(i%50)/10, P95MS: 9, P99MS: 12 + float64(i%300)})
	}
	for i := range 8 {
		start := 30000 + float64(i)*62000
		f := experiment.Fault{Service: fmt.Sprintf("svc-%02d", i*2), Mode: "pause", StartMS: start, EndMS: start + 70000, DetectMS: ptr(float64(40 * i))}
		f.Text = f.Service + " " + f.Mode
		if i%3 != 2 {
			f.RecoverMS = ptr(900 + float64(i)*300)
		}
		j.Faults = append(j.Faults, f)
	}
	for i := range 20 {
		s := experiment.GraphService{Name: fmt.Sprintf("svc-%02d", i), Faulted: i%2 == 0 && i < 16}
		if i == 7 {
			s.Name = "svc-07-with-a-very-long-name-indeed"
		}
		j.Graph.Services = append(j.Graph.Services, s)
	}
	for i := range 19 {
		j.Graph.Services[i].Calls = []string{j.Graph.Services[i+1].Name}
	}
	j.Graph.Services[3].Calls = append(j.Graph.Services[3].Calls, "svc-05", "external-db")
	j.Graph.Services[12].Calls = append(j.Graph.Services[12].Calls, "svc-10") // a cycle
	return j
}
