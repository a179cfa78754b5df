// Helpers for the HTML tests: walking the tree, checking tags balance and that nothing points at the network.

package report

import (
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// voids are the elements that have no end tag.
var voids = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// checkWellFormed fails unless every start tag has its end tag, in order.
func checkWellFormed(t *testing.T, page string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(page))
	var stack []string
	for {
		switch z.Next() {
		case html.ErrorToken:
			if len(stack) > 0 {
				t.Errorf("unclosed elements at the end: %v", stack)
			}
			return
		case html.StartTagToken:
			name, _ := z.TagName()
			if !voids[string(name)] {
				stack = append(stack, string(name))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if len(stack) == 0 || stack[len(stack)-1] != string(name) {
				t.Fatalf("</%s> closes %v", name, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
}

// checkSelfContained fails on anything that would load a resource.
func checkSelfContained(t *testing.T, doc *html.Node) {
	t.Helper()
	walk(doc, func(n *html.Node) {
		switch n.Data {
		case "script", "img", "iframe", "object", "embed", "video", "audio", "source", "base":
			t.Errorf("the page has a <%s>", n.Data)
		case "style":
			css := text(n)
			if strings.Contains(css, "@import") || strings.Contains(strings.ReplaceAll(css, "url(#", ""), "url(") {
				t.Errorf("the style loads something: %q", css[:min(len(css), 80)])
			}
		}
		for _, a := range n.Attr {
			v := strings.ToLower(a.Val)
			if strings.Contains(v, "http://") || strings.Contains(v, "https://") || strings.Contains(v, "//") && isRef(a.Key) {
				t.Errorf("<%s %s=%q> points at the network", n.Data, a.Key, a.Val)
			}
			if a.Key == "style" && strings.Contains(v, "url(") {
				t.Errorf("<%s style=%q> loads something", n.Data, a.Val)
			}
			if isRef(a.Key) && !strings.HasPrefix(v, "#") && !strings.HasPrefix(v, "data:") {
				t.Errorf("<%s %s=%q> refers to another file", n.Data, a.Key, a.Val)
			}
		}
	})
}

func isRef(key string) bool {
	switch key {
	case "src", "href", "xlink:href", "srcset", "action", "formaction", "poster", "data", "background":
		return true
	}
	return false
}

func walk(n *html.Node, fn func(*html.Node)) {
	if n.Type == html.ElementNode {
		fn(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func all(root *html.Node, pred func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	walk(root, func(n *html.Node) {
		if pred(n) {
			out = append(out, n)
		}
	})
	return out
}

func first(root *html.Node, pred func(*html.Node) bool) *html.Node {
	if root == nil {
		return nil
	}
	if ns := all(root, pred); len(ns) > 0 {
		return ns[0]
	}
	return nil
}

func byID(t *testing.T, doc *html.Node, id string) *html.Node {
	t.Helper()
	n := first(doc, func(n *html.Node) bool { return attr(n, "id") == id })
	if n == nil {
		t.Fatalf("no #%s", id)
	}
	return n
}

func class(c string) func(*html.Node) bool { return func(n *html.Node) bool { return hasClass(n, c) } }

func tag(name string) func(*html.Node) bool { return func(n *html.Node) bool { return n.Data == name } }

func hasClass(n *html.Node, c string) bool {
	for _, f := range strings.Fields(attr(n, "class")) {
		if f == c {
			return true
		}
	}
	return false
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

// text is the text of n, without <title> tooltips, trimmed.
func text(n *html.Node) string {
	if n == nil {
		return "<missing>"
	}
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || c.Data != "title" || n.Data == "head" {
				rec(c)
			}
		}
	}
	rec(n)
	// Collapse the template's layout whitespace, not the figures' narrow
	// no-break spaces.
	return strings.Join(strings.FieldsFunc(b.String(), func(r rune) bool { return strings.ContainsRune(" \t\n\r", r) }), " ")
}

// sameFloat fails unless n's attribute parses back to want exactly.
func sameFloat(t *testing.T, n *html.Node, key string, want float64) {
	t.Helper()
	if n == nil {
		t.Errorf("no element for %s=%v", key, want)
		return
	}
	got, err := strconv.ParseFloat(attr(n, key), 64)
	if err != nil || got != want {
		t.Errorf("<%s %s=%q>, the journal says %v", n.Data, key, attr(n, key), want)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}
