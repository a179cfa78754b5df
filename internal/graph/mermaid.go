// Mermaid: a flowchart to paste where Mermaid renders (GitHub, GitLab, docs sites), sorted so it diffs well.

package graph

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Colours of the states and of strangers, shared by mermaid and dot.
var looks = map[string]struct{ fill, stroke, text string }{
	string(Healthy):  {"#d3f9d8", "#2b8a3e", "#1b4332"},
	string(Starting): {"#fff3bf", "#e67700", "#5c3c00"},
	string(Faulted):  {"#ffe3e3", "#c92a2a", "#a61e1e"},
	string(Missing):  {"#f1f3f5", "#868e96", "#495057"},
	"extra":          {"#f8f9fa", "#adb5bd", "#495057"},
}

// Mermaid writes the graph as a left-to-right flowchart: calls are solid
// arrows (labelled with a port that is not 8080), depends_on dashed ones
// labelled with their condition; live states are classes.
func (g *Graph) Mermaid(w io.Writer) error {
	b := bufio.NewWriter(w)
	ids := mermaidIDs(g.Services)
	fmt.Fprintln(b, "flowchart LR")
	fmt.Fprintf(b, "  %%%% %s: solid arrows are calls, dashed ones depends_on (with its condition)\n", mermaidComment(g.Project))
	for _, s := range g.Services {
		lines := append([]string{s.title()}, s.details()...)
		for i, l := range lines {
			lines[i] = mermaidText(l)
		}
		fmt.Fprintf(b, "  %s[\"%s\"]\n", ids[s.Name], strings.Join(lines, "<br/>"))
	}
	for _, s := range g.Services {
		for _, c := range s.Calls {
			if l := c.label(); l != "" {
				fmt.Fprintf(b, "  %s -->|%s| %s\n", ids[s.Name], l, ids[c.To])
			} else {
				fmt.Fprintf(b, "  %s --> %s\n", ids[s.Name], ids[c.To])
			}
		}
		for _, d := range s.DependsOn {
			fmt.Fprintf(b, "  %s -. %s .-> %s\n", ids[s.Name], d.label(), ids[d.On])
		}
	}
	classes := map[string][]string{}
	for _, s := range g.Services {
		if c := s.class(); c != "" {
			classes[c] = append(classes[c], ids[s.Name])
		}
	}
	for _, c := range classOrder {
		if len(classes[c]) == 0 {
			continue
		}
		l := looks[c]
		extra := ""
		if c == string(Faulted) {
			extra = ",stroke-width:2px"
		}
		if c == string(Missing) || c == "extra" {
			extra = ",stroke-dasharray:4 3"
		}
		fmt.Fprintf(b, "  classDef %s fill:%s,stroke:%s,color:%s%s\n", c, l.fill, l.stroke, l.text, extra)
		fmt.Fprintf(b, "  class %s %s\n", strings.Join(classes[c], ","), c)
	}
	return b.Flush()
}

// classOrder is the order the classes are written in.
var classOrder = []string{string(Healthy), string(Starting), string(Faulted), string(Missing), "extra"}

// class is how a service is coloured: its live state, else "extra" for a
// stranger, else nothing.
func (s Service) class() string {
	switch {
	case s.State != "":
		return string(s.State)
	case s.Extra:
		return "extra"
	}
	return ""
}

// mermaidReserved are words Mermaid reads as keywords, not node ids.
var mermaidReserved = map[string]bool{
	"end": true, "graph": true, "flowchart": true, "subgraph": true, "class": true, "classDef": true,
	"style": true, "linkStyle": true, "click": true, "direction": true, "default": true, "call": true, "href": true,
}

// mermaidIDs gives each service a node id Mermaid reads as one: the name
// itself when it can be, else the name with its other characters made _
// and, when that clashes or is a keyword, its position appended.
func mermaidIDs(ss []Service) map[string]string {
	ids := map[string]string{}
	used := map[string]bool{}
	for i, s := range ss {
		id := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
				return r
			}
			return '_'
		}, s.Name)
		if used[id] || mermaidReserved[id] {
			id += "_" + strconv.Itoa(i)
		}
		for used[id] {
			id += "_"
		}
		used[id] = true
		ids[s.Name] = id
	}
	return ids
}

// mermaidComment keeps a comment on its line.
func mermaidComment(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }

// mermaidText escapes a label for inside "...": Mermaid's #entity; codes.
func mermaidText(s string) string {
	return strings.NewReplacer("#", "#35;", `"`, "#quot;", "<", "#lt;", ">", "#gt;", "&", "#amp;").Replace(s)
}
