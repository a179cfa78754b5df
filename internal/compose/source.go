// The source files' YAML node trees, kept to find the line of a field path that compose-go names without one.

package compose

import (
	"strconv"
	"strings"

	"github.com/chainctl/chainctl/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// source is one file the project was read from: a -f file, or one that a
// file includes, extends from or reads env_file from.
type source struct {
	name string // as the user gave it (-f), or the absolute path of a referenced file
	abs  string
	data []byte
	root *yaml.Node // nil for a file that is not YAML (an env_file)
}

// sources are the files of one load, the -f files first in their order.
type sources struct {
	files []*source
	main  int // how many of files are -f files
}

// byAbs finds a file by its absolute path.
func (s *sources) byAbs(abs string) *source {
	for _, f := range s.files {
		if f.abs == abs {
			return f
		}
	}
	return nil
}

// step is one element of a located path: a mapping key, a list index
// (index >= 0), a list entry found by what it names (match), or an entry
// whose text holds a string (contains).
type step struct {
	key      string
	index    int
	match    bool
	contains bool
}

func key(k string) step      { return step{key: k, index: -1} }
func index(i int) step       { return step{index: i} }
func mentions(s string) step { return step{key: s, index: -1, match: true} }
func holding(s string) step  { return step{key: s, index: -1, contains: true} }

// keys is a path of mapping keys.
func keys(ks ...string) []step {
	out := make([]step, len(ks))
	for i, k := range ks {
		out[i] = key(k)
	}
	return out
}

// render writes a path as chainctl's messages do: services.web.ports[0].
func render(path []step) string {
	out := ""
	for _, s := range path {
		if s.index >= 0 {
			out = yamlnode.Index(out, s.index)
		} else if !s.match && !s.contains {
			out = yamlnode.Join(out, s.key)
		}
	}
	return out
}

// located is where a path was found: the file, the line and the path as
// far as the file has it.
type located struct {
	file  *source
	line  int
	depth int
}

// locate finds path in the files, preferring prefer (a file compose-go
// named) and otherwise the last file that goes deepest into the path: in
// merged files, the last one that sets a field is the one that counts.
// With nothing found it is line 1 of the first file.
func (s *sources) locate(path []step, prefer *source) located {
	best := located{file: s.files[0], line: 1}
	if prefer != nil && prefer.root != nil {
		if l := walk(prefer.root, path); l.depth > 0 {
			l.file = prefer
			return l
		}
	}
	for _, f := range s.files {
		if f.root == nil {
			continue
		}
		if l := walk(f.root, path); l.depth >= best.depth && l.depth > 0 {
			l.file = f
			best = l
		}
	}
	return best
}

// entryHolding is the index of the entry of the list at path whose text
// holds s, in the last file that has one; -1 when none does.
func (s *sources) entryHolding(path []step, text string) int {
	for i := len(s.files) - 1; i >= 0; i-- {
		f := s.files[i]
		if f.root == nil {
			continue
		}
		at := walkNode(f.root, path)
		if at == nil || at.Kind != yaml.SequenceNode {
			continue
		}
		for j, c := range at.Content {
			if found, _, _ := holder(c, text); found != nil {
				return j
			}
		}
	}
	return -1
}

// walkNode is the node at path, or nil.
func walkNode(root *yaml.Node, path []step) *yaml.Node {
	n := yamlnode.Resolve(root)
	for i := 0; i < len(path) && n != nil; {
		next, _, used := child(n, path, i)
		if next == nil {
			return nil
		}
		i, n = i+used, next
	}
	return n
}

// walk follows path from root as far as it goes. A key the path splits at
// its dots (compose-go joins keys with dots, and service names may hold
// one) is tried whole first.
func walk(root *yaml.Node, path []step) located {
	var at located
	n := yamlnode.Resolve(root)
	for i := 0; i < len(path) && n != nil; {
		next, line, used := child(n, path, i)
		if next == nil {
			break
		}
		i += used
		at.depth, at.line, n = i, line, next
	}
	return at
}

// child steps into n by path[i] (and, for a key with dots, the steps that
// make it up); it returns the node, the line to report and the steps used.
func child(n *yaml.Node, path []step, i int) (*yaml.Node, int, int) {
	s := path[i]
	switch {
	case s.contains:
		return holder(n, s.key)
	case n.Kind == yaml.SequenceNode && s.index >= 0:
		if s.index < len(n.Content) {
			c := yamlnode.Resolve(n.Content[s.index])
			return c, c.Line, 1
		}
	case n.Kind == yaml.SequenceNode:
		for _, c := range n.Content {
			if c = yamlnode.Resolve(c); mentioned(c, s.key) {
				return c, c.Line, 1
			}
		}
	case n.Kind == yaml.MappingNode && s.index < 0:
		pairs := mapPairs(n)
		for used := len(path) - i; used >= 1; used-- {
			k, ok := joinKeys(path[i : i+used])
			if !ok {
				continue
			}
			for _, p := range pairs {
				if p.Key.Value == k {
					return p.Val, p.Key.Line, used
				}
			}
		}
	}
	return nil, 0, 0
}

// holder finds, at any depth under n, the first scalar whose text holds
// s: where a variable or a template is written.
func holder(n *yaml.Node, s string) (*yaml.Node, int, int) {
	n = yamlnode.Resolve(n)
	switch n.Kind {
	case yaml.ScalarNode:
		if strings.Contains(n.Value, s) {
			return n, n.Line, 1
		}
	case yaml.SequenceNode, yaml.MappingNode:
		for _, c := range n.Content {
			if c.Kind != yaml.AliasNode { // an anchor's text is found where it is written
				if found, line, used := holder(c, s); found != nil {
					return found, line, used
				}
			}
		}
	}
	return nil, 0, 0
}

// joinKeys joins plain keys with dots, as compose-go's paths do.
func joinKeys(path []step) (string, bool) {
	parts := make([]string, len(path))
	for i, s := range path {
		if s.index >= 0 || s.match || s.contains {
			return "", false
		}
		parts[i] = s.key
	}
	return strings.Join(parts, "."), true
}

// mentioned says whether a list entry is the one a name refers to: a
// scalar that is the name or starts with it and a separator (NAME=value,
// host:ip, src:/target), or contains it as a mount target; a mapping with
// a scalar value equal to it.
func mentioned(n *yaml.Node, name string) bool {
	switch n.Kind {
	case yaml.ScalarNode:
		v := n.Value
		if v == name || strings.HasPrefix(v, name+"=") || strings.HasPrefix(v, name+":") {
			return true
		}
		parts := strings.Split(v, ":")
		return strings.HasPrefix(name, "/") && len(parts) > 1 && parts[1] == name
	case yaml.MappingNode:
		for _, p := range mapPairs(n) {
			if v := yamlnode.Resolve(p.Val); v.Kind == yaml.ScalarNode && v.Value == name {
				return true
			}
		}
	}
	return false
}

// mapPairs are a mapping's entries with those YAML merge keys bring in;
// problems are left to the loaders.
func mapPairs(n *yaml.Node) []yamlnode.Pair {
	r := &yamlnode.Reader{}
	ps, _ := r.Pairs(n, "")
	return ps
}

// parsePath splits a compose-go path (services.web.ports.0,
// services[web].ports[0], services.web.ports.[]) into steps; "[]" (any
// entry of a list) ends it.
func parsePath(p string) []step {
	p = strings.NewReplacer("[", ".", "]", "").Replace(p)
	var out []step
	for _, part := range strings.Split(p, ".") {
		switch n, err := strconv.Atoi(part); {
		case part == "":
			return out // "[]": which entry is not known
		case err == nil && n >= 0 && len(out) > 0 && isListField(out[len(out)-1].key):
			out = append(out, index(n))
		default:
			out = append(out, key(strings.ReplaceAll(part, "👻", ".")))
		}
	}
	return out
}

// isListField says whether a compose field is a list, so that a number
// after it is an index (a number after a mapping is a key: a service may
// be called 1).
func isListField(k string) bool {
	switch k {
	case "ports", "volumes", "expose", "dns", "dns_search", "dns_opt", "cap_add", "cap_drop",
		"security_opt", "command", "entrypoint", "tmpfs", "env_file", "secrets", "configs",
		"extra_hosts", "links", "group_add", "devices", "profiles", "include", "test", "config",
		"environment", "labels", "volumes_from", "external_links", "calls", "aliases", "sysctls":
		return true
	}
	return false
}

// eachService calls fn on every service mapping of files, with its path
// (services.<name>), until fn returns false.
func eachService(files []*source, fn func(f *source, at []step, v *yaml.Node) bool) {
	for _, f := range files {
		if f.root == nil {
			continue
		}
		services := field(yamlnode.Resolve(f.root), "services")
		if services == nil || services.Kind != yaml.MappingNode {
			continue
		}
		for _, svc := range mapPairs(services) {
			v := yamlnode.Resolve(svc.Val)
			if v.Kind != yaml.MappingNode {
				continue
			}
			if !fn(f, keys("services", svc.Key.Value), v) {
				return
			}
		}
	}
}
