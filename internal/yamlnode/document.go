// Reading a file's one YAML document within limits, with syntax errors located by line.

package yamlnode

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Document says what a file is and what it may cost: the whole file and
// the nodes once YAML aliases are followed (an alias bomb is refused,
// never expanded).
type Document struct {
	Kind     string // what the file is, with its article, for messages: "a topology"
	Empty    string // what an empty file is told after "empty file: "
	MaxBytes int
	MaxNodes int
}

// Parse checks the raw file and returns the root node of its one
// document, or an *Error.
func (d Document) Parse(data []byte, file string) (*yaml.Node, error) {
	fail := func(line int, format string, args ...any) (*yaml.Node, error) {
		return nil, &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	if len(data) > d.MaxBytes {
		return fail(1, "file is larger than %d bytes, the limit: refused", d.MaxBytes)
	}
	if line, msg := badText(data, d.Kind); msg != "" {
		return fail(line, "%s", msg)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		return nil, SyntaxError(data, err, file)
	}
	if len(doc.Content) == 0 || IsNull(doc.Content[0]) {
		return fail(1, "empty file: %s", d.Empty)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == io.EOF:
	case err != nil:
		return nil, SyntaxError(data, err, file)
	case len(next.Content) > 0 && !IsNull(next.Content[0]):
		return fail(next.Content[0].Line, "a second YAML document (after ---): %s is one document", d.Kind)
	}
	if n := countNodes(doc.Content[0], d.MaxNodes); n > d.MaxNodes {
		return fail(1, "the document has more than %d nodes once YAML aliases are expanded (an alias bomb?): refused", d.MaxNodes)
	}
	return doc.Content[0], nil
}

// badText finds what the YAML reader would refuse without a line number:
// invalid UTF-8 and control characters.
func badText(data []byte, kind string) (line int, msg string) {
	line = 1
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark is fine
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		switch {
		case r == utf8.RuneError && size == 1:
			return line, "invalid UTF-8: " + kind + " is UTF-8 text"
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

// SyntaxError turns a yaml.v3 syntax error into a located problem. yaml.v3
// names no line for line 1, counts lines from 0 for parser errors, and
// names none for anchor errors: those are found in the text.
func SyntaxError(data []byte, err error, file string) *Error {
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
// stops as soon as max is passed.
func countNodes(root *yaml.Node, max int) int {
	count := 0
	stack := []*yaml.Node{root}
	for len(stack) > 0 && count <= max {
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
