// The verdict: each hypothesis line checked before the faults, at the end (and during faults when asked).

package experiment

import (
	"fmt"
	"math"
)

// verdict checks every line over the full windows of the stretches it
// applies to: before the first fault and the settle stretch at the end,
// and, for a line marked during, every window that starts while a fault
// is in force. A line holds when it holds in every such window; its
// figure is the worst window's. A fault that never recovered makes the
// verdict "did not recover".
func verdict(j *Journal, reqs []Request) ([]Result, string) {
	e := j.Experiment
	first := j.EndMS
	for _, f := range j.Faults {
		first = math.Min(first, f.StartMS)
	}
	settle := e.Settle
	if settle <= 0 {
		settle = DefaultSettle
	}
	afterFrom := math.Max(0, j.EndMS-float64(settle.Milliseconds()))
	var results []Result
	held := true
	for _, c := range e.SteadyState {
		r := Result{Check: c, Held: true}
		worst := func(where string, from, to float64) {
			ok, fig, at := c.over(reqs, from, to)
			if !ok && r.Held {
				r.Held, r.Figure, r.Where = false, c.figure(fig), fmt.Sprintf("%s at %.1fs", where, at/1000)
			}
			if r.Held && r.Figure == "" && !math.IsNaN(fig) {
				r.Figure, r.Where = c.figure(fig), where
			}
		}
		worst("before", 0, first)
		worst(fmt.Sprintf("after (last %s)", settle), afterFrom, j.EndMS)
		if c.During {
			for _, f := range j.Faults {
				worst("during "+f.Text, f.StartMS, f.EndMS)
			}
		}
		held = held && r.Held
		results = append(results, r)
	}
	for _, f := range j.Faults {
		if f.RecoverMS == nil {
			return results, VerdictDidNotRecover
		}
	}
	if !held {
		return results, VerdictBroken
	}
	return results, VerdictHeld
}

// over checks the line in every full window inside [from, to), starting
// every step: the first window where it breaks (ok false, its figure and
// start), or the worst figure when it holds everywhere. A stretch shorter
// than a window is checked as one window. NaN: no request to judge.
func (c Check) over(reqs []Request, from, to float64) (ok bool, figure, at float64) {
	figure = math.NaN()
	if to <= from {
		return true, figure, from
	}
	width := math.Min(windowMS, to-from)
	for t := from; t+width <= to+1e-9; t += stepMS {
		s := statsOf(reqs, t, t+width)
		if s.n == 0 {
			continue
		}
		good, v := c.holds(s)
		if !good {
			return false, v, t
		}
		if math.IsNaN(figure) || worse(c, v, figure) {
			figure = v
		}
	}
	return true, figure, from
}

// worse says whether v is further from breaking the line than w is not:
// the smaller ratio, the larger latency.
func worse(c Check, v, w float64) bool {
	if c.Op == ">=" || c.Op == ">" {
		return v < w
	}
	return v > w
}
