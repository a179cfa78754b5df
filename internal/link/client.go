package link

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Fetch asks the entry of a chain for its tree, as `chainctl call` does.
// When the entry itself cannot be reached the tree is that one failed hop.
func Fetch(ctx context.Context, client *http.Client, base, service string, timeout time.Duration) *Node {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fail := func(status int, reason string) *Node {
		return &Node{Service: service, Status: status, Error: reason, TookMS: ms(time.Since(start))}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/?format=json", nil)
	if err != nil {
		return fail(0, err.Error())
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set(HeaderBudget, fmt.Sprint(int(timeout/time.Millisecond)))
	resp, err := client.Do(req)
	if err != nil {
		if Classify(err) == "timeout" {
			return fail(http.StatusGatewayTimeout, "timeout after "+timeout.String())
		}
		return fail(0, Classify(err))
	}
	defer resp.Body.Close()
	var n Node
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxTreeBytes)).Decode(&n); err != nil {
		return fail(resp.StatusCode, fmt.Sprintf("HTTP %d, not a chain tree: %v", resp.StatusCode, err))
	}
	n.Status = resp.StatusCode
	return &n
}

// RenderTree writes the tree one hop per line with ✓ or ✗, indented by
// depth, with the reason at the hop that failed.
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
		next := (*Node)(nil)
		for _, c := range n.Calls {
			if next == nil || (!c.OK() && next.OK()) {
				next = c
			}
		}
		n = next
	}
	return strings.Join(parts, " → ")
}
