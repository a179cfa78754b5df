// Tests of the node readers (fields, merges, typed scalars, lists) and of a document's limits and syntax errors.

package yamlnode

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

var doc = Document{Kind: "a test file", Empty: "a test file needs `a:`", MaxBytes: 1 << 10, MaxNodes: 100}

// read parses src and walks its root with walk, returning the problems.
func read(t *testing.T, src string, expand func(string) (string, error), walk func(r *Reader, root *yaml.Node)) string {
	t.Helper()
	root, err := doc.Parse([]byte(src), "t.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	r := &Reader{File: "t.yaml", Expand: expand}
	walk(r, root)
	if err := r.Err(); err != nil {
		return err.Error()
	}
	return ""
}

func TestFields(t *testing.T) {
	var got struct {
		a    string
		n    int
		b    bool
		d    time.Duration
		list []string
	}
	walk := func(r *Reader, root *yaml.Node) {
		seen := r.Fields(root, "", Handlers{
			"a":    func(v *yaml.Node, p string) { got.a, _ = r.Str(v, p) },
			"n":    func(v *yaml.Node, p string) { got.n, _ = r.Int(v, p) },
			"b":    func(v *yaml.Node, p string) { got.b = r.Bool(v, p) },
			"d":    func(v *yaml.Node, p string) { got.d, _ = r.Duration(v, p) },
			"list": func(v *yaml.Node, p string) { got.list = r.StrList(v, p) },
		})
		if seen["a"] == nil || seen["zzz"] != nil || seen["x-anchor"] != nil {
			t.Errorf("seen = %v", seen)
		}
	}
	src := "x-anchor: &base {n: 7, b: true}\na: hello\n<<: *base\nd: 1m30s\nlist: [p, q]\n"
	if msg := read(t, src, nil, walk); msg != "" {
		t.Fatal(msg)
	}
	if got.a != "hello" || got.n != 7 || !got.b || got.d != 90*time.Second || fmt.Sprint(got.list) != "[p q]" {
		t.Errorf("got %+v", got)
	}
}

func TestProblems(t *testing.T) {
	cases := []struct{ src, want string }{
		{"a: 1\n", `t.yaml:1: a: want a string, got the number 1`},
		{"zz: 1\n", `t.yaml:1: zz: unknown field "zz" (known: a, list, n)`},
		{"a: x\na: y\n", `t.yaml:2: a: duplicate key "a"`},
		{"n: 1.5\n", `t.yaml:1: n: want a whole number, got the number 1.5`},
		{"n: 99999999999\n", `t.yaml:1: n: "99999999999": want a whole number`},
		{"list: [p, {q: 1}, 3]\n", "t.yaml:1: list[1]: want a string, got a mapping\nt.yaml:1: list[2]: want a string, got the number 3"},
		{"list: p\n", `t.yaml:1: list: want a list, got the string "p"`},
		{"<<: [1]\n", `t.yaml:1: ["<<"]: a merge takes a mapping or a list of mappings, got the number 1`},
		{"a: x\nio.x: 1\n", `t.yaml:2: ["io.x"]: unknown field "io.x" (known: a, list, n)`},
		{"[1]\n", `t.yaml:1: want a mapping, got a list`},
	}
	for _, c := range cases {
		got := read(t, c.src, nil, func(r *Reader, root *yaml.Node) {
			r.Fields(root, "", Handlers{
				"a":    func(v *yaml.Node, p string) { r.Str(v, p) },
				"n":    func(v *yaml.Node, p string) { r.Int(v, p) },
				"list": func(v *yaml.Node, p string) { r.StrList(v, p) },
			})
		})
		if got != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.src, got, c.want)
		}
	}
}

func TestExpand(t *testing.T) {
	expand := func(s string) (string, error) {
		if strings.Contains(s, "${BAD}") {
			return "", errors.New("bad variable")
		}
		return strings.ReplaceAll(s, "${N}", "3"), nil
	}
	var n int
	var s string
	walk := func(r *Reader, root *yaml.Node) {
		r.Fields(root, "", Handlers{
			"n": func(v *yaml.Node, p string) { n, _ = r.Int(v, p) },
			"s": func(v *yaml.Node, p string) { s, _ = r.Str(v, p) },
			"b": func(v *yaml.Node, p string) { r.Bool(v, p) },
		})
	}
	if msg := read(t, "n: ${N}\ns: x${N}\n", expand, walk); msg != "" || n != 3 || s != "x3" {
		t.Errorf("n %d, s %q, %s", n, s, msg)
	}
	want := "t.yaml:1: s: bad variable\nt.yaml:2: b: \"${N}\" gives \"3\": want true or false"
	if msg := read(t, "s: ${BAD}\nb: ${N}\n", expand, walk); msg != want {
		t.Errorf("got %s\nwant %s", msg, want)
	}
	// Without Expand, a $ is just text, and not a number.
	if msg := read(t, "n: ${N}\n", nil, walk); msg != `t.yaml:1: n: want a whole number, got the string "${N}"` {
		t.Errorf("got %s", msg)
	}
}

func TestDocument(t *testing.T) {
	cases := []struct{ src, want string }{
		{"", "t.yaml:1: empty file: a test file needs `a:`"},
		{"a: 1\n---\nb: 2\n", "t.yaml:3: a second YAML document (after ---): a test file is one document"},
		{"a: 1\nb: \xff\n", "t.yaml:2: invalid UTF-8: a test file is UTF-8 text"},
		{"a: 1\nb: \x01\n", "t.yaml:2: character U+0001 is not allowed in YAML"},
		{"a: 1\nb: [1, 2\n", "t.yaml:2: invalid YAML: did not find expected ',' or ']'"},
		{"a: *nowhere\n", "t.yaml:1: invalid YAML: unknown anchor 'nowhere' referenced"},
		{"a: [" + strings.Repeat("1, ", 200) + "1]\n", "t.yaml:1: the document has more than 100 nodes once YAML aliases are expanded (an alias bomb?): refused"},
		{strings.Repeat("#", 2000), "t.yaml:1: file is larger than 1024 bytes, the limit: refused"},
	}
	for _, c := range cases {
		_, err := doc.Parse([]byte(c.src), "t.yaml")
		var e *Error
		if err == nil || err.Error() != c.want || !errors.As(err, &e) {
			t.Errorf("%.30q: got %v\nwant %s", c.src, err, c.want)
		}
	}
}

func TestErrSortsByLine(t *testing.T) {
	r := &Reader{File: "f"}
	if r.Err() != nil {
		t.Fatal("no problems, yet an error")
	}
	r.Addf(3, "c", "third")
	r.Errorf(nil, "", "first")
	r.Addf(3, "d", "fourth")
	r.Addf(2, "b", "second")
	want := "f:1: first\nf:2: b: second\nf:3: c: third\nf:3: d: fourth"
	if got := r.Err().Error(); got != want || len(r.Problems()) != 4 {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if Join("a", "b") != "a.b" || Join("", "b") != "b" || Join("a", "x.y") != `a["x.y"]` || Index("a", 2) != "a[2]" {
		t.Error("paths")
	}
}
