// The timeline: stacked panels over the run's time, with the fault windows and the detect/recover marks drawn across them.

package report

import (
	"fmt"
	"math"

	"github.com/chainctl/chainctl/internal/experiment"
)

// The timeline's geometry, in SVG units (the picture scales to the page).
const (
	svgWidth = 1200.0
	plotLeft = 70.0
	plotRite = svgWidth - 24
	rowH     = 17.0 // one row of labels above the panels
	panelGap = 10.0
	headH    = 20.0 // a panel's title and legend, above it
	axisH    = 40.0 // ticks, their labels and the axis title
	bucketMS = 100.0
)

// timeline is what the template draws.
type timeline struct {
	Width, Height  float64
	PlotL, PlotR   float64
	Top, Bottom    float64 // of the panels, which the windows and marks span
	SpanMS         float64
	Empty          bool // no request was recorded
	Windows        []window
	Marks          []mark
	Panels         []panel
	XTicks         []tick
	AxisY, AxisTxt float64
	Hover          []hover
}

// window is one fault's shaded stretch.
type window struct {
	Index             int
	X, W              float64
	Text, Title       string
	LabelX, LabelY    float64
	LabelW, LabelBoxY float64
	StartRaw, EndRaw  string
}

// mark is a detect or recover line with its label.
type mark struct {
	Detect, Never  bool // a detect mark; a recover mark for a fault that never recovered
	Fault          int
	X              float64
	LabelX, LabelY float64
	LineTop        float64
	Label, Title   string
	Raw            string // the journal's number, for data-detect-ms / data-recover-ms
}

type tick struct {
	Pos   float64
	Label string
}

// hover is one column of the plot with its figures as a tooltip.
type hover struct {
	X, W  float64
	Title string
}

// span is how long the picture's time axis is: the load, every bucket
// and every fault's window and recovery, at least one second.
func span(j *experiment.Journal) float64 {
	end := math.Max(j.EndMS, 1000)
	if n := len(j.Buckets); n > 0 {
		end = math.Max(end, j.Buckets[n-1].StartMS+bucketMS)
	}
	for _, f := range j.Faults {
		end = math.Max(end, f.EndMS)
		if f.RecoverMS != nil {
			end = math.Max(end, f.EndMS+*f.RecoverMS)
		}
	}
	return end
}

// newTimeline lays the timeline out.
func newTimeline(j *experiment.Journal) timeline {
	t := timeline{Width: svgWidth, PlotL: plotLeft, PlotR: plotRite, SpanMS: span(j)}
	x := linear{0, t.SpanMS, plotLeft, plotRite}
	t.Windows, t.Marks = windowsAndMarks(j, x)
	nrows := placeLabels(t.Windows, t.Marks)
	t.Top = 10 + float64(nrows)*rowH + 4
	cols := columns(j.Buckets)
	t.Empty = len(cols) == 0
	t.Panels = panels(cols, j.Checks, x, t.Top)
	last := t.Panels[len(t.Panels)-1]
	t.Top, t.Bottom = t.Panels[0].Y, last.Y+last.H
	for i := range t.Marks {
		t.Marks[i].LineTop = t.Marks[i].LabelY + 4
	}
	step := timeStep(t.SpanMS, 14)
	for v := 0.0; v <= t.SpanMS+1e-6; v += step {
		t.XTicks = append(t.XTicks, tick{x.at(v), Sec(v)})
	}
	t.AxisY, t.AxisTxt = t.Bottom+16, t.Bottom+34
	t.Height = t.Bottom + axisH
	t.Hover = hovers(cols, x)
	return t
}

// windowsAndMarks makes one shaded window per fault and its marks.
func windowsAndMarks(j *experiment.Journal, x linear) ([]window, []mark) {
	var ws []window
	var ms []mark
	for i, f := range j.Faults {
		x0, x1 := x.at(f.StartMS), x.at(math.Max(f.EndMS, f.StartMS))
		text := faultText(f)
		ws = append(ws, window{
			Index: i, X: x0, W: math.Max(x1-x0, 1.5), Text: text,
			Title:    fmt.Sprintf("%s: %s → %s", text, Sec(f.StartMS), Sec(f.EndMS)),
			StartRaw: raw(f.StartMS), EndRaw: raw(f.EndMS),
		})
		if f.DetectMS != nil {
			d := *f.DetectMS
			ms = append(ms, mark{Detect: true, Fault: i, X: x.at(f.StartMS + d),
				Label: "detected " + Ms(d), Raw: raw(d),
				Title: fmt.Sprintf("%s: first failed request %s after the injection", text, Ms(d))})
		}
		if f.RecoverMS != nil {
			r := *f.RecoverMS
			ms = append(ms, mark{Fault: i, X: x.at(f.EndMS + r),
				Label: "recovered " + Ms(r), Raw: raw(r),
				Title: fmt.Sprintf("%s: the hypothesis held again %s after the heal", text, Ms(r))})
		} else {
			ms = append(ms, mark{Never: true, Fault: i, X: x1,
				Label: "did not recover",
				Title: text + ": the hypothesis never held again after the heal"})
		}
	}
	return ws, ms
}

// placeLabels puts the fault labels, then the marks' labels, into rows
// above the panels where none overlaps, and returns how many rows it took.
func placeLabels(ws []window, ms []mark) int {
	var xs, widths []float64
	for _, w := range ws {
		xs, widths = append(xs, w.X), append(widths, textWidth(w.Text, 12.5)+4)
	}
	for i := range ms {
		wd := textWidth(ms[i].Label, 11.5)
		ms[i].LabelX = math.Min(ms[i].X+3, plotRite-wd)
		xs, widths = append(xs, ms[i].LabelX-3), append(widths, wd+3)
	}
	r := rows(xs, widths)
	n := 1
	for i := range ws {
		ws[i].LabelX = ws[i].X + 4
		ws[i].LabelW = widths[i]
		ws[i].LabelBoxY = 10 + float64(r[i])*rowH
		ws[i].LabelY = ws[i].LabelBoxY + 12.5
		n = max(n, r[i]+1)
	}
	for i := range ms {
		k := r[len(ws)+i]
		ms[i].LabelY = 10 + float64(k)*rowH + 12
		n = max(n, k+1)
	}
	return n
}

// faultText is how a fault is named on the page.
func faultText(f experiment.Fault) string {
	if f.Text != "" {
		return f.Text
	}
	if f.Mode != "" {
		return f.Service + " " + f.Mode
	}
	return f.Service
}

// hovers are the tooltip columns, one per drawn column of buckets.
func hovers(cols []column, x linear) []hover {
	out := make([]hover, 0, len(cols))
	for _, c := range cols {
		x0, x1 := x.at(c.StartMS), x.at(c.EndMS)
		t := fmt.Sprintf("%s–%s: %s requests", Sec(c.StartMS), Sec(c.EndMS), Count(c.Requests))
		if c.Requests > 0 {
			t += fmt.Sprintf(", %s ok, p50 %s, p95 %s, p99 %s",
				Percent(float64(c.OK)/float64(c.Requests)), Ms(c.P50), Ms(c.P95), Ms(c.P99))
		}
		out = append(out, hover{X: x0, W: math.Max(x1-x0, 0.5), Title: t})
	}
	return out
}
