// Package yamlnode reads YAML files by walking yaml.v3's node tree, so that
// every problem knows its file, line and field path: one Reader collects
// the problems of a whole file (every one at once), and its methods read a
// node as one kind of value, a mapping of known fields (with merge keys),
// or a list. Each file format (topologies, experiments) keeps its own
// meaning; this package knows only YAML.
package yamlnode

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Error is one problem in a file, located by line and field path. A
// Reader's Err returns them joined with errors.Join; errors.As finds the
// first.
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

// Reader collects the located problems of one file while its readers walk
// the node tree. The zero value with File set is ready to use.
type Reader struct {
	File string
	// Expand, when set, rewrites the text of every scalar read as text
	// (Str, Text, List, Duration) and lets a string holding a $ stand for
	// a boolean or a number (Bool, Int): ${VAR} interpolation. Its error is
	// reported at the scalar.
	Expand func(string) (string, error)

	problems []*Error
}

// Errorf records a problem at a node (line 1 when n is nil or has no line).
func (r *Reader) Errorf(n *yaml.Node, path, format string, args ...any) {
	line := 1
	if n != nil && n.Line > 0 {
		line = n.Line
	}
	r.Addf(line, path, format, args...)
}

// Addf records a problem at a line, for checks made after the walk, when
// only the line and path of what was read are kept.
func (r *Reader) Addf(line int, path, format string, args ...any) {
	r.problems = append(r.problems, &Error{File: r.File, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Problems returns the problems recorded so far, in the order they were.
func (r *Reader) Problems() []*Error { return r.problems }

// Err returns the problems in file order (by line, stably), one per line
// of its message, or nil when there are none.
func (r *Reader) Err() error {
	if len(r.problems) == 0 {
		return nil
	}
	sort.SliceStable(r.problems, func(i, j int) bool { return r.problems[i].Line < r.problems[j].Line })
	errs := make([]error, len(r.problems))
	for i, e := range r.problems {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// Resolve follows aliases (*name) to the node they stand for.
func Resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// IsNull reports a null scalar (~, null, or nothing after the colon).
func IsNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// Describe names what a node is, for "want X, got Y" messages.
func Describe(n *yaml.Node) string {
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

// Join extends a field path by a key; a key that is not a plain name
// (io.chainctl.project, A=B) is quoted in brackets.
func Join(path, key string) string {
	switch {
	case !plainKeyRE.MatchString(key):
		return path + "[" + strconv.Quote(key) + "]"
	case path == "":
		return key
	}
	return path + "." + key
}

// Index extends a field path by a list index: steps[2].
func Index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// Shown quotes a scalar's value for a message, with what it was written
// as when expansion changed it.
func Shown(n *yaml.Node, s string) string {
	if s == n.Value {
		return strconv.Quote(s)
	}
	return strconv.Quote(n.Value) + " gives " + strconv.Quote(s)
}
