// The edges of a layout as SVG paths: along the layers, down into the next band, or looping back under the boxes.

package graph

import (
	"math"
	"strconv"
	"strings"
)

// route draws the edge from box v to box t: a curve from v's right to t's
// left along the layers (with Tidy, along a channel under the boxes when
// it skips layers), down to the next band when the layers wrap, and a loop
// under the boxes for an edge that goes back (a cycle). off moves the ends
// (down along the layers, right on a loop), so that two edges between the
// same boxes can be told apart.
func (l *Layout) route(v, t int, off float64) Path {
	a, b := l.Boxes[v], l.Boxes[t]
	back := l.back[[2]int{v, t}] || l.layer[t] <= l.layer[v]
	p := Path{From: v, To: t, Back: back}
	ax, ay := a.X+a.W, a.Y+a.H/2+off
	bx, by := b.X-3, b.Y+b.H/2+off
	switch {
	case v == t:
		x, y := a.X+a.W*0.7+off, a.Y+a.H
		p.D = "M" + num(x) + "," + num(y) + "C" + num(x) + "," + num(y+26) + " " + num(x-30) + "," + num(y+26) + " " + num(x-30) + "," + num(y+3)
		p.MidX, p.MidY = x-15, y+20
	case back:
		x0, y0, x1, y1 := a.X+a.W/2+off, a.Y+a.H, b.X+b.W/2+8+off, b.Y+b.H+3
		d := 24 + math.Abs(x1-x0)*0.08
		p.D = "M" + num(x0) + "," + num(y0) + "C" + num(x0) + "," + num(y0+d) + " " + num(x1) + "," + num(y1+d) + " " + num(x1) + "," + num(y1)
		p.MidX, p.MidY = (x0+x1)/2, (y0+y1)/2+d*0.75
	case a.Layer/l.perBand != b.Layer/l.perBand:
		// Like a wrapped line: down into the gap above b's band, across to
		// the left of b's column, down, and into b from its left.
		x0, y0, x1 := a.X+a.W/2+off, a.Y+a.H, b.X-11-off
		g, r, dir := b.BandTop-l.geo.BandGap/2+off, 6.0, 1.0
		start := "M" + num(x0) + "," + num(y0)
		if l.geo.Tidy {
			// Out of a's right into the gap after its column, so that the
			// way down passes no box, and a lane of the gap of its own.
			x0, y0 = a.X+a.W+8+off, ay
			g += 4*float64(l.wraps[b.Layer/l.perBand]%4) - 6
			l.wraps[b.Layer/l.perBand]++
			start = "M" + num(ax) + "," + num(ay) + "H" + num(x0-r) + "Q" + num(x0) + "," + num(ay) + " " + num(x0) + "," + num(ay+r)
		}
		if x1 < x0 {
			dir = -1
		}
		p.D = start + "V" + num(g-r) + "Q" + num(x0) + "," + num(g) + " " + num(x0+dir*r) + "," + num(g) +
			"H" + num(x1-dir*r) + "Q" + num(x1) + "," + num(g) + " " + num(x1) + "," + num(g+r) +
			"V" + num(by-r) + "Q" + num(x1) + "," + num(by) + " " + num(x1+r) + "," + num(by) + "H" + num(bx)
		p.MidX, p.MidY = (x0+x1)/2, g
	case l.geo.Tidy && b.Layer-a.Layer > 1:
		p.D, p.MidX, p.MidY = l.channel(v, t, ax, ay, bx, by)
	default:
		mx := (ax + bx) / 2
		p.D = "M" + num(ax) + "," + num(ay) + "C" + num(mx) + "," + num(ay) + " " + num(mx) + "," + num(by) + " " + num(bx) + "," + num(by)
		p.MidX, p.MidY = mx, (ay+by)/2
	}
	return p
}

// channel routes an edge that skips layers in one band: out of a into the
// gap after its layer, down to a channel under every box of the layers
// between, along it, and up into b through the gap before b's layer. Each
// edge of a band takes its own channel, a little lower than the last.
func (l *Layout) channel(v, t int, ax, ay, bx, by float64) (d string, midX, midY float64) {
	a, b := l.Boxes[v], l.Boxes[t]
	bottom := math.Max(a.Y+a.H, b.Y+b.H)
	for _, box := range l.Boxes {
		if box.Layer > a.Layer && box.Layer < b.Layer {
			bottom = math.Max(bottom, box.Y+box.H)
		}
	}
	band := a.Layer / l.perBand
	y := bottom + 9 + 5*float64(l.channels[band]%4)
	l.channels[band]++
	gapA := (a.X + a.W + l.xOfLayer(a.Layer+1)) / 2
	gapB := (l.xOfLayer(b.Layer-1) + l.geo.BoxW + b.X) / 2
	r := 6.0
	d = "M" + num(ax) + "," + num(ay) + "H" + num(gapA-r) + "Q" + num(gapA) + "," + num(ay) + " " + num(gapA) + "," + num(ay+r) +
		"V" + num(y-r) + "Q" + num(gapA) + "," + num(y) + " " + num(gapA+r) + "," + num(y) +
		"H" + num(gapB-r) + "Q" + num(gapB) + "," + num(y) + " " + num(gapB) + "," + num(y-r) +
		"V" + num(by+r) + "Q" + num(gapB) + "," + num(by) + " " + num(gapB+r) + "," + num(by) + "H" + num(bx)
	return d, (gapA + gapB) / 2, y
}

// num prints a coordinate with one decimal at most: 12.5, 12.
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
