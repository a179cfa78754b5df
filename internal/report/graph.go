// The topology graph: services in layers by calls (callers left, callees right), laid out here without a library.

package report

import (
	"math"
	"sort"

	"github.com/chainctl/chainctl/internal/experiment"
)

// The graph's geometry, in SVG units.
const (
	graphPad  = 16.0
	boxH      = 34.0
	rowGap    = 22.0 // between boxes of one layer
	colGapMin = 56.0 // between layers
	bandGap   = 40.0 // between the bands of a graph too long for one
	nameMax   = 22   // runes of a name shown in full
)

// graph is what the template draws.
type graph struct {
	Width, Height float64
	Nodes         []node
	Edges         []edge
}

type node struct {
	Name, Label    string
	Faulted, Extra bool // Extra: called but not among the services
	Layer, Order   int
	X, Y, W        float64
	BandTop        float64 // where its band of layers starts
	TextX, TextY   float64
	Calls          int
}

type edge struct {
	From, To string
	D        string
	Back     bool // goes against the layers (a cycle)
}

// layoutGraph places the services: layer = the longest chain of calls
// that leads to it (cycles broken where a depth-first walk closes them),
// order within a layer by the mean position of the callers (a few
// sweeps), layers that do not fit across the page wrap into bands.
func layoutGraph(g experiment.Graph) graph {
	nodes, idx := graphNodes(g)
	if len(nodes) == 0 {
		return graph{}
	}
	out, back := adjacency(g, idx, len(nodes))
	layers := assignLayers(out, back)
	byLayer := orderLayers(layers, out, back)
	return place(nodes, byLayer, out, back, layers)
}

// graphNodes lists the services, then anything called that is not one.
func graphNodes(g experiment.Graph) ([]node, map[string]int) {
	idx := map[string]int{}
	var nodes []node
	add := func(name string, faulted, extra bool) {
		if _, ok := idx[name]; ok {
			return
		}
		idx[name] = len(nodes)
		label := name
		if r := []rune(name); len(r) > nameMax {
			label = string(r[:nameMax-1]) + "…"
		}
		nodes = append(nodes, node{Name: name, Label: label, Faulted: faulted, Extra: extra})
	}
	for _, s := range g.Services {
		add(s.Name, s.Faulted, false)
	}
	for _, s := range g.Services {
		for _, c := range s.Calls {
			add(c, false, true)
		}
	}
	for _, s := range g.Services {
		nodes[idx[s.Name]].Calls += len(s.Calls)
	}
	return nodes, idx
}

// adjacency is who calls whom by index, and which calls close a cycle
// in a depth-first walk in the services' order.
func adjacency(g experiment.Graph, idx map[string]int, n int) ([][]int, map[[2]int]bool) {
	out := make([][]int, n)
	for _, s := range g.Services {
		from := idx[s.Name]
		for _, c := range s.Calls {
			out[from] = append(out[from], idx[c])
		}
	}
	back := map[[2]int]bool{}
	state := make([]int, n) // 0 new, 1 on the stack, 2 done
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
	return out, back
}

// assignLayers is each node's longest path from a node nobody calls.
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

// orderLayers orders each layer by the mean position of its callers,
// then of its callees, a few times over.
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

// place sets the boxes' coordinates and draws the edges.
func place(nodes []node, by [][]int, out [][]int, back map[[2]int]bool, layer []int) graph {
	w := 60.0
	for _, n := range nodes {
		w = math.Max(w, textWidth(n.Label, 13)+20)
	}
	perBand := max(1, int((svgWidth-2*graphPad+colGapMin)/(w+colGapMin)))
	bands := (len(by) + perBand - 1) / perBand
	cols := min(len(by), perBand)
	tallest := 0
	for _, vs := range by {
		tallest = max(tallest, len(vs))
	}
	bandH := float64(tallest)*(boxH+rowGap) - rowGap
	gap := colGapMin
	if cols > 1 {
		gap = math.Min(120, (svgWidth-2*graphPad-float64(cols)*w)/float64(cols-1))
	}
	left := graphPad
	for l, vs := range by {
		band, col := l/perBand, l%perBand
		top := graphPad + float64(band)*(bandH+bandGap) + (bandH-(float64(len(vs))*(boxH+rowGap)-rowGap))/2
		for i, v := range vs {
			n := &nodes[v]
			n.Layer, n.Order, n.W = l, i, w
			n.BandTop = graphPad + float64(band)*(bandH+bandGap)
			n.X = left + float64(col)*(w+gap)
			n.Y = top + float64(i)*(boxH+rowGap)
			n.TextX, n.TextY = n.X+w/2, n.Y+boxH/2+4.5
		}
	}
	g := graph{Width: 2*graphPad + float64(cols)*w + float64(cols-1)*gap, Height: 2*graphPad + float64(bands)*(bandH+bandGap) - bandGap, Nodes: nodes}
	for v := range out {
		for _, t := range out[v] {
			a, b := nodes[v], nodes[t]
			g.Edges = append(g.Edges, connect(a, b, back[[2]int{v, t}] || layer[t] <= layer[v], a.Layer/perBand == b.Layer/perBand))
		}
	}
	return g
}

// connect draws a call from a to b: a curve from a's right to b's left
// along the layers, down to the next band when the layers wrap, and a
// loop under the boxes for a call that goes back (a cycle).
func connect(a, b node, back, sameBand bool) edge {
	e := edge{From: a.Name, To: b.Name, Back: back}
	ax, ay := a.X+a.W, a.Y+boxH/2
	bx, by := b.X-3, b.Y+boxH/2
	switch {
	case a.Name == b.Name:
		x, y := a.X+a.W*0.7, a.Y+boxH
		e.D = "M" + num(x) + "," + num(y) + "C" + num(x) + "," + num(y+26) + " " + num(x-30) + "," + num(y+26) + " " + num(x-30) + "," + num(y+3)
	case back:
		x0, y0, x1, y1 := a.X+a.W/2, a.Y+boxH, b.X+b.W/2+8, b.Y+boxH+3
		d := 24 + math.Abs(x1-x0)*0.08
		e.D = "M" + num(x0) + "," + num(y0) + "C" + num(x0) + "," + num(y0+d) + " " + num(x1) + "," + num(y1+d) + " " + num(x1) + "," + num(y1)
	case !sameBand:
		// Like a wrapped line: down into the gap above b's band, across to
		// the left of b's column, down, and into b from its left.
		x0, y0, x1 := a.X+a.W/2, a.Y+boxH, b.X-11
		g, r, dir := b.BandTop-bandGap/2, 6.0, 1.0
		if x1 < x0 {
			dir = -1
		}
		e.D = "M" + num(x0) + "," + num(y0) + "V" + num(g-r) + "Q" + num(x0) + "," + num(g) + " " + num(x0+dir*r) + "," + num(g) +
			"H" + num(x1-dir*r) + "Q" + num(x1) + "," + num(g) + " " + num(x1) + "," + num(g+r) +
			"V" + num(by-r) + "Q" + num(x1) + "," + num(by) + " " + num(x1+r) + "," + num(by) + "H" + num(bx)
	default:
		mx := (ax + bx) / 2
		e.D = "M" + num(ax) + "," + num(ay) + "C" + num(mx) + "," + num(ay) + " " + num(mx) + "," + num(by) + " " + num(bx) + "," + num(by)
	}
	return e
}
