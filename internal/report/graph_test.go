// The topology layout: layers by calls, cycles, wrapping, and what the scales and label rows do.

package report

import (
	"fmt"
	"testing"

	"github.com/chainctl/chainctl/internal/experiment"
)

func layers(g graph) map[string]int {
	out := map[string]int{}
	for _, n := range g.Nodes {
		out[n.Name] = n.Layer
	}
	return out
}

func TestLayoutLayers(t *testing.T) {
	g := layoutGraph(sampleJournal().Graph)
	want := map[string]int{"a": 0, "b": 1, "c": 2, "d": 2}
	if got := layers(g); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("layers %v, want %v", got, want)
	}
	for _, n := range g.Nodes {
		for _, m := range g.Nodes {
			if n.Layer < m.Layer && n.X >= m.X {
				t.Errorf("caller %s (x %v) is not left of %s (x %v)", n.Name, n.X, m.Name, m.X)
			}
		}
	}
	// A diamond: the fan-in lands one layer after both callers.
	g = layoutGraph(experiment.Graph{Services: []experiment.GraphService{
		{Name: "a", Calls: []string{"b", "c"}}, {Name: "b", Calls: []string{"d"}}, {Name: "c", Calls: []string{"x"}},
		{Name: "x", Calls: []string{"d"}}, {Name: "d"},
	}})
	if l := layers(g); l["d"] != 3 || l["x"] != 2 {
		t.Errorf("diamond layers %v", l)
	}
}

func TestLayoutCyclesAndStrangers(t *testing.T) {
	g := layoutGraph(experiment.Graph{Services: []experiment.GraphService{
		{Name: "a", Calls: []string{"b"}}, {Name: "b", Calls: []string{"a", "b", "db"}},
	}})
	l := layers(g)
	if l["a"] != 0 || l["b"] != 1 || l["db"] != 2 {
		t.Errorf("layers %v", l)
	}
	backs := 0
	for _, e := range g.Edges {
		if e.Back {
			backs++
		}
	}
	if len(g.Edges) != 4 || backs != 2 {
		t.Errorf("%d edges, %d back; want 4 and 2 (b→a and b→b)", len(g.Edges), backs)
	}
	if n := g.Nodes[2]; n.Name != "db" || !n.Extra {
		t.Errorf("the called stranger is %+v", n)
	}
	if g := layoutGraph(experiment.Graph{}); len(g.Nodes) != 0 {
		t.Error("an empty graph has nodes")
	}
}

func TestLayoutWrapsALongChain(t *testing.T) {
	g := layoutGraph(stressJournal().Graph)
	if len(g.Nodes) != 21 {
		t.Fatalf("%d nodes, want 20 services and external-db", len(g.Nodes))
	}
	for _, n := range g.Nodes {
		if n.X < 0 || n.X+n.W > g.Width || n.Y < 0 || n.Y+boxH > g.Height {
			t.Errorf("%s at (%v,%v) is outside the %vx%v picture", n.Name, n.X, n.Y, g.Width, g.Height)
		}
	}
	if g.Width > svgWidth {
		t.Errorf("the graph is %v wide, more than the page's %v", g.Width, svgWidth)
	}
}

func TestRowsNeverOverlap(t *testing.T) {
	xs := []float64{0, 10, 200, 5, 400, 205}
	ws := []float64{100, 100, 50, 30, 10, 10}
	r := rows(xs, ws)
	for i := range xs {
		for k := range i {
			if r[i] == r[k] && xs[i] < xs[k]+ws[k] && xs[k] < xs[i]+ws[i] {
				t.Errorf("labels %d and %d overlap in row %d", i, k, r[i])
			}
		}
	}
	if r[0] != 0 || r[2] != 0 || r[4] != 0 {
		t.Errorf("rows %v: labels that fit stay in the first row", r)
	}
}

func TestScales(t *testing.T) {
	if lo, hi := logRange([]float64{2.5, 0, 2000}); lo != 1 || hi != 10000 {
		t.Errorf("logRange = %v..%v, want 1..10000", lo, hi)
	}
	if lo, hi := logRange(nil); lo != 1 || hi != 100 {
		t.Errorf("logRange(nil) = %v..%v", lo, hi)
	}
	if got := fmt.Sprint(logTicks(1, 100)); got != "[1 2 5 10 20 50 100]" {
		t.Errorf("logTicks(1,100) = %s", got)
	}
	if got := fmt.Sprint(ticks(0, 200, 4)); got != "[0 50 100 150 200]" {
		t.Errorf("ticks = %s", got)
	}
	if s := timeStep(40000, 14); s != 5000 {
		t.Errorf("timeStep(40s) = %v, want 5s", s)
	}
}

func TestColumnsMergeLongRuns(t *testing.T) {
	bs := stressJournal().Buckets
	bs[3001].P99MS = 9999
	cols := columns(bs)
	if len(cols) > maxColumns || len(cols) < maxColumns/2 {
		t.Errorf("%d columns for %d buckets", len(cols), len(bs))
	}
	total, peak := 0, 0.0
	for _, c := range cols {
		total += c.Requests
		peak = max(peak, c.P99)
	}
	if total != 5*len(bs) || peak != 9999 {
		t.Errorf("merged columns hold %d requests and a p99 of %v; want %d and 9999", total, peak, 5*len(bs))
	}
	if c := columns(sampleJournal().Buckets); len(c) != 400 || !c[1].joinsPrev || c[0].joinsPrev {
		t.Errorf("400 buckets made %d columns", len(c))
	}
}
