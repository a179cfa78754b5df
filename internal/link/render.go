// Rendering a tree for people: one line per branch, the indented tree with ✓ and ✗, and the one-line path.

package link

import (
	"fmt"
	"io"
	"strings"
)

// RenderText writes one line per branch of the tree (fan-out gives several
// lines), each hop with its instance, version and time:
//
//	a (3f2a1c9d, dev, 2.1ms) → b (9e8d7f01, dev, 1.2ms) → c ✗ no such host
func RenderText(w io.Writer, n *Node) error {
	var lines []string
	branches(n, "", &lines)
	_, err := io.WriteString(w, strings.Join(lines, "\n")+"\n")
	return err
}

func branches(n *Node, prefix string, lines *[]string) {
	line := prefix + hop(n)
	if len(n.Calls) == 0 {
		*lines = append(*lines, line)
		return
	}
	for _, c := range n.Calls {
		branches(c, line+" → ", lines)
	}
}

func hop(n *Node) string {
	if n.Instance == "" && n.Error != "" {
		return n.Service + " ✗ " + n.Error // it never answered
	}
	s := fmt.Sprintf("%s (%s, %s, %s)", n.Service, n.Instance, n.Version, n.Took())
	if n.Payload != "" {
		s += payloadSize(n)
	}
	if n.Error != "" && len(n.Calls) == 0 {
		s += " ✗ " + n.Error
	}
	return s
}

// RenderTree writes the tree one hop per line with ✓ or ✗, indented by
// depth, with the reason at the hop that failed (`chainctl call`).
func RenderTree(w io.Writer, n *Node) error {
	var b strings.Builder
	tree(&b, n, "", "")
	_, err := io.WriteString(w, b.String())
	return err
}

func tree(b *strings.Builder, n *Node, first, rest string) {
	mark := "✓"
	if !n.OK() {
		mark = "✗"
	}
	b.WriteString(first + n.Service + " " + mark)
	if n.Instance != "" {
		fmt.Fprintf(b, "  %s  %s  %s  HTTP %d", n.Instance, n.Version, n.Took(), n.Status)
	}
	if n.Payload != "" {
		b.WriteString(" " + payloadSize(n))
	}
	if n.Error != "" {
		b.WriteString("  " + n.Error)
	}
	b.WriteString("\n")
	for i, c := range n.Calls {
		if i == len(n.Calls)-1 {
			tree(b, c, rest+"└─ ", rest+"   ")
		} else {
			tree(b, c, rest+"├─ ", rest+"│  ")
		}
	}
}

// payloadSize is how text shows a payload: its size, never its bytes.
func payloadSize(n *Node) string {
	return fmt.Sprintf(" (payload %d B)", len(n.Payload))
}

// Path summarises a tree in one line of names, following the branch that
// broke if one did: "a → b → c", or "a → b → c ✗ no such host".
func Path(n *Node) string {
	parts := []string{}
	for n != nil {
		part := n.Service
		if n.Error != "" {
			part += " ✗ " + n.Error
		}
		parts = append(parts, part)
		var next *Node
		for _, c := range n.Calls {
			if next == nil || (!c.OK() && next.OK()) {
				next = c
			}
		}
		n = next
	}
	return strings.Join(parts, " → ")
}
