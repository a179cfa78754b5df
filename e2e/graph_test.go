// End-to-end test of graph on a running project: every service healthy, then c killed and b blackholed shown as faulted with ps's fault text, then healed.

package e2e

import (
	"strings"
	"testing"
	"time"
)

func TestGraphShowsTheLiveState(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	file := writeTopology(t, p, fastChain)
	mustChainctl(t, "up", "-q", file)

	graph := func(args ...string) string {
		return mustChainctl(t, append([]string{"graph", "-q"}, args...)...).stdout
	}
	expect := func(what, out string, wants ...string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q:\n%s", what, w, out)
			}
		}
	}
	expect("graph -p of the running chain", graph("-p", p, "--format", "mermaid"),
		"flowchart LR\n", "a --> b\n", "b --> c\n", "class a,b,c healthy\n", "→8080<br/>healthy\"]")

	mustChainctl(t, "break", "-q", "-p", p, "c")
	mustChainctl(t, "break", "-q", "-p", p, "b", "--mode", "blackhole")
	// -p alone: the graph comes from the recorded topology.
	expect("graph -p with c killed", graph("-p", p, "--format", "mermaid"),
		"a --> b\n", "b --> c\n", `c["c<br/>faulted: killed"]`, `b["b<br/>faulted: blackhole"]`,
		"class a healthy\n", "class b,c faulted\n")
	// FILE: the file's graph, coloured by the running project.
	expect("graph FILE --format svg", graph(file, "--format", "svg"),
		`data-service="c" data-layer="2" data-state="faulted"`, "faulted: killed", `class="edge call" data-from="b" data-to="c"`)
	expect("graph FILE --format dot", graph("--format", "dot", file),
		`"c" [label="c\nfaulted: killed", fillcolor="#ffe3e3"`)

	mustChainctl(t, "heal", "-q", "-p", p)
	eventually(t, 30*time.Second, "graph shows every service healthy after heal", func() (bool, string) {
		out := graph("-p", p)
		return strings.Contains(out, "class a,b,c healthy\n") && !strings.Contains(out, "faulted"), out
	})
}
