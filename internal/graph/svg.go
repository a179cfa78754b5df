// SVG: the graph drawn by chainctl itself, with the layered layout, a legend and the live state as classes.

package graph

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// The picture's geometry, in SVG units.
const (
	svgWidth  = 1200.0 // layers that do not fit wrap into bands
	legendH   = 30.0
	nameLineH = 18.0
	detailH   = 14.0
	boxPadV   = 14.0 // above the name and below the last line, together
	boxWMin   = 90.0
	boxWMax   = 240.0
	nameMax   = 26 // runes of a name shown in full
)

// SVG writes the graph as a standalone SVG: boxes in layers (callers
// left), solid call arrows, dashed depends_on arrows with their condition,
// and each box's class its live state (healthy, starting, faulted,
// missing) or "extra" for a stranger.
func (g *Graph) SVG(w io.Writer) error {
	b := bufio.NewWriter(w)
	boxW, lines := svgBoxes(g.Services)
	idx := g.index()
	out := make([][]int, len(g.Services))
	for i, s := range g.Services {
		for _, c := range s.Calls {
			out[i] = append(out[i], idx[c.To])
		}
		for _, d := range s.DependsOn {
			out[i] = append(out[i], idx[d.On])
		}
	}
	boxH := nameLineH + boxPadV + detailH*float64(lines)
	l := Lay(out, Geometry{Width: svgWidth, BoxW: boxW, BoxH: boxH, Pad: 16, RowGap: 18, ColGapMin: 56, ColGapMax: 120, BandGap: 44, Tidy: true})
	width := math.Ceil(math.Max(l.Width, legendWidth(g.Live)))
	height := math.Ceil(legendH + l.Height + 20)
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="chainctl-graph" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s">`+"\n",
		num(width), num(height), num(width), num(height), esc(g.Project+": the services, whom they call and what they wait for"))
	fmt.Fprintf(b, "<title>%s</title>\n", esc(g.Project))
	b.WriteString(svgStyle())
	b.WriteString(`<defs><marker id="chainctl-call" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10Z" fill="#495057"/></marker>` +
		`<marker id="chainctl-dep" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,1L10,5L0,9" fill="none" stroke="#868e96" stroke-width="1.6"/></marker></defs>` + "\n")
	svgLegend(b, g.Live)
	fmt.Fprintf(b, `<g class="chart" transform="translate(0,%s)">`+"\n", num(legendH))
	svgEdges(b, g, l)
	svgNodes(b, g, l)
	b.WriteString("</g>\n</svg>\n")
	return b.Flush()
}

// svgBoxes is the width every box gets, from its widest line, and the
// most detail lines any box has.
func svgBoxes(ss []Service) (w float64, lines int) {
	w = boxWMin
	for _, s := range ss {
		w = math.Max(w, textWidth(clip(s.title(), nameMax), 13)+20)
		for _, d := range s.details() {
			w = math.Max(w, textWidth(d, 11)+16)
		}
		lines = max(lines, len(s.details()))
	}
	return math.Min(w, boxWMax), lines
}

// svgEdges draws every edge, in the order they were laid out: each
// service's calls, then its depends_on.
func svgEdges(b *bufio.Writer, g *Graph, l *Layout) {
	k := 0
	route := func() Path {
		k++
		return l.Paths[k-1]
	}
	b.WriteString(`<g class="edges">` + "\n")
	for _, s := range g.Services {
		for _, c := range s.Calls {
			p := route()
			title := s.Name + " calls " + c.To
			if lb := c.label(); lb != "" {
				title += " on port " + lb
			}
			fmt.Fprintf(b, `<path class="edge call%s" data-from="%s" data-to="%s" d="%s" marker-end="url(#chainctl-call)"><title>%s</title></path>`+"\n",
				backClass(p), esc(s.Name), esc(c.To), p.D, esc(title))
			if lb := c.label(); lb != "" {
				fmt.Fprintf(b, `<text class="edge-label" x="%s" y="%s">%s</text>`+"\n", num(p.MidX), num(labelY(p)), esc(lb))
			}
		}
		for _, d := range s.DependsOn {
			p := route()
			fmt.Fprintf(b, `<path class="edge depends%s" data-from="%s" data-to="%s" data-condition="%s" d="%s" marker-end="url(#chainctl-dep)"><title>%s</title></path>`+"\n",
				backClass(p), esc(s.Name), esc(d.On), esc(string(d.Condition)), p.D, esc(s.Name+" depends on "+d.On+" ("+d.label()+")"))
			fmt.Fprintf(b, `<text class="edge-label" x="%s" y="%s">%s</text>`+"\n", num(p.MidX), num(labelY(p)), esc(d.label()))
		}
	}
	b.WriteString("</g>\n")
}

// labelY is where an edge's label goes: above the line, below it when
// the edge was moved aside (under another).
func labelY(p Path) float64 {
	if p.Aside {
		return p.MidY + 11
	}
	return p.MidY - 3
}

func backClass(p Path) string {
	if p.Back {
		return " back"
	}
	return ""
}

