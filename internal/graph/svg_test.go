// The SVG: its structure for abc with c broken (a golden of nodes, edges and classes, not bytes), and no overlapping boxes at 50 services.

package graph

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/chainctl/chainctl/internal/topology"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// element is an SVG element, parsed generically.
type element struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []element  `xml:",any"`
	Text     string     `xml:",chardata"`
}

func (e element) attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (e element) walk(f func(element)) {
	f(e)
	for _, c := range e.Children {
		c.walk(f)
	}
}

func (e element) child(name string) (element, bool) {
	for _, c := range e.Children {
		if c.XMLName.Local == name {
			return c, true
		}
	}
	return element{}, false
}

func parseSVG(t *testing.T, g *Graph) element {
	t.Helper()
	var b bytes.Buffer
	if err := g.SVG(&b); err != nil {
		t.Fatal(err)
	}
	var root element
	if err := xml.Unmarshal(b.Bytes(), &root); err != nil {
		t.Fatalf("the SVG is not well-formed XML: %v\n%s", err, b.String())
	}
	if root.XMLName.Local != "svg" || root.XMLName.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("the root is %v", root.XMLName)
	}
	return root
}

// structure sums up the picture: each box (service, classes, layer, its
// texts) and each edge (classes, from, to), sorted.
func structure(root element) string {
	var lines []string
	root.walk(func(e element) {
		switch {
		case e.XMLName.Local == "g" && e.attr("data-service") != "":
			var texts []string
			for _, c := range e.Children {
				if c.XMLName.Local == "text" {
					texts = append(texts, c.attr("class")+"="+c.Text)
				}
			}
			lines = append(lines, fmt.Sprintf("node %s class=%q layer=%s state=%q %s", e.attr("data-service"), e.attr("class"), e.attr("data-layer"), e.attr("data-state"), strings.Join(texts, " ")))
		case e.XMLName.Local == "path" && e.attr("data-from") != "":
			lines = append(lines, fmt.Sprintf("edge %s -> %s class=%q condition=%q", e.attr("data-from"), e.attr("data-to"), e.attr("class"), e.attr("data-condition")))
		}
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("%s changed:\n--- got\n%s--- want\n%s", name, got, want)
	}
}

func TestSVGOfABCWithCBroken(t *testing.T) {
	top := load(t, "abc")
	top.Services["b"].DependsOn = map[string]topology.Condition{"c": topology.ServiceHealthy}
	g := New(top)
	g.SetLive(rowsOf([]string{"a", "b", "c"}, map[string]string{"c": "killed"}))
	root := parseSVG(t, g)
	goldenFile(t, "abc-c-broken.svg.structure", structure(root))

	// c's box says so in its class, its state and its text.
	root.walk(func(e element) {
		if e.attr("data-service") != "c" {
			return
		}
		if e.attr("class") != "service faulted" || e.attr("data-state") != "faulted" {
			t.Errorf("c is drawn as %q (%q), want faulted", e.attr("class"), e.attr("data-state"))
		}
		if title, _ := e.child("title"); !strings.Contains(title.Text, "faulted: killed") {
			t.Errorf("c's tooltip %q lacks the fault", title.Text)
		}
	})
	// The style sheet colours a faulted box red, and the legend lists the states.
	style, _ := root.child("style")
	if !strings.Contains(style.Text, ".service.faulted rect { fill: #ffe3e3; stroke: #c92a2a;") {
		t.Errorf("the style does not colour faulted boxes:\n%s", style.Text)
	}
	var legend []string
	root.walk(func(e element) {
		if e.XMLName.Local == "g" && e.attr("class") == "legend" {
			for _, c := range e.Children {
				if c.XMLName.Local == "text" {
					legend = append(legend, c.Text)
				}
			}
		}
	})
	if got := strings.Join(legend, ","); got != "calls,depends_on (condition),healthy,starting,faulted,missing" {
		t.Errorf("legend %q", got)
	}
}

// rect is a box of the picture.
type rect struct {
	name       string
	x, y, w, h float64
}

func boxes(t *testing.T, root element) (rs []rect, width, height float64) {
	t.Helper()
	f := func(e element, a string) float64 {
		v, err := strconv.ParseFloat(e.attr(a), 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", a, e.attr(a), err)
		}
		return v
	}
	root.walk(func(e element) {
		if e.XMLName.Local == "g" && e.attr("data-service") != "" {
			r, _ := e.child("rect")
			rs = append(rs, rect{e.attr("data-service"), f(r, "x"), f(r, "y"), f(r, "width"), f(r, "height")})
		}
	})
	return rs, f(root, "width"), f(root, "height")
}

// fifty are 50 services of three shapes: a long chain with skips and a
// cycle, a fan-out of 49, and layers of ten with depends_on.
func fifty(shape string) *topology.Topology {
	top := &topology.Topology{Name: "fifty-" + shape, Services: map[string]*topology.Service{}}
	name := func(i int) string { return fmt.Sprintf("service-%02d", i) }
	for i := range 50 {
		s := &topology.Service{Name: name(i), Replicas: 1 + i%3, Ports: []topology.Port{{ContainerPort: "8080", Protocol: "tcp"}}}
		switch shape {
		case "chain":
			if i+1 < 50 {
				s.Calls = append(s.Calls, topology.Call{Service: name(i + 1), Port: 8080})
			}
			if i+3 < 50 && i%4 == 0 {
				s.DependsOn = map[string]topology.Condition{name(i + 3): topology.ServiceHealthy}
			}
			if i == 30 {
				s.Calls = append(s.Calls, topology.Call{Service: name(20), Port: 8080})
			}
		case "fan":
			if i == 0 {
				for k := 1; k < 50; k++ {
					s.Calls = append(s.Calls, topology.Call{Service: name(k), Port: 8080})
				}
			}
		case "layers":
			if i+10 < 50 {
				s.Calls = []topology.Call{{Service: name(i + 10), Port: 8080}, {Service: name((i+3)%10 + (i/10+1)*10), Port: 9090}}
				s.DependsOn = map[string]topology.Condition{name(i + 10): topology.ServiceStarted}
			}
		}
		top.Services[s.Name] = s
	}
	return top
}

func TestSVGOfFiftyServicesHasNoOverlap(t *testing.T) {
	for _, shape := range []string{"chain", "fan", "layers"} {
		t.Run(shape, func(t *testing.T) {
			g := New(fifty(shape))
			rows := rowsOf(nil, nil)
			for _, s := range g.Services {
				rows = append(rows, rowsOf([]string{s.Name}, nil)...)
			}
			rows[7].Fault = "blackhole; delay 200ms ±50ms"
			g.SetLive(rows)
			rs, width, height := boxes(t, parseSVG(t, g))
			if len(rs) != 50 {
				t.Fatalf("%d boxes, want 50", len(rs))
			}
			if width > svgWidth {
				t.Errorf("the picture is %v wide, more than %v", width, svgWidth)
			}
			for i, a := range rs {
				if a.x < 0 || a.y < 0 || a.x+a.w > width || a.y+a.h+legendH > height {
					t.Errorf("%s at (%v,%v) %vx%v is outside the %vx%v picture", a.name, a.x, a.y, a.w, a.h, width, height)
				}
				for _, b := range rs[:i] {
					if a.x < b.x+b.w && b.x < a.x+a.w && a.y < b.y+b.h && b.y < a.y+a.h {
						t.Errorf("%s (%v,%v) overlaps %s (%v,%v)", a.name, a.x, a.y, b.name, b.x, b.y)
					}
				}
			}
		})
	}
}
