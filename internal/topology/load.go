// Load and Parse: reading a topology file within limits, YAML syntax errors with lines, and the decoder's state.

package topology

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Limits that keep a hostile or mistaken file from costing more than a
// moment: the whole file, the services, the nodes once YAML aliases are
// followed (an alias bomb is refused, never expanded), and the host ports
// all ranges together publish.
const (
	MaxFileBytes = 1 << 20
	MaxServices  = 1000
	maxNodes     = 200_000
	maxPorts     = 65_536
)

// Error is one problem in a topology file, located by line and field path.
// Parse returns them joined with errors.Join; errors.As finds the first.
type Error struct {
	File string
	Line int
	Path string // field path such as services.a.ports[0]; "" for the whole file
	Msg  string
}

func (e *Error) Error() string {
	loc := fmt.Sprintf("%s:%d: ", e.File, e.Line)
	if e.Path == "" {
		return loc + e.Msg
	}
	return loc + e.Path + ": " + e.Msg
}

// Load reads a topology file and parses it with lookupEnv serving ${VAR}
// interpolation (cmd passes os.LookupEnv; nil: nothing is set).
// Topology.File is path as given.
func Load(path string, lookupEnv func(string) (string, bool)) (*Topology, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read topology: %w", err)
	}
	defer f.Close()
	// One byte past the limit is enough for Parse to refuse the file
	// without reading a huge one into memory.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read topology: %w", err)
	}
	return Parse(data, path, lookupEnv)
}

// Parse decodes, interpolates, normalises and validates a topology.
// filename names the file in messages, gives the default project name and
// anchors relative bind mounts; lookupEnv (nil: nothing is set) serves
// ${VAR}. Every problem is reported at once and nothing is returned
// half-validated: on any problem the topology is nil.
func Parse(data []byte, filename string, lookupEnv func(string) (string, bool)) (*Topology, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	root, err := parseYAML(data, filename)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: filename, lookupEnv: lookupEnv, dir: filepath.Dir(filename), portsLeft: maxPorts}
	if abs, err := filepath.Abs(d.dir); err == nil {
		d.dir = abs
	}
	t := d.topology(root)
	d.validate(t)
	if len(d.errs) > 0 {
		return nil, d.joined()
	}
	t.File = filename
	return t, nil
}

// parseYAML checks the raw file and returns the root node of its one
// document.
func parseYAML(data []byte, file string) (*yaml.Node, error) {
	fail := func(line int, format string, args ...any) (*yaml.Node, error) {
		return nil, &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	if len(data) > MaxFileBytes {
		return fail(1, "file is larger than %d bytes, the limit: refused", MaxFileBytes)
	}
	if line, msg := badText(data); msg != "" {
		return fail(line, "%s", msg)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		return nil, yamlError(data, err, file)
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return fail(1, "empty file: a topology needs at least `services:`")
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == io.EOF:
	case err != nil:
		return nil, yamlError(data, err, file)
	case len(next.Content) > 0 && !isNull(next.Content[0]):
		return fail(next.Content[0].Line, "a second YAML document (after ---): a topology is one document")
	}
	if n := countNodes(doc.Content[0]); n > maxNodes {
		return fail(1, "the document has more than %d nodes once YAML aliases are expanded (an alias bomb?): refused", maxNodes)
	}
	return doc.Content[0], nil
}

// badText finds what the YAML reader would refuse without a line number:
// invalid UTF-8 and control characters.
func badText(data []byte) (line int, msg string) {
	line = 1
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark is fine
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		switch {
		case r == utf8.RuneError && size == 1:
			return line, "invalid UTF-8: a topology is UTF-8 text"
		case r == '\n', r == '\r' && (size == len(data) || data[1] != '\n'):
			line++
		case !printable(r):
			return line, fmt.Sprintf("character %U is not allowed in YAML", r)
		}
		data = data[size:]
	}
	return 0, ""
}

// printable is YAML's set of characters allowed in a stream.
func printable(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r', r >= 0x20 && r <= 0x7e, r == 0x85:
		return true
	case r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd && r != 0xfeff, r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}

var (
	yamlLineRE   = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)
	yamlAnchorRE = regexp.MustCompile(`^yaml: (unknown anchor|anchor) '([^']*)' (?:referenced|value contains itself)`)
)

// yamlParserProblems are the messages of yaml.v3's parser (not its
// scanner); for these it prints the line counted from 0.
var yamlParserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// yamlError turns a yaml.v3 syntax error into a located problem. yaml.v3
// names no line for line 1, counts lines from 0 for parser errors, and
// names none for anchor errors: those are found in the text.
func yamlError(data []byte, err error, file string) *Error {
	text := err.Error()
	msg := yamlLineRE.ReplaceAllString(text, "")
	line := 1
	if m := yamlLineRE.FindStringSubmatch(text); m != nil && m[1] != "" {
		line, _ = strconv.Atoi(m[1])
		if yamlParserProblems[msg] {
			line++
		}
	}
	if m := yamlAnchorRE.FindStringSubmatch(text); m != nil {
		mark := "*"
		if m[1] == "anchor" {
			mark = "&"
		}
		if i := bytes.Index(data, []byte(mark+m[2])); i >= 0 {
			line = 1 + bytes.Count(data[:i], []byte("\n"))
		}
	}
	return &Error{File: file, Line: line, Msg: "invalid YAML: " + msg}
}

// countNodes counts the nodes a walk would visit, following aliases, and
// stops as soon as the limit is passed.
func countNodes(root *yaml.Node) int {
	count := 0
	stack := []*yaml.Node{root}
	for len(stack) > 0 && count <= maxNodes {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		count++
		if n.Kind == yaml.AliasNode {
			if n.Alias != nil {
				stack = append(stack, n.Alias)
			}
			continue
		}
		stack = append(stack, n.Content...)
	}
	return count
}

// decoder walks the YAML node tree so that every problem knows its line
// and field path.
type decoder struct {
	file      string
	dir       string // absolute directory of file: relative bind mounts start here
	lookupEnv func(string) (string, bool)
	errs      []*Error
	refs      []ref       // names that must be defined, checked once all are
	published []published // host ports, checked for clashes
	portsLeft int         // ports all ranges together may still publish
}

// ref is a use of a service or volume name, where it was written.
type ref struct {
	line   int
	path   string
	from   string // the service that refers
	volume bool   // a volume name, else a service name
	target string
}

// published is one host port entry of a service, where it was written.
type published struct {
	port    Port
	service string
	line    int
	path    string
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	line := 1
	if n != nil && n.Line > 0 {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// joined returns the problems in file order, one per line.
func (d *decoder) joined() error {
	sort.SliceStable(d.errs, func(i, j int) bool { return d.errs[i].Line < d.errs[j].Line })
	errs := make([]error, len(d.errs))
	for i, e := range d.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// projectFromFile derives the default project name from the file name as
// compose does from a directory: lower-cased, other characters dropped.
func projectFromFile(file string) string {
	base := filepath.Base(file)
	base = strings.ToLower(strings.TrimSuffix(base, filepath.Ext(base)))
	var b strings.Builder
	for _, r := range base {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || (r == '-' || r == '_') && b.Len() > 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}
