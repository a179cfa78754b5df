// YAML node helpers: one node read as one kind of value, field paths, mappings with merge keys, and known fields.

package topology

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Helpers that read one YAML node as one kind of value, reporting a
// located problem when it is something else.

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// describe names what a node is, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!null":
		return "null"
	case "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	}
	return fmt.Sprintf("the %q value %q", n.Tag, n.Value) // quoted: a tag may hold any character
}

var plainKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// join extends a field path by a key; a key that is not a plain name
// (io.chainctl.project, A=B) is quoted in brackets.
func join(path, key string) string {
	switch {
	case !plainKeyRE.MatchString(key):
		return path + "[" + strconv.Quote(key) + "]"
	case path == "":
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// pair is one entry of a mapping.
type pair struct{ key, val *yaml.Node }

// pairs returns the entries of a mapping in order, followed by those that
// YAML merge keys (<<: *defaults) bring in and the mapping does not set
// itself. A key written twice is an error (yaml.v3 keeps both).
func (d *decoder) pairs(n *yaml.Node, path string) ([]pair, bool) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping, got %s", describe(n))
		return nil, false
	}
	var out, merged []pair
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		switch {
		case k.Kind == yaml.ScalarNode && k.Tag == "!!merge":
			merged = append(merged, d.mergeSources(k, v, path)...)
		case k.Kind != yaml.ScalarNode || isNull(k):
			d.errorf(k, path, "a key must be a name, got %s", describe(k))
		case seen[k.Value]:
			d.errorf(k, join(path, k.Value), "duplicate key %q", k.Value)
		default:
			seen[k.Value] = true
			out = append(out, pair{k, v})
		}
	}
	for _, p := range merged {
		if !seen[p.key.Value] {
			seen[p.key.Value] = true
			out = append(out, p)
		}
	}
	return out, true
}

// mergeSources reads the value of a << key: a mapping or a list of them,
// earlier ones taking precedence.
func (d *decoder) mergeSources(key, v *yaml.Node, path string) []pair {
	srcs := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		srcs = v.Content
	}
	var out []pair
	for _, src := range srcs {
		src = resolve(src)
		if src.Kind != yaml.MappingNode {
			d.errorf(key, join(path, "<<"), "a merge takes a mapping or a list of mappings, got %s", describe(src))
			continue
		}
		ps, _ := d.pairs(src, path)
		out = append(out, ps...)
	}
	return out
}

// fields walks a mapping of known fields, calling each key's handler;
// unknown keys are errors. Keys starting with x- are skipped: as in
// compose, they are a home for YAML anchors.
func (d *decoder) fields(n *yaml.Node, path string, handlers map[string]func(v *yaml.Node, p string)) {
	ps, _ := d.pairs(n, path)
	for _, p := range ps {
		key := p.key.Value
		if strings.HasPrefix(key, "x-") {
			continue
		}
		h, ok := handlers[key]
		if !ok {
			d.errorf(p.key, join(path, key), "unknown field %q (known: %s)", key, knownKeys(handlers))
			continue
		}
		h(p.val, join(path, key))
	}
}

func knownKeys(m map[string]func(*yaml.Node, string)) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// interpolated expands ${VAR} in a scalar's text.
func (d *decoder) interpolated(n *yaml.Node, path string) (string, bool) {
	s, err := interpolate(n.Value, d.lookupEnv)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return "", false
	}
	return s, true
}

// str reads a string field. A number or boolean is refused: `image: 1.0`
// or `restart: true` is a mistake, not a name.
func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		d.errorf(n, path, "want a string, got %s", describe(n))
		return "", false
	}
	return d.interpolated(n, path)
}

// text reads any scalar as the text it was written as, for values that
// are strings to the engine but are often written as numbers: ports,
// environment values, user ids, memory sizes, command words.
func (d *decoder) text(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(n, path, "want a string or number, got %s", describe(n))
		return "", false
	}
	return d.interpolated(n, path)
}

// typed reads a scalar that must have the given YAML tag. A string is
// accepted only when it holds a variable (replicas: ${N:-1}), and is
// interpolated.
func (d *decoder) typed(n *yaml.Node, path, tag, want string) (string, bool) {
	if n.Kind == yaml.ScalarNode {
		switch {
		case n.Tag == tag:
			return n.Value, true
		case n.Tag == "!!str" && strings.Contains(n.Value, "$"):
			return d.interpolated(n, path)
		}
	}
	d.errorf(n, path, "want %s, got %s", want, describe(n))
	return "", false
}

