// Reading nodes as values: mappings with merge keys, known fields, typed scalars and lists.

package yamlnode

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Pair is one entry of a mapping.
type Pair struct{ Key, Val *yaml.Node }

// Pairs returns the entries of a mapping in order, followed by those that
// YAML merge keys (<<: *defaults) bring in and the mapping does not set
// itself. A key written twice is an error (yaml.v3 keeps both). ok is
// false when n is not a mapping.
func (r *Reader) Pairs(n *yaml.Node, path string) (pairs []Pair, ok bool) {
	if n.Kind != yaml.MappingNode {
		r.Errorf(n, path, "want a mapping, got %s", Describe(n))
		return nil, false
	}
	var out, merged []Pair
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := Resolve(n.Content[i]), Resolve(n.Content[i+1])
		switch {
		case k.Kind == yaml.ScalarNode && k.Tag == "!!merge":
			merged = append(merged, r.mergeSources(k, v, path)...)
		case k.Kind != yaml.ScalarNode || IsNull(k):
			r.Errorf(k, path, "a key must be a name, got %s", Describe(k))
		case seen[k.Value]:
			r.Errorf(k, Join(path, k.Value), "duplicate key %q", k.Value)
		default:
			seen[k.Value] = true
			out = append(out, Pair{k, v})
		}
	}
	for _, p := range merged {
		if !seen[p.Key.Value] {
			seen[p.Key.Value] = true
			out = append(out, p)
		}
	}
	return out, true
}

// mergeSources reads the value of a << key: a mapping or a list of them,
// earlier ones taking precedence.
func (r *Reader) mergeSources(key, v *yaml.Node, path string) []Pair {
	srcs := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		srcs = v.Content
	}
	var out []Pair
	for _, src := range srcs {
		src = Resolve(src)
		if src.Kind != yaml.MappingNode {
			r.Errorf(key, Join(path, "<<"), "a merge takes a mapping or a list of mappings, got %s", Describe(src))
			continue
		}
		ps, _ := r.Pairs(src, path)
		out = append(out, ps...)
	}
	return out
}

// Handlers maps each known field of a mapping to what reads its value;
// path is the field's path.
type Handlers map[string]func(v *yaml.Node, path string)

// Fields walks a mapping of known fields, calling each key's handler;
// unknown keys are errors that list the known ones. Keys starting with x-
// are skipped: as in compose, they are a home for YAML anchors. It
// returns the key node of each known field present, for "missing" and
// "one of" checks (nil when n is not a mapping).
func (r *Reader) Fields(n *yaml.Node, path string, handlers Handlers) map[string]*yaml.Node {
	ps, ok := r.Pairs(n, path)
	if !ok {
		return nil
	}
	seen := map[string]*yaml.Node{}
	for _, p := range ps {
		key := p.Key.Value
		if strings.HasPrefix(key, "x-") {
			continue
		}
		h, ok := handlers[key]
		if !ok {
			r.Errorf(p.Key, Join(path, key), "unknown field %q (known: %s)", key, knownKeys(handlers))
			continue
		}
		seen[key] = p.Key
		h(p.Val, Join(path, key))
	}
	return seen
}

func knownKeys(m Handlers) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// expanded applies Expand to a scalar's text.
func (r *Reader) expanded(n *yaml.Node, path string) (string, bool) {
	if r.Expand == nil {
		return n.Value, true
	}
	s, err := r.Expand(n.Value)
	if err != nil {
		r.Errorf(n, path, "%v", err)
		return "", false
	}
	return s, true
}

// Str reads a string field. A number or boolean is refused: `image: 1.0`
// or `restart: true` is a mistake, not a name.
func (r *Reader) Str(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		r.Errorf(n, path, "want a string, got %s", Describe(n))
		return "", false
	}
	return r.expanded(n, path)
}

// Text reads any scalar but null as the text it was written as, for
// values that are strings to their reader but are often written as
// numbers: ports, user ids, sizes, rates.
func (r *Reader) Text(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || IsNull(n) {
		r.Errorf(n, path, "want a string or number, got %s", Describe(n))
		return "", false
	}
	return r.expanded(n, path)
}

// Typed reads a scalar that must have the given YAML tag (want names it
// in the message). With Expand set, a string is accepted when it holds a
// variable (replicas: ${N:-1}), and is expanded.
func (r *Reader) Typed(n *yaml.Node, path, tag, want string) (string, bool) {
	if n.Kind == yaml.ScalarNode {
		switch {
		case n.Tag == tag:
			return n.Value, true
		case n.Tag == "!!str" && r.Expand != nil && strings.Contains(n.Value, "$"):
			return r.expanded(n, path)
		}
	}
	r.Errorf(n, path, "want %s, got %s", want, Describe(n))
	return "", false
}

// Bool reads true or false (false after a problem).
func (r *Reader) Bool(n *yaml.Node, path string) bool {
	s, ok := r.Typed(n, path, "!!bool", "true or false")
	if !ok {
		return false
	}
	switch s {
	case "true", "True", "TRUE":
		return true
	case "false", "False", "FALSE":
		return false
	}
	r.Errorf(n, path, "%s: want true or false", Shown(n, s))
	return false
}

// Int reads a whole number that fits in 32 bits.
func (r *Reader) Int(n *yaml.Node, path string) (int, bool) {
	s, ok := r.Typed(n, path, "!!int", "a whole number")
	if !ok {
		return 0, false
	}
	// Base 0 reads what YAML calls an int: 10, 0x1f, 0o17, 1_000.
	v, err := strconv.ParseInt(s, 0, 32)
	if err != nil {
		r.Errorf(n, path, "%s: want a whole number", Shown(n, s))
		return 0, false
	}
	return int(v), true
}

// Duration reads a Go duration that is not negative: 10s, 1m30s, 200ms.
func (r *Reader) Duration(n *yaml.Node, path string) (time.Duration, bool) {
	s, ok := r.Text(n, path)
	if !ok {
		return 0, false
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		r.Errorf(n, path, "%q: invalid duration (want e.g. 10s, 1m30s)", s)
		return 0, false
	}
	return v, true
}

// Located is a scalar read from a list, with the node and path it came
// from, for later messages.
type Located struct {
	Val  string
	Node *yaml.Node
	Path string
}

// List reads a list of scalars with read (Str or Text); an entry read
// fails is left out, its problem recorded.
func (r *Reader) List(n *yaml.Node, path string, read func(*yaml.Node, string) (string, bool)) []Located {
	if n.Kind != yaml.SequenceNode {
		r.Errorf(n, path, "want a list, got %s", Describe(n))
		return nil
	}
	var out []Located
	for i, c := range n.Content {
		c, p := Resolve(c), Index(path, i)
		if s, ok := read(c, p); ok {
			out = append(out, Located{s, c, p})
		}
	}
	return out
}

// StrList reads a list of strings.
func (r *Reader) StrList(n *yaml.Node, path string) []string {
	var out []string
	for _, s := range r.List(n, path, r.Str) {
		out = append(out, s.Val)
	}
	return out
}