// svgNodes draws the boxes: the name, then the detail lines, and the
// whole text as the box's tooltip.
func svgNodes(b *bufio.Writer, g *Graph, l *Layout) {
	b.WriteString(`<g class="nodes">` + "\n")
	for i, s := range g.Services {
		box := l.Boxes[i]
		class := "service"
		if c := s.class(); c != "" {
			class += " " + c
		}
		fmt.Fprintf(b, `<g class="%s" data-service="%s" data-layer="%d"`, class, esc(s.Name), box.Layer)
		if s.State != "" {
			fmt.Fprintf(b, ` data-state="%s"`, s.State)
		}
		b.WriteString(">")
		fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%s" rx="6"/>`, num(box.X), num(box.Y), num(box.W), num(box.H))
		cx := box.X + box.W/2
		y := box.Y + boxPadV/2 + 13
		fmt.Fprintf(b, `<text class="name" x="%s" y="%s">%s</text>`, num(cx), num(y), esc(clip(s.title(), nameMax)))
		maxRunes := int((box.W - 16 - 6) / (11 * 0.6))
		for _, d := range s.details() {
			y += detailH
			fmt.Fprintf(b, `<text class="detail" x="%s" y="%s">%s</text>`, num(cx), num(y), esc(clip(d, maxRunes)))
		}
		fmt.Fprintf(b, "<title>%s</title></g>\n", esc(strings.Join(append([]string{s.title()}, s.details()...), "\n")))
	}
	b.WriteString("</g>\n")
}

// svgLegend explains the two kinds of arrow and, when live, the colours.
func svgLegend(b *bufio.Writer, live bool) {
	b.WriteString(`<g class="legend">`)
	b.WriteString(`<path class="edge call" d="M16,15H46" marker-end="url(#chainctl-call)"/><text x="52" y="19">calls</text>`)
	b.WriteString(`<path class="edge depends" d="M96,15H126" marker-end="url(#chainctl-dep)"/><text x="132" y="19">depends_on (condition)</text>`)
	if live {
		x := 300.0
		for _, st := range States {
			l := looks[string(st)]
			fmt.Fprintf(b, `<rect class="swatch" x="%s" y="7" width="16" height="14" rx="3" fill="%s" stroke="%s"/><text x="%s" y="19">%s</text>`, num(x), l.fill, l.stroke, num(x+21), st)
			x += 21 + textWidth(string(st), 12) + 14
		}
	}
	b.WriteString("</g>\n")
}

// legendWidth is how wide the legend is.
func legendWidth(live bool) float64 {
	if !live {
		return 280
	}
	w := 300.0
	for _, st := range States {
		w += 21 + textWidth(string(st), 12) + 14
	}
	return w
}

// svgStyle is the picture's own style sheet: it needs no page around it.
func svgStyle() string {
	var s strings.Builder
	s.WriteString("<style>\n")
	s.WriteString(`.chainctl-graph { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; background: #fff; }` + "\n")
	s.WriteString(".chainctl-graph .legend text { font-size: 12px; fill: #343a40; }\n")
	s.WriteString(".chainctl-graph .edge { fill: none; stroke-width: 1.5; }\n")
	s.WriteString(".chainctl-graph .edge.call { stroke: #495057; }\n")
	s.WriteString(".chainctl-graph .edge.depends { stroke: #868e96; stroke-dasharray: 5 3; }\n")
	s.WriteString(".chainctl-graph .edge-label { font-size: 10px; fill: #495057; text-anchor: middle; paint-order: stroke; stroke: #fff; stroke-width: 3px; }\n")
	s.WriteString(".chainctl-graph .service rect { fill: #e7f0fb; stroke: #4a78b5; stroke-width: 1.4; }\n")
	s.WriteString(".chainctl-graph .service text { text-anchor: middle; fill: #212529; }\n")
	s.WriteString(".chainctl-graph .service .name { font-size: 13px; font-weight: 600; }\n")
	s.WriteString(".chainctl-graph .service .detail { font-size: 11px; }\n")
	for _, c := range classOrder {
		l := looks[c]
		extra := ""
		switch c {
		case string(Faulted):
			extra = " stroke-width: 2.2;"
		case string(Missing), "extra":
			extra = " stroke-dasharray: 4 3;"
		}
		fmt.Fprintf(&s, ".chainctl-graph .service.%s rect { fill: %s; stroke: %s;%s }\n", c, l.fill, l.stroke, extra)
		fmt.Fprintf(&s, ".chainctl-graph .service.%s text { fill: %s; }\n", c, l.text)
	}
	s.WriteString("</style>\n")
	return s.String()
}

// textWidth guesses how wide a text of px pixels is.
func textWidth(s string, px float64) float64 {
	return float64(len([]rune(s)))*px*0.6 + 6
}

// clip shortens s to n runes, with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n || n < 2 {
		return s
	}
	return string(r[:n-1]) + "…"
}

// esc escapes text for XML, in text and in attributes.
func esc(s string) string { return html.EscapeString(s) }
