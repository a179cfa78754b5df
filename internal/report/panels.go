// The timeline's panels: throughput, success ratio and latency percentiles, drawn from the journal's buckets.

package report

import (
	"math"
	"strings"

	"github.com/chainctl/chainctl/internal/experiment"
)

// maxColumns is how many columns the plot draws at most; longer runs
// merge neighbouring buckets (about one per pixel).
const maxColumns = 1100

// panel is one stacked chart.
type panel struct {
	Title, Unit string
	Y, H        float64
	YTicks      []tick
	Series      []series
	Thresholds  []threshold
	Legend      []legendItem
}

// legendItem is a swatch and a name at the panel's top right.
type legendItem struct {
	Class, Name, D string
	TextX, TextY   float64
}

// series is one path of a panel.
type series struct {
	Class, D, Name string
}

// threshold is a hypothesis line drawn where it applies, its label
// under the line when the line runs along the panel's top.
type threshold struct {
	Y, LabelY float64
	Label     string
}

// newThreshold places a threshold's label.
func newThreshold(y, top float64, label string) threshold {
	ly := y - 4
	if y-top < 14 {
		ly = y + 12
	}
	return threshold{Y: y, LabelY: ly, Label: label}
}

// column is one or more consecutive buckets, as one step of the plot.
type column struct {
	StartMS, EndMS float64
	Requests, OK   int
	P50, P95, P99  float64
	joinsPrev      bool // starts where the previous column ended
}

// columns turns buckets into plot columns, merging them when there are
// too many to draw: requests add up, p50 is the request-weighted mean
// and p95/p99 the worst, so a spike never disappears.
func columns(bs []experiment.Bucket) []column {
	g := (len(bs) + maxColumns - 1) / maxColumns
	var out []column
	for i := 0; i < len(bs); i += g {
		group := bs[i:min(i+g, len(bs))]
		c := column{StartMS: group[0].StartMS, EndMS: group[len(group)-1].StartMS + bucketMS}
		var w float64
		for _, b := range group {
			c.Requests += b.Requests
			c.OK += b.OK
			if b.Requests > 0 {
				c.P50 += b.P50MS * float64(b.Requests)
				w += float64(b.Requests)
				c.P95, c.P99 = math.Max(c.P95, b.P95MS), math.Max(c.P99, b.P99MS)
			}
		}
		if w > 0 {
			c.P50 /= w
		}
		if n := len(out); n > 0 {
			c.joinsPrev = math.Abs(out[n-1].EndMS-c.StartMS) < 1e-6
		}
		out = append(out, c)
	}
	return out
}

// panels stacks the three charts from top.
func panels(cols []column, checks []experiment.Result, x linear, top float64) []panel {
	tp := throughputPanel(cols, x, top+headH, 110)
	sr := ratioPanel(cols, checks, x, tp.Y+tp.H+panelGap+headH, 90)
	lat := latencyPanel(cols, checks, x, sr.Y+sr.H+panelGap+headH, 160)
	ps := []panel{tp, sr, lat}
	for i := range ps {
		legend(&ps[i])
	}
	return ps
}

// legend lays out the swatches of a panel's series from the right.
func legend(p *panel) {
	x, y := plotRite, p.Y-headH+4
	for i := len(p.Series) - 1; i >= 0; i-- {
		s := p.Series[i]
		x -= textWidth(s.Name, 11.5)
		it := legendItem{Class: s.Class, Name: s.Name, TextX: x, TextY: y + 9}
		x -= 20
		if strings.HasPrefix(s.Class, "area") {
			it.D = "M" + num(x) + "," + num(y+1) + "h14v9h-14Z"
		} else {
			it.D = "M" + num(x) + "," + num(y+5.5) + "h14"
		}
		x -= 10
		p.Legend = append([]legendItem{it}, p.Legend...)
	}
}

// throughputPanel draws answered-ok and failed requests per second,
// stacked, as steps.
func throughputPanel(cols []column, x linear, y0, h float64) panel {
	p := panel{Title: "throughput", Unit: "requests / s", Y: y0, H: h}
	peak := 0.0
	for _, c := range cols {
		peak = math.Max(peak, perSecond(c.Requests, c))
	}
	step := niceStep(math.Max(peak, 1), 4)
	top := math.Ceil(math.Max(peak, 1)*1.08/step) * step
	y := linear{0, top, y0 + h, y0}
	for _, v := range ticks(0, top, 4) {
		p.YTicks = append(p.YTicks, tick{y.at(v), trim(num(v))})
	}
	ok := func(c column) (float64, float64) { return 0, perSecond(c.OK, c) }
	all := func(c column) (float64, float64) { return perSecond(c.OK, c), perSecond(c.Requests, c) }
	p.Series = []series{
		{Class: "area failed", Name: "failed", D: steps(cols, x, y, all, true)},
		{Class: "area ok", Name: "ok", D: steps(cols, x, y, ok, true)},
	}
	return p
}

