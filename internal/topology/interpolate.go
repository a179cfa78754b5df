package topology

import (
	"fmt"
	"strings"
)

// interpolate expands ${VAR}, ${VAR:-default}, ${VAR-default} and $VAR as
// compose does; $$ is a literal $.
func interpolate(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			b.WriteByte('$')
			break
		}
		switch next := s[i+1]; {
		case next == '$':
			b.WriteByte('$')
			i++
		case next == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("%q: unterminated ${", s)
			}
			expr := s[i+2 : i+2+end]
			v, err := expand(expr, lookup)
			if err != nil {
				return "", fmt.Errorf("%q: %w", s, err)
			}
			b.WriteString(v)
			i += 2 + end
		case isNameByte(next, true):
			j := i + 1
			for j < len(s) && isNameByte(s[j], false) {
				j++
			}
			v, _ := lookup(s[i+1 : j])
			b.WriteString(v)
			i = j - 1
		default:
			b.WriteByte('$')
		}
	}
	return b.String(), nil
}

func expand(expr string, lookup func(string) (string, bool)) (string, error) {
	name, def, op := expr, "", ""
	if i := strings.Index(expr, ":-"); i >= 0 {
		name, def, op = expr[:i], expr[i+2:], ":-"
	} else if i := strings.IndexByte(expr, '-'); i >= 0 {
		name, def, op = expr[:i], expr[i+1:], "-"
	}
	if !validVarName(name) {
		return "", fmt.Errorf("invalid variable name %q in ${%s}", name, expr)
	}
	v, set := lookup(name)
	switch {
	case op == ":-" && v == "":
		return def, nil
	case op == "-" && !set:
		return def, nil
	}
	return v, nil
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i], i == 0) {
			return false
		}
	}
	return true
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
}