// shown quotes a scalar's value for a message, with what it was written
// as when interpolation changed it.
func shown(n *yaml.Node, s string) string {
	if s == n.Value {
		return strconv.Quote(s)
	}
	return strconv.Quote(n.Value) + " gives " + strconv.Quote(s)
}

func (d *decoder) boolean(n *yaml.Node, path string) bool {
	s, ok := d.typed(n, path, "!!bool", "true or false")
	if !ok {
		return false
	}
	switch s {
	case "true", "True", "TRUE":
		return true
	case "false", "False", "FALSE":
		return false
	}
	d.errorf(n, path, "%s: want true or false", shown(n, s))
	return false
}

func (d *decoder) integer(n *yaml.Node, path string) (int, bool) {
	s, ok := d.typed(n, path, "!!int", "a whole number")
	if !ok {
		return 0, false
	}
	// Base 0 reads what YAML calls an int: 10, 0x1f, 0o17, 1_000.
	v, err := strconv.ParseInt(s, 0, 32)
	if err != nil {
		d.errorf(n, path, "%s: want a whole number", shown(n, s))
		return 0, false
	}
	return int(v), true
}

func (d *decoder) strList(n *yaml.Node, path string) []string {
	var out []string
	for _, s := range d.list(n, path, d.str) {
		out = append(out, s.val)
	}
	return out
}

// located is a string with the node it came from, for later messages.
type located struct {
	val  string
	node *yaml.Node
	path string
}

// list reads a list of scalars with read (str or text).
func (d *decoder) list(n *yaml.Node, path string, read func(*yaml.Node, string) (string, bool)) []located {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "want a list, got %s", describe(n))
		return nil
	}
	var out []located
	for i, c := range n.Content {
		c, p := resolve(c), index(path, i)
		if s, ok := read(c, p); ok {
			out = append(out, located{s, c, p})
		}
	}
	return out
}

// words reads command and entrypoint: a list, or a string split into
// words as a shell would (quotes group, backslash escapes; nothing is
// expanded).
func (d *decoder) words(n *yaml.Node, path string) []string {
	if n.Kind == yaml.SequenceNode {
		var out []string
		for _, s := range d.list(n, path, d.text) {
			out = append(out, s.val)
		}
		return out
	}
	s, ok := d.text(n, path)
	if !ok {
		return nil
	}
	w, err := splitWords(s)
	if err != nil {
		d.errorf(n, path, "%q: %v", s, err)
	}
	return w
}

// keyValues reads environment and labels: a mapping, or a list of
// KEY=VALUE. With fromEnv, a KEY without a value takes it from the
// environment and is left out when that does not set it, as in compose.
// check vets each key and returns a problem or "".
func (d *decoder) keyValues(n *yaml.Node, path string, fromEnv bool, check func(key string) string) map[string]string {
	out := map[string]string{}
	add := func(at *yaml.Node, p, key, val string, hasVal bool) {
		if msg := check(key); msg != "" {
			d.errorf(at, p, "%s", msg)
			return
		}
		switch {
		case hasVal:
			out[key] = val
		case !fromEnv:
			out[key] = ""
		default:
			if v, ok := d.lookupEnv(key); ok {
				out[key] = v
			}
		}
	}
	switch n.Kind {
	case yaml.MappingNode:
		ps, _ := d.pairs(n, path)
		for _, kv := range ps {
			p := join(path, kv.key.Value)
			if isNull(kv.val) {
				add(kv.key, p, kv.key.Value, "", false)
			} else if v, ok := d.text(kv.val, p); ok {
				add(kv.key, p, kv.key.Value, v, true)
			}
		}
	case yaml.SequenceNode:
		for _, s := range d.list(n, path, d.text) {
			k, v, hasVal := strings.Cut(s.val, "=")
			add(s.node, s.path, k, v, hasVal)
		}
	default:
		d.errorf(n, path, "want a mapping or a list of KEY=VALUE, got %s", describe(n))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
