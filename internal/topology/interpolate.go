// Interpolation: $VAR, ${VAR:-word} and compose's other forms, expanded in a scalar as compose does.

package topology

import (
	"errors"
	"fmt"
	"strings"
)

// maxNesting bounds ${A:-${B:-...}} so that a hostile value cannot recurse
// without end.
const maxNesting = 32

var errUnterminated = errors.New("unterminated ${")

// interpolate expands variables in a scalar as compose does:
//
//	$VAR, ${VAR}      the value, "" when unset
//	${VAR:-word}      word when VAR is unset or empty (${VAR-word}: unset)
//	${VAR:?message}   an error when VAR is unset or empty (${VAR?message}: unset)
//	${VAR:+word}      word when VAR is set and not empty (${VAR+word}: set)
//	$$                a literal $
//
// A word may hold variables itself; it is expanded only when used.
func interpolate(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	in := interpolation{s: s, lookup: lookup}
	out, _, err := in.text(0, 0, true)
	if err != nil {
		return "", fmt.Errorf("%q: %w", s, err)
	}
	return out, nil
}

type interpolation struct {
	s      string
	lookup func(string) (string, bool)
}

// text expands from i to the end of the string or, when depth > 0, to the
// } closing the enclosing ${; it returns where it stopped. With eval false
// it only checks the syntax (a word that is not used).
func (in *interpolation) text(i, depth int, eval bool) (string, int, error) {
	s := in.s
	var b strings.Builder
	for i < len(s) {
		switch {
		case depth > 0 && s[i] == '}':
			return b.String(), i, nil
		case s[i] != '$' || i+1 == len(s):
			b.WriteByte(s[i])
			i++
		case s[i+1] == '$':
			b.WriteByte('$')
			i += 2
		case s[i+1] == '{':
			v, next, err := in.braced(i+2, depth+1, eval)
			if err != nil {
				return "", 0, err
			}
			b.WriteString(v)
			i = next
		case isNameByte(s[i+1], true):
			j := i + 1
			for j < len(s) && isNameByte(s[j], false) {
				j++
			}
			if eval {
				v, _ := in.lookup(s[i+1 : j])
				b.WriteString(v)
			}
			i = j
		default: // a lone $ stays, as in compose
			b.WriteByte('$')
			i++
		}
	}
	if depth > 0 {
		return "", 0, errUnterminated
	}
	return b.String(), i, nil
}

// braced expands NAME[op word]} from i, just past "${".
func (in *interpolation) braced(i, depth int, eval bool) (string, int, error) {
	s := in.s
	if depth > maxNesting {
		return "", 0, fmt.Errorf("variables nested more than %d deep", maxNesting)
	}
	j := i
	for j < len(s) && isNameByte(s[j], j == i) {
		j++
	}
	name := s[i:j]
	switch {
	case j == len(s):
		return "", 0, errUnterminated
	case name == "":
		return "", 0, errors.New("${ must be followed by a variable name")
	case s[j] == '}':
		v, _ := in.lookup(name)
		return v, j + 1, nil
	}
	op := ""
	for _, o := range []string{":-", ":?", ":+", "-", "?", "+"} {
		if strings.HasPrefix(s[j:], o) {
			op = o
			break
		}
	}
	if op == "" {
		return "", 0, fmt.Errorf("invalid variable name or operator at %q", s[i:j+1])
	}
	value, set := "", false
	if eval {
		value, set = in.lookup(name)
	}
	if op[0] == ':' {
		set = set && value != ""
	}
	kind := op[len(op)-1]
	useWord := set == (kind == '+')
	word, end, err := in.text(j+len(op), depth, eval && useWord)
	switch {
	case err != nil:
		return "", 0, err
	case !eval:
		return "", end + 1, nil
	case kind == '?' && useWord:
		if word == "" {
			word = "required"
		}
		return "", 0, fmt.Errorf("variable %s is not set: %s", name, word)
	case useWord:
		return word, end + 1, nil
	case kind == '+':
		return "", end + 1, nil
	}
	return value, end + 1, nil
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
}

// Expander is ${VAR} interpolation as topology files have it, for a
// yamlnode.Reader's Expand, so that other file formats (experiments)
// interpolate the same way. lookupEnv nil: nothing is set.
func Expander(lookupEnv func(string) (string, bool)) func(string) (string, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	return func(s string) (string, error) { return interpolate(s, lookupEnv) }
}
