// The layered layout: layers along the edges, cycles, wrapping into bands, and Tidy's channels and lanes.

package graph

import (
	"fmt"
	"strings"
	"testing"
)

var testGeo = Geometry{Width: 600, BoxW: 100, BoxH: 30, Pad: 10, RowGap: 20, ColGapMin: 50, ColGapMax: 120, BandGap: 40}

func TestLayLayersAndCycles(t *testing.T) {
	// 0→1→2→0 (a cycle), 0→3, 3→3 (itself), 1→3.
	l := Lay([][]int{{1, 3}, {2, 3}, {0}, {3}}, testGeo)
	var layers []int
	for _, b := range l.Boxes {
		layers = append(layers, b.Layer)
	}
	if fmt.Sprint(layers) != "[0 1 2 2]" {
		t.Errorf("layers %v, want [0 1 2 2]", layers)
	}
	var backs []string
	for _, p := range l.Paths {
		if p.Back {
			backs = append(backs, fmt.Sprintf("%d→%d", p.From, p.To))
		}
	}
	if fmt.Sprint(backs) != "[2→0 3→3]" {
		t.Errorf("back edges %v, want 2→0 and 3→3", backs)
	}
	if empty := Lay(nil, testGeo); len(empty.Boxes) != 0 || empty.Width != 0 {
		t.Errorf("an empty graph: %+v", empty)
	}
}

func TestLayWrapsIntoBands(t *testing.T) {
	chain := make([][]int, 9)
	for i := range 8 {
		chain[i] = []int{i + 1}
	}
	l := Lay(chain, testGeo)
	// (600-20+50)/(100+50) = 4 layers a band: three bands.
	if b := l.Boxes[8]; b.Layer != 8 || b.BandTop <= l.Boxes[4].BandTop || l.Boxes[4].BandTop <= l.Boxes[0].BandTop {
		t.Errorf("band tops %v %v %v", l.Boxes[0].BandTop, l.Boxes[4].BandTop, b.BandTop)
	}
	if l.Width > testGeo.Width || l.Boxes[4].X != l.Boxes[0].X {
		t.Errorf("width %v; layer 4 at x %v, layer 0 at %v", l.Width, l.Boxes[4].X, l.Boxes[0].X)
	}
	for _, p := range l.Paths {
		if p.Back {
			t.Errorf("%d→%d is drawn back", p.From, p.To)
		}
	}
}

func TestTidyMovesEdgesAsideAndUnder(t *testing.T) {
	// 0→1 twice, 0→1→2 and 0→2 skipping layer 1.
	out := [][]int{{1, 1, 2}, {2}, nil}
	plain, tidy := testGeo, testGeo
	tidy.Tidy = true
	p, q := Lay(out, plain), Lay(out, tidy)
	if p.Paths[0].D != p.Paths[1].D {
		t.Error("without Tidy two edges between the same boxes are one path")
	}
	if q.Paths[0].D == q.Paths[1].D || !q.Paths[1].Aside || q.Paths[0].Aside {
		t.Errorf("with Tidy the second edge is not moved aside: %+v", q.Paths[:2])
	}
	if q.Paths[3].D != p.Paths[3].D {
		t.Error("Tidy changed an edge between adjacent layers")
	}
	// The skipping edge runs under the box of layer 1.
	skip, mid := q.Paths[2], q.Boxes[1]
	if !strings.Contains(skip.D, "H") || skip.MidY <= mid.Y+mid.H {
		t.Errorf("0→2 runs at y %v, not under box 1 (bottom %v): %s", skip.MidY, mid.Y+mid.H, skip.D)
	}
}
