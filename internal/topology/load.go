package topology

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits that keep a hostile or mistaken file from costing more than a
// moment: the whole file, the services, and the nodes an alias may expand to.
const (
	MaxFileBytes = 1 << 20
	MaxServices  = 1000
	maxNodes     = 200000
)

// Error is one problem in a topology file, located by line and field path.
type Error struct {
	File string
	Line int
	Path string
	Msg  string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Path == "" {
		return loc + ": " + e.Msg
	}
	return loc + ": " + e.Path + ": " + e.Msg
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Load reads, interpolates from the environment, decodes strictly and
// validates a topology file. Every problem is reported at once.
func Load(path string) (*Topology, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read topology: %w", err)
	}
	t, err := Parse(data, path, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Parse is Load on bytes; filename names the file in messages and anchors
// relative bind mounts; lookupEnv serves ${VAR} interpolation.
func Parse(data []byte, filename string, lookupEnv func(string) (string, bool)) (*Topology, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	d := &decoder{file: filename, lookupEnv: lookupEnv, dir: filepath.Dir(filename)}
	if abs, err := filepath.Abs(d.dir); err == nil {
		d.dir = abs
	}
	if len(data) > MaxFileBytes {
		return nil, &Error{File: filename, Msg: fmt.Sprintf("file is %d bytes; the limit is %d", len(data), MaxFileBytes)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := yamlErrLine(err)
		msg := yamlLineRE.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "")
		return nil, &Error{File: filename, Line: line, Msg: strings.TrimPrefix(msg, ": ")}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 || doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null" {
		return nil, &Error{File: filename, Line: 1, Msg: "empty file: a topology needs at least `services:`"}
	}
	if n := countNodes(doc.Content[0], 0); n > maxNodes {
		return nil, &Error{File: filename, Line: 1, Msg: fmt.Sprintf("document expands to more than %d nodes (YAML aliases?): refused", maxNodes)}
	}
	t := d.topology(doc.Content[0])
	if len(d.errs) == 0 {
		d.validate(t)
	}
	if len(d.errs) > 0 {
		return nil, d.joined()
	}
	t.File = filename
	return t, nil
}

// countNodes counts the nodes a walk would visit, following aliases, and
// stops as soon as the limit is passed (an alias bomb is never expanded).
func countNodes(n *yaml.Node, acc int) int {
	if n == nil || acc > maxNodes {
		return acc
	}
	acc++
	if n.Kind == yaml.AliasNode {
		return countNodes(n.Alias, acc)
	}
	for _, c := range n.Content {
		if acc = countNodes(c, acc); acc > maxNodes {
			return acc
		}
	}
	return acc
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

func yamlErrLine(err error) int {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	var n int
	fmt.Sscan(m[1], &n)
	return n
}

// decoder walks the YAML node tree so that every problem knows its line
// and field path.
type decoder struct {
	file      string
	dir       string
	lookupEnv func(string) (string, bool)
	errs      []*Error
	refs      []ref       // names that must be defined, checked once all are
	published []published // fixed host ports, checked for clashes
}

// ref is a use of a service or volume name, where it was written.
type ref struct {
	line         int
	path         string
	kind, target string
}

// published is one port of a service, where it was written.
type published struct {
	port Port
	line int
	path string
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) joined() error {
	sort.SliceStable(d.errs, func(i, j int) bool { return d.errs[i].Line < d.errs[j].Line })
	errs := make([]error, len(d.errs))
	for i, e := range d.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	if n.Tag == "!!null" {
		return "null"
	}
	return "a scalar"
}

// fields walks a mapping, calling the handler of each known key; unknown
// and repeated keys are errors.
func (d *decoder) fields(n *yaml.Node, path string, handlers map[string]func(v *yaml.Node, p string)) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping, got %s", kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		p := join(path, k.Value)
		if seen[k.Value] {
			d.errorf(k, p, "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = true
		if strings.HasPrefix(k.Value, "x-") {
			continue // compose's extension fields: a home for YAML anchors
		}
		h, ok := handlers[k.Value]
		if !ok {
			d.errorf(k, p, "unknown field %q (known: %s)", k.Value, knownKeys(handlers))
			continue
		}
		h(v, p)
	}
}

// entries walks a mapping whose keys are names (services, volumes, ...).
func (d *decoder) entries(n *yaml.Node, path string, fn func(key *yaml.Node, v *yaml.Node, p string)) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping, got %s", kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		p := join(path, k.Value)
		if seen[k.Value] {
			d.errorf(k, p, "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = true
		fn(k, v, p)
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

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// str reads a scalar as an interpolated string.
func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(n, path, "want a string, got %s", kindName(n))
		return "", false
	}
	s, err := interpolate(n.Value, d.lookupEnv)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return "", false
	}
	return s, true
}

func (d *decoder) boolean(n *yaml.Node, path string) bool {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		d.errorf(n, path, "want true or false, got %q", n.Value)
	}
	return b
}

func (d *decoder) integer(n *yaml.Node, path string) int {
	var v int
	if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil {
		d.errorf(n, path, "want a whole number, got %q", n.Value)
	}
	return v
}

func (d *decoder) strList(n *yaml.Node, path string) []string {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "want a list, got %s", kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, c := range n.Content {
		if s, ok := d.str(resolve(c), index(path, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// stringOrList reads command and entrypoint: a list, or a string split on
// white space.
func (d *decoder) stringOrList(n *yaml.Node, path string) []string {
	if n.Kind == yaml.SequenceNode {
		return d.strList(n, path)
	}
	s, _ := d.str(n, path)
	return strings.Fields(s)
}

// keyValues reads environment and labels: a mapping, or a KEY=VALUE list.
// A bare KEY in the list takes its value from the environment.
func (d *decoder) keyValues(n *yaml.Node, path string) map[string]string {
	out := map[string]string{}
	switch n.Kind {
	case yaml.MappingNode:
		d.entries(n, path, func(k, v *yaml.Node, p string) {
			if v.Kind != yaml.ScalarNode {
				d.errorf(v, p, "want a string, number or boolean, got %s", kindName(v))
				return
			}
			val := ""
			if v.Tag != "!!null" {
				val, _ = d.str(v, p)
			}
			out[k.Value] = val
		})
	case yaml.SequenceNode:
		for i, c := range n.Content {
			s, ok := d.str(resolve(c), index(path, i))
			if !ok {
				continue
			}
			k, v, found := strings.Cut(s, "=")
			if !found {
				v, _ = d.lookupEnv(k)
			}
			if k == "" {
				d.errorf(c, index(path, i), "want KEY=VALUE, got %q", s)
				continue
			}
			out[k] = v
		}
	default:
		d.errorf(n, path, "want a mapping or a list of KEY=VALUE, got %s", kindName(n))
	}
	return out
}
