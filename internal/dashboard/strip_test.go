// Tests of the strip chart's data: requests counted into the second they were due, quantiles of the successes, the window sliding over the ring.

package dashboard

import (
	"testing"
	"time"
)

func TestStripBucketsTheLastMinute(t *testing.T) {
	var s strip
	t0 := time.Unix(1_700_000_000, 0)
	ms := time.Millisecond
	for i := 1; i <= 10; i++ { // second 0: 10 successes, 1..10 ms
		s.add(t0.Add(time.Duration(i)*50*ms), true, time.Duration(i)*ms, "")
	}
	s.add(t0.Add(time.Second+100*ms), true, 7*ms, "")
	s.add(t0.Add(time.Second+200*ms), false, 2*time.Second, "c: connection refused")
	s.add(t0.Add(time.Second+300*ms), false, 2*time.Second, "b: timeout")
	s.add(t0.Add(time.Second+250*ms), false, 2*time.Second, "older failure") // ends later, was due earlier

	w := s.window(t0.Add(3*time.Second + 500*ms))
	if len(w) != stripSeconds || w[len(w)-1].T != t0.Unix()+3 || w[0].T != t0.Unix()+3-stripSeconds+1 {
		t.Fatalf("window has %d buckets from %d to %d, want %d up to %d", len(w), w[0].T, w[len(w)-1].T, stripSeconds, t0.Unix()+3)
	}
	got := map[int64]Bucket{}
	for _, b := range w {
		if b.OK+b.Fail > 0 {
			got[b.T-t0.Unix()] = b
		}
	}
	want := map[int64]Bucket{
		0: {T: t0.Unix(), OK: 10, P50: 5, P95: 10},
		1: {T: t0.Unix() + 1, OK: 1, Fail: 3, P50: 7, P95: 7},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("buckets with requests: %+v, want %+v", got, want)
	}
	if e, at := s.lastFailure(); e != "b: timeout" || !at.Equal(t0.Add(time.Second+300*ms)) {
		t.Errorf("last failure %q at %s, want the one due last", e, at)
	}

	// A minute later the ring has moved on: second 0 is out of the window,
	// and its slot holds second 60.
	s.add(t0.Add(60*time.Second), false, time.Second, "a: timeout")
	s.add(t0.Add(-time.Second), true, ms, "") // before the window: dropped
	w = s.window(t0.Add(60 * time.Second))
	if w[0].T != t0.Unix()+1 || w[0].Fail != 3 || w[len(w)-1].Fail != 1 || w[len(w)-1].OK != 0 {
		t.Errorf("after a minute: first %+v, last %+v", w[0], w[len(w)-1])
	}
	for _, b := range w[1 : len(w)-1] {
		if b.OK+b.Fail != 0 {
			t.Errorf("bucket %d has requests %+v, want none", b.T-t0.Unix(), b)
		}
	}
	if late := s.window(t0.Add(10 * time.Minute)); late[len(late)-1].OK+late[len(late)-1].Fail != 0 {
		t.Error("a stale slot shows up in a later window")
	}
}

func TestQuantile(t *testing.T) {
	ds := []time.Duration{40, 10, 30, 20}
	for q, want := range map[float64]float64{0.5: 20, 0.95: 40, 0: 10, 1: 40} {
		in := make([]time.Duration, len(ds))
		for i, d := range ds {
			in[i] = d * time.Millisecond
		}
		if got := quantileMS(in, q); got != want {
			t.Errorf("quantile %.2f = %v, want %v", q, got, want)
		}
	}
	if quantileMS(nil, 0.5) != 0 {
		t.Error("the quantile of nothing is 0")
	}
}
