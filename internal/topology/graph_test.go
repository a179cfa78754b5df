// Tests of the dependency graph: order, levels, callers, cycles, renaming and the entry service.

package topology

import (
	"fmt"
	"strings"
	"testing"
)

func mustParse(t testing.TB, src string) *Topology {
	t.Helper()
	top, err := Parse([]byte(src), "g.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	return top
}

func TestGraph(t *testing.T) {
	top := mustParse(t, `services:
  a: {image: x, calls: [b, "d:9000", b]}
  b: {image: x, calls: [c]}
  c: {image: x}
  d: {image: x, depends_on: [c], calls: [c]}
  e: {image: x}
`)
	tests := []struct {
		name string
		got  any
		want string
	}{
		{"ServiceNames", top.ServiceNames(), "[a b c d e]"},
		{"Dependencies(a)", top.Dependencies("a"), "[b d]"},
		{"Dependencies(d)", top.Dependencies("d"), "[c]"},
		{"Dependencies(c)", top.Dependencies("c"), "[]"},
		{"Dependencies(nope)", top.Dependencies("nope"), "[]"},
		{"Levels", top.Levels(), "[[c e] [b d] [a]]"},
		{"ReverseLevels", top.ReverseLevels(), "[[a] [b d] [c e]]"},
		{"Callers(c)", top.Callers("c"), "[a b d]"},
		{"Callers(b)", top.Callers("b"), "[a]"},
		{"Callers(a)", top.Callers("a"), "[]"},
		{"Callers(e)", top.Callers("e"), "[]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(tt.got); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.name, got, tt.want)
		}
	}
	// depends_on stays only what was written: calls are separate edges.
	if fmt.Sprint(top.Services["d"].DependsOn) != "map[c:service_started]" || top.Services["a"].DependsOn != nil {
		t.Errorf("depends_on = %v / %v", top.Services["d"].DependsOn, top.Services["a"].DependsOn)
	}
}

// TestLevelsStartAfterDependencies checks the level invariant on a wider
// graph: every dependency sits in an earlier level.
func TestLevelsStartAfterDependencies(t *testing.T) {
	var b strings.Builder
	b.WriteString("services:\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "  s%02d: {image: x, calls: [", i)
		var deps []string
		for j := i + 1; j < 40; j++ {
			if (i*7+j*3)%5 == 0 {
				deps = append(deps, fmt.Sprintf("s%02d", j))
			}
		}
		b.WriteString(strings.Join(deps, ", ") + "]}\n")
	}
	top := mustParse(t, b.String())
	level := map[string]int{}
	n := 0
	for i, lv := range top.Levels() {
		for _, name := range lv {
			level[name] = i
			n++
		}
	}
	if n != 40 {
		t.Fatalf("%d services in levels", n)
	}
	for name := range top.Services {
		for _, dep := range top.Dependencies(name) {
			if level[dep] >= level[name] {
				t.Errorf("%s (level %d) depends on %s (level %d)", name, level[name], dep, level[dep])
			}
		}
	}
}

func TestCycles(t *testing.T) {
	src := `services:
  a: {image: x, calls: [b]}
  b: {image: x, depends_on: [c]}
  c: {image: x, calls: [a, d]}
  d: {image: x}
  p: {image: x, calls: [q]}
  q: {image: x, depends_on: {p: {condition: service_healthy}}}
`
	_, err := Parse([]byte(src), "cyc.yaml", nil)
	if err == nil {
		t.Fatal("cycles accepted")
	}
	want := "cyc.yaml:2: services.a.calls[0]: dependency cycle: a -> b -> c -> a\n" +
		"cyc.yaml:6: services.p.calls[0]: dependency cycle: p -> q -> p"
	if err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}

// TestCyclicGraphDoesNotHang: the graph methods stay usable on a
// Topology built by hand (the engine reads some back from JSON).
func TestCyclicGraphDoesNotHang(t *testing.T) {
	top := &Topology{Services: map[string]*Service{
		"a": {Name: "a", Calls: []Call{{"b", 80}}},
		"b": {Name: "b", Calls: []Call{{"a", 80}, {"gone", 80}}},
	}}
	if got := fmt.Sprint(top.cycles()); got != "[[a b a]]" {
		t.Errorf("cycles = %s", got)
	}
	if n := len(top.Levels()); n == 0 {
		t.Error("no levels")
	}
	if got := fmt.Sprint(top.Callers("a")); got != "[b]" {
		t.Errorf("callers = %s", got)
	}
}

func TestRename(t *testing.T) {
	top := mustParse(t, "name: one\nvolumes: {data: }\nservices:\n  a: {image: x, volumes: [\"data:/d\"]}\n")
	top.Rename("two")
	if top.Name != "two" || top.Network.Name != "two-net" || top.Volumes["data"].Name != "two-data" {
		t.Errorf("rename: %s", dump(top))
	}
	custom := mustParse(t, "name: one\nnetwork: {name: shared}\nservices:\n  a: {image: x}\n")
	custom.Rename("two")
	if custom.Network.Name != "shared" {
		t.Errorf("an explicit network name changed: %q", custom.Network.Name)
	}
}

func TestEntry(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"the published caller of a chain", "services:\n  a: {image: x, ports: [\"8080\"], calls: [b]}\n  b: {image: x, ports: [\"8081\"], calls: [c]}\n  c: {image: x}\n", "a"},
		{"the first by name", "services:\n  z: {image: x, ports: [\"8080\"]}\n  m: {image: x, ports: [\"8080\"]}\n", "m"},
		{"not one that is called", "services:\n  a: {image: x, calls: [b]}\n  b: {image: x, ports: [\"8080\"]}\n  c: {image: x, ports: [\"9090\"], calls: [b]}\n", "c"},
		{"none published", "services:\n  a: {image: x, calls: [b]}\n  b: {image: x}\n", ""},
		{"every published one is called", "services:\n  a: {image: x, calls: [b]}\n  b: {image: x, ports: [\"8080\"], calls: [c]}\n  c: {image: x, ports: [\"9090\"]}\n", ""},
	} {
		if got := mustParse(t, tc.src).Entry(); got != tc.want {
			t.Errorf("%s: Entry() = %q, want %q", tc.name, got, tc.want)
		}
	}
}
