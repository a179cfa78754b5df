// The topology graph: services in layers by calls (callers left, callees right), laid out by internal/graph.

package report

import (
	"math"

	"github.com/chainctl/chainctl/internal/experiment"
	lay "github.com/chainctl/chainctl/internal/graph"
)

// The graph's geometry, in SVG units.
const (
	graphPad  = 16.0
	boxH      = 34.0
	rowGap    = 22.0 // between boxes of one layer
	colGapMin = 56.0 // between layers
	colGapMax = 120.0
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

// layoutGraph places the services with the layered layout of
// internal/graph (the one `chainctl graph --format svg` draws with):
// layers by calls, callers left, layers that do not fit across the page
// wrap into bands.
func layoutGraph(g experiment.Graph) graph {
	nodes, idx := graphNodes(g)
	if len(nodes) == 0 {
		return graph{}
	}
	out := make([][]int, len(nodes))
	for _, s := range g.Services {
		from := idx[s.Name]
		for _, c := range s.Calls {
			out[from] = append(out[from], idx[c])
		}
	}
	w := 60.0
	for _, n := range nodes {
		w = math.Max(w, textWidth(n.Label, 13)+20)
	}
	l := lay.Lay(out, lay.Geometry{
		Width: svgWidth, BoxW: w, BoxH: boxH, Pad: graphPad,
		RowGap: rowGap, ColGapMin: colGapMin, ColGapMax: colGapMax, BandGap: bandGap,
	})
	for i, b := range l.Boxes {
		n := &nodes[i]
		n.Layer, n.Order, n.W, n.BandTop = b.Layer, b.Order, b.W, b.BandTop
		n.X, n.Y = b.X, b.Y
		n.TextX, n.TextY = n.X+w/2, n.Y+boxH/2+4.5
	}
	pic := graph{Width: l.Width, Height: l.Height, Nodes: nodes}
	for _, p := range l.Paths {
		pic.Edges = append(pic.Edges, edge{From: nodes[p.From].Name, To: nodes[p.To].Name, D: p.D, Back: p.Back})
	}
	return pic
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