// perSecond is a column's count as a rate.
func perSecond(n int, c column) float64 {
	if c.EndMS <= c.StartMS {
		return 0
	}
	return float64(n) * 1000 / (c.EndMS - c.StartMS)
}

// ratioPanel draws the share of requests that succeeded, with the failed
// share shaded from the top, and the hypothesis's success_ratio lines.
func ratioPanel(cols []column, checks []experiment.Result, x linear, y0, h float64) panel {
	p := panel{Title: "success ratio", Unit: "% of requests", Y: y0, H: h}
	y := linear{0, 1, y0 + h, y0 + 6}
	for _, v := range []float64{0, 0.25, 0.5, 0.75, 1} {
		p.YTicks = append(p.YTicks, tick{y.at(v), Percent(v)})
	}
	ratio := func(c column) float64 {
		if c.Requests == 0 {
			return math.NaN()
		}
		return float64(c.OK) / float64(c.Requests)
	}
	failed := func(c column) (float64, float64) { return ratio(c), 1 }
	line := func(c column) (float64, float64) { return ratio(c), ratio(c) }
	p.Series = []series{
		{Class: "area failed", Name: "failed", D: steps(cols, x, y, failed, true)},
		{Class: "line ratio", Name: "success ratio", D: steps(cols, x, y, line, false)},
	}
	for _, r := range checks {
		if r.Check.Metric == experiment.MetricSuccessRatio && r.Check.Value > 0 && r.Check.Value <= 1 {
			p.Thresholds = append(p.Thresholds, newThreshold(y.at(r.Check.Value), y0, r.Check.Text))
		}
	}
	return p
}

// latencyPanel draws p50, p95 and p99 on a log scale, clipped to whole
// decades around what was measured, with the hypothesis's latency lines.
func latencyPanel(cols []column, checks []experiment.Result, x linear, y0, h float64) panel {
	p := panel{Title: "latency", Unit: "ms, log scale", Y: y0, H: h}
	var vs []float64
	for _, c := range cols {
		if c.Requests > 0 {
			vs = append(vs, c.P50, c.P99)
		}
	}
	lo, hi := logRange(vs)
	y := logScale{lo, hi, y0 + h, y0}
	for _, v := range logTicks(lo, hi) {
		p.YTicks = append(p.YTicks, tick{y.at(v), Ms(v)})
	}
	pick := func(f func(column) float64) func(column) (float64, float64) {
		return func(c column) (float64, float64) {
			if c.Requests == 0 {
				return math.NaN(), math.NaN()
			}
			return f(c), f(c)
		}
	}
	p.Series = []series{
		{Class: "line p50", Name: "p50", D: stepsWith(cols, x, y.at, pick(func(c column) float64 { return c.P50 }), false)},
		{Class: "line p95", Name: "p95", D: stepsWith(cols, x, y.at, pick(func(c column) float64 { return c.P95 }), false)},
		{Class: "line p99", Name: "p99", D: stepsWith(cols, x, y.at, pick(func(c column) float64 { return c.P99 }), false)},
	}
	for _, r := range checks {
		switch r.Check.Metric {
		case experiment.MetricP50, experiment.MetricP95, experiment.MetricP99:
			if r.Check.Value > 0 {
				p.Thresholds = append(p.Thresholds, newThreshold(y.at(r.Check.Value), y0, r.Check.Text))
			}
		}
	}
	return p
}

// steps is stepsWith on a linear y.
func steps(cols []column, x, y linear, v func(column) (float64, float64), area bool) string {
	return stepsWith(cols, x, y.at, v, area)
}

// stepsWith draws each column as a flat step at v's value; v gives the
// bottom and the top (equal for a line). Columns whose value is NaN, and
// gaps between columns, break the path. Areas close each run of columns
// along their bottoms.
func stepsWith(cols []column, x linear, y func(float64) float64, v func(column) (float64, float64), area bool) string {
	var b strings.Builder
	var run []column
	flush := func() {
		if len(run) == 0 {
			return
		}
		for i, c := range run {
			_, top := v(c)
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			b.WriteString(cmd + num(x.at(c.StartMS)) + "," + num(y(top)) + "H" + num(x.at(c.EndMS)))
		}
		if area {
			for i := len(run) - 1; i >= 0; i-- {
				bot, _ := v(run[i])
				b.WriteString("L" + num(x.at(run[i].EndMS)) + "," + num(y(bot)) + "H" + num(x.at(run[i].StartMS)))
			}
			b.WriteString("Z")
		}
		run = run[:0]
	}
	for _, c := range cols {
		if bot, _ := v(c); math.IsNaN(bot) || !c.joinsPrev {
			flush()
			if math.IsNaN(bot) {
				continue
			}
		}
		run = append(run, c)
	}
	flush()
	return b.String()
}
