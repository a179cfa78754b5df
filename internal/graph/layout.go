// The layered layout: boxes in layers along the edges (sources left, sinks right), wrapped into bands, without a library.

package graph

import (
	"math"
	"sort"
)

// Geometry sizes a layout, in SVG units. Every box is BoxW×BoxH.
type Geometry struct {
	// Width is the widest the picture may be: layers that do not fit
	// across it wrap into bands, one under the other.
	Width      float64
	BoxW, BoxH float64
	Pad        float64 // around the picture
	RowGap     float64 // between boxes of one layer
	ColGapMin  float64 // between layers
	ColGapMax  float64
	BandGap    float64 // between the bands of a graph too long for one
	// Tidy moves a second edge between the same two boxes aside, and
	// routes an edge that skips layers along a channel under the boxes
	// it would cross. (The experiment report draws without.)
	Tidy bool
}

// Box is where one node went.
type Box struct {
	Layer, Order int
	X, Y, W, H   float64
	BandTop      float64 // where its band of layers starts
}

// Path is one edge, drawn: an SVG path from box From to box To.
type Path struct {
	From, To   int
	D          string
	Back       bool    // goes against the layers (a cycle)
	MidX, MidY float64 // a point on the path, for a label
	Aside      bool    // moved aside from another edge between the same boxes
}

// Layout is a placed graph: the boxes by node index, the paths of its
// edges in the order given.
type Layout struct {
	Width, Height float64
	Boxes         []Box
	Paths         []Path

	geo      Geometry
	perBand  int
	gap      float64 // between layers
	back     map[[2]int]bool
	layer    []int
	channels map[int]int // per band, the channels taken so far
	wraps    map[int]int // per band, the edges that came down into it
}

// Lay places the n = len(out) nodes of a directed graph, out[v] being the
// nodes v points at: layer = the longest path that leads to a node
// (cycles broken where a depth-first walk in index order closes them),
// order within a layer by the mean position of the neighbours (a few
// sweeps), layers that do not fit across geo.Width wrap into bands.
func Lay(out [][]int, geo Geometry) *Layout {
	if len(out) == 0 {
		return &Layout{geo: geo}
	}
	back := backEdges(out)
	layer := assignLayers(out, back)
	byLayer := orderLayers(layer, out, back)
	l := &Layout{geo: geo, back: back, layer: layer, channels: map[int]int{}, wraps: map[int]int{}}
	l.place(byLayer)
	seen := map[[2]int]int{}
	for v := range out {
		for _, t := range out[v] {
			off := 0.0
			if geo.Tidy {
				off = edgeOffset * float64(seen[[2]int{v, t}])
				seen[[2]int{v, t}]++
			}
			p := l.route(v, t, off)
			p.Aside = off > 0
			l.Paths = append(l.Paths, p)
		}
	}
	return l
}

// edgeOffset is how far a second edge between two boxes is moved aside.
const edgeOffset = 6.0

// backEdges are the edges that close a cycle in a depth-first walk in
// the nodes' order.
func backEdges(out [][]int) map[[2]int]bool {
	back := map[[2]int]bool{}
	state := make([]int, len(out)) // 0 new, 1 on the stack, 2 done
	var walk func(int)
	walk = func(v int) {
		state[v] = 1
		for _, w := range out[v] {
			switch state[w] {
			case 0:
				walk(w)
			case 1:
				back[[2]int{v, w}] = true
			}
		}
		state[v] = 2
	}
	for v := range out {
		if state[v] == 0 {
			walk(v)
		}
	}
	return back
}

// assignLayers is each node's longest path from a node nothing points at.
func assignLayers(out [][]int, back map[[2]int]bool) []int {
	n := len(out)
	layer := make([]int, n)
	indeg := make([]int, n)
	for v := range out {
		for _, w := range out[v] {
			if !back[[2]int{v, w}] && v != w {
				indeg[w]++
			}
		}
	}
	var queue []int
	for v := range n {
		if indeg[v] == 0 {
			queue = append(queue, v)
		}
	}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range out[v] {
			if back[[2]int{v, w}] || v == w {
				continue
			}
			layer[w] = max(layer[w], layer[v]+1)
			if indeg[w]--; indeg[w] == 0 {
				queue = append(queue, w)
			}
		}
	}
	return layer
}

// orderLayers orders each layer by the mean position of its sources,
// then of its targets, a few times over.
func orderLayers(layer []int, out [][]int, back map[[2]int]bool) [][]int {
	nl := 0
	for _, l := range layer {
		nl = max(nl, l+1)
	}
	by := make([][]int, nl)
	for v, l := range layer {
		by[l] = append(by[l], v)
	}
	in := make([][]int, len(out))
	for v := range out {
		for _, w := range out[v] {
			if !back[[2]int{v, w}] {
				in[w] = append(in[w], v)
			}
		}
	}
	pos := make([]float64, len(layer))
	setPos := func() {
		for _, vs := range by {
			for i, v := range vs {
				pos[v] = float64(i) - float64(len(vs)-1)/2
			}
		}
	}
	setPos()
	for sweep := range 4 {
		nbrs := in
		if sweep%2 == 1 {
			nbrs = out
		}
		for _, vs := range by {
			key := map[int]float64{}
			for _, v := range vs {
				key[v] = mean(pos, nbrs[v], pos[v])
			}
			sort.SliceStable(vs, func(a, b int) bool { return key[vs[a]] < key[vs[b]] })
		}
		setPos()
	}
	return by
}

// mean is the mean of pos over vs, or def when vs is empty.
func mean(pos []float64, vs []int, def float64) float64 {
	if len(vs) == 0 {
		return def
	}
	s := 0.0
	for _, v := range vs {
		s += pos[v]
	}
	return s / float64(len(vs))
}

// place sets the boxes' coordinates, layer by layer, band by band.
func (l *Layout) place(by [][]int) {
	geo, w, h := l.geo, l.geo.BoxW, l.geo.BoxH
	l.perBand = max(1, int((geo.Width-2*geo.Pad+geo.ColGapMin)/(w+geo.ColGapMin)))
	bands := (len(by) + l.perBand - 1) / l.perBand
	cols := min(len(by), l.perBand)
	tallest := 0
	for _, vs := range by {
		tallest = max(tallest, len(vs))
	}
	bandH := float64(tallest)*(h+geo.RowGap) - geo.RowGap
	gap := geo.ColGapMin
	if cols > 1 {
		gap = math.Min(geo.ColGapMax, (geo.Width-2*geo.Pad-float64(cols)*w)/float64(cols-1))
	}
	l.gap = gap
	l.Boxes = make([]Box, len(l.layer))
	for layer, vs := range by {
		band := layer / l.perBand
		bandTop := geo.Pad + float64(band)*(bandH+geo.BandGap)
		top := bandTop + (bandH-(float64(len(vs))*(h+geo.RowGap)-geo.RowGap))/2
		for i, v := range vs {
			l.Boxes[v] = Box{
				Layer: layer, Order: i, W: w, H: h, BandTop: bandTop,
				X: l.xOfLayer(layer),
				Y: top + float64(i)*(h+geo.RowGap),
			}
		}
	}
	l.Width = 2*geo.Pad + float64(cols)*w + float64(cols-1)*gap
	l.Height = 2*geo.Pad + float64(bands)*(bandH+geo.BandGap) - geo.BandGap
}

// xOfLayer is the left of a layer's boxes.
func (l *Layout) xOfLayer(layer int) float64 {
	return l.geo.Pad + float64(layer%l.perBand)*(l.geo.BoxW+l.gap)
}
