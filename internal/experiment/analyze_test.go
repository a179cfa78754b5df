// Unit tests of the analysis on made-up requests: detection, recovery, phases, checks and the verdict.

package experiment

import (
	"math"
	"strings"
	"testing"
	"time"
)

// runOf makes a journal of 200 req/s for 20 s, with c killed from 5 s to
// 7 s, whose requests fail from failFrom to failTo.
func runOf(failFrom, failTo float64, checks ...Check) *Journal {
	j := &Journal{
		Experiment: &Experiment{Duration: 20 * time.Second, Settle: 3 * time.Second, SteadyState: checks},
		EndMS:      20000,
		Faults:     []Fault{{Service: "c", Mode: "kill", Text: "c kill", StartMS: 5000, EndMS: 7000}},
	}
	for t := 0.0; t < 20000; t += 5 {
		r := Request{SentMS: t, LatencyMS: 2, Status: 200, OK: true}
		if t >= failFrom && t < failTo {
			r = Request{SentMS: t, LatencyMS: 3, Status: 502, Hop: "c", Error: "no such host"}
		}
		j.Requests = append(j.Requests, r)
	}
	return j
}

var ratio99 = Check{Text: "success_ratio >= 99%", Metric: MetricSuccessRatio, Op: ">=", Value: 0.99}

func near(p *float64, want float64) bool { return p != nil && math.Abs(*p-want) < 1e-6 }

func TestDetectionRecoveryAndVerdict(t *testing.T) {
	j := runOf(5050, 7200, ratio99)
	Analyze(j)
	f := j.Faults[0]
	if !near(f.DetectMS, 50) {
		t.Errorf("detect %v, want 50 ms", f.DetectMS)
	}
	if !near(f.RecoverMS, 200) {
		t.Errorf("recover %v, want 200 ms (the first window without a failure starts at 7.2 s)", f.RecoverMS)
	}
	if len(f.Errors) != 1 || f.Errors[0].Hop != "c" || f.Errors[0].Kind != "no such host" || f.Errors[0].Count != 390 {
		t.Errorf("fault errors %+v, want 390 at c (5.05–7.0 s)", f.Errors)
	}
	if j.Verdict != VerdictHeld || !j.Checks[0].Held {
		t.Errorf("verdict %s, checks %+v: the line is checked before and after only", j.Verdict, j.Checks)
	}
	if len(j.Phases) != 3 || j.Phases[0].Name != "before" || j.Phases[1].Name != "during c kill" || j.Phases[2].Name != "after" {
		t.Fatalf("phases %+v", j.Phases)
	}
	if p := j.Phases[0]; p.Requests != 1000 || p.SuccessRatio != 1 || p.P99MS != 2 {
		t.Errorf("before: %+v", p)
	}
	if len(j.Buckets) != 200 || j.Buckets[60].OK != 0 || j.Buckets[10].OK != 20 {
		t.Errorf("buckets: %d, at 6 s %+v, at 1 s %+v", len(j.Buckets), j.Buckets[60], j.Buckets[10])
	}
}

func TestDuringMakesTheVerdictBroken(t *testing.T) {
	during := ratio99
	during.During = true
	j := runOf(5050, 7200, during)
	Analyze(j)
	r := j.Checks[0]
	if j.Verdict != VerdictBroken || r.Held || r.Where != "during c kill at 5.0s" {
		t.Errorf("verdict %s, check %+v", j.Verdict, r)
	}
}

func TestNeverRecovering(t *testing.T) {
	j := runOf(5050, 20000, ratio99)
	Analyze(j)
	if j.Faults[0].RecoverMS != nil || j.Verdict != VerdictDidNotRecover {
		t.Errorf("recover %v, verdict %s", j.Faults[0].RecoverMS, j.Verdict)
	}
	if r := j.Checks[0]; r.Held || r.Figure != "0%" || r.Where != "after (last 3s) at 17.0s" {
		t.Errorf("check %+v", r)
	}
}

func TestLatencyLines(t *testing.T) {
	p99 := Check{Text: "p99 <= 50ms", Metric: MetricP99, Op: "<=", Value: 50, During: true}
	j := runOf(0, 0, p99)
	for i := range j.Requests {
		if r := &j.Requests[i]; r.SentMS >= 5000 && r.SentMS < 7000 {
			r.LatencyMS = 200 // a delay step
		}
	}
	Analyze(j)
	if j.Phases[1].P99MS != 200 || j.Phases[0].P99MS != 2 || j.Phases[2].P99MS != 2 {
		t.Errorf("p99 by phase: %v %v %v", j.Phases[0].P99MS, j.Phases[1].P99MS, j.Phases[2].P99MS)
	}
	if j.Checks[0].Held || j.Checks[0].Figure != "200.0ms" {
		t.Errorf("p99 line: %+v", j.Checks[0])
	}
}

func TestSummaryAndJUnitSayTheSame(t *testing.T) {
	during := ratio99
	during.During = true
	j := runOf(5050, 7200, during)
	j.Experiment.Name = "c-dies"
	Analyze(j)
	var sum, ju strings.Builder
	if err := WriteSummary(&sum, j); err != nil {
		t.Fatal(err)
	}
	if err := WriteJUnit(&ju, j); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"during c kill", "50ms", "200ms", "c no such host ×390", "✗ success_ratio >= 99%  broken", "verdict: broken"} {
		if !strings.Contains(sum.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum.String())
		}
	}
	if !strings.Contains(ju.String(), `<testsuite name="chainctl experiment c-dies" tests="1" failures="1"`) || !strings.Contains(ju.String(), "<failure message=") {
		t.Errorf("junit:\n%s", ju.String())
	}
}
