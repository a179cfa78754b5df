// Graphviz dot: a digraph to render elsewhere (dot -Tpng), sorted so it diffs well.

package graph

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Dot writes the graph as a left-to-right digraph: calls are solid arrows
// (labelled with a port that is not 8080), depends_on dashed ones labelled
// with their condition; live states are fill colours.
func (g *Graph) Dot(w io.Writer) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "// %s: solid arrows are calls, dashed ones depends_on (with its condition)\n", g.Project)
	fmt.Fprintf(b, "digraph %s {\n", dotQuote(g.Project))
	fmt.Fprintln(b, "  rankdir=LR;")
	fmt.Fprintln(b, `  node [shape=box, style="rounded,filled", fillcolor="#e7f0fb", color="#4a78b5", fontname="Helvetica", fontsize=12];`)
	fmt.Fprintln(b, `  edge [color="#495057", fontname="Helvetica", fontsize=10];`)
	for _, s := range g.Services {
		lines := append([]string{s.title()}, s.details()...)
		attrs := []string{"label=" + dotQuote(strings.Join(lines, "\n"))}
		if c := s.class(); c != "" {
			l := looks[c]
			attrs = append(attrs, "fillcolor="+dotQuote(l.fill), "color="+dotQuote(l.stroke), "fontcolor="+dotQuote(l.text))
			if c == string(Missing) || c == "extra" {
				attrs = append(attrs, `style="rounded,filled,dashed"`)
			}
			if c == string(Faulted) {
				attrs = append(attrs, "penwidth=2")
			}
		}
		fmt.Fprintf(b, "  %s [%s];\n", dotQuote(s.Name), strings.Join(attrs, ", "))
	}
	for _, s := range g.Services {
		for _, c := range s.Calls {
			attrs := ""
			if l := c.label(); l != "" {
				attrs = " [label=" + dotQuote(l) + "]"
			}
			fmt.Fprintf(b, "  %s -> %s%s;\n", dotQuote(s.Name), dotQuote(c.To), attrs)
		}
		for _, d := range s.DependsOn {
			fmt.Fprintf(b, "  %s -> %s [style=dashed, color=\"#868e96\", label=%s];\n", dotQuote(s.Name), dotQuote(d.On), dotQuote(d.label()))
		}
	}
	fmt.Fprintln(b, "}")
	return b.Flush()
}

// dotQuote is s as a dot string: quoted, with quotes and backslashes
// escaped and line breaks as \n.
func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
