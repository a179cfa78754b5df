// Fast tree parser: a node as links write it, read without encoding/json; anything else falls back to it.

package link

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// parseNode decodes a tree exactly as links write it (appendJSON: the
// fields in order, no spaces, no escapes in strings) about five times
// faster than encoding/json, which a hop otherwise spends most of its
// non-network CPU in. ok is false for anything else (another writer,
// escaped strings, odd numbers): the caller then uses encoding/json, so
// what a tree means never depends on which parser read it. end is the
// length of the object in b.
func parseNode(b []byte) (n *Node, end int, ok bool) {
	p := parser{b: b}
	n = p.node(0)
	if p.bad {
		return nil, 0, false
	}
	return n, p.i, true
}

type parser struct {
	b   []byte
	i   int
	bad bool
}

// maxParseDepth bounds recursion; a deeper tree goes to encoding/json.
const maxParseDepth = 64

func (p *parser) lit(s string) {
	if p.bad || !bytes.HasPrefix(p.b[p.i:], []byte(s)) {
		p.bad = true
		return
	}
	p.i += len(s)
}

func (p *parser) str() string {
	if p.bad || p.i >= len(p.b) || p.b[p.i] != '"' {
		p.bad = true
		return ""
	}
	j := bytes.IndexByte(p.b[p.i+1:], '"')
	if j < 0 {
		p.bad = true
		return ""
	}
	s := p.b[p.i+1 : p.i+1+j]
	for _, c := range s {
		if c == '\\' || c < 0x20 {
			p.bad = true
			return ""
		}
	}
	if !utf8.Valid(s) {
		p.bad = true
		return ""
	}
	p.i += j + 2
	if len(s) == 0 {
		return ""
	}
	return string(s)
}

// number returns the bytes of a JSON number.
func (p *parser) number() []byte {
	if p.bad {
		return nil
	}
	j := p.i
	for j < len(p.b) && (p.b[j] == '-' || p.b[j] == '+' || p.b[j] == '.' || p.b[j] == 'e' || p.b[j] == 'E' || (p.b[j] >= '0' && p.b[j] <= '9')) {
		j++
	}
	s := p.b[p.i:j]
	p.i = j
	if !validNumber(s) {
		p.bad = true
	}
	return s
}

// validNumber is JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(s []byte) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		k := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - k
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

func (p *parser) node(depth int) *Node {
	if depth > maxParseDepth {
		p.bad = true
		return nil
	}
	n := &Node{}
	p.lit(`{"service":`)
	n.Service = p.str()
	p.lit(`,"instance":`)
	n.Instance = p.str()
	p.lit(`,"version":`)
	n.Version = p.str()
	p.lit(`,"took_ms":`)
	if f, err := strconv.ParseFloat(string(p.number()), 64); err != nil {
		p.bad = true
	} else {
		n.TookMS = f
	}
	p.lit(`,"status":`)
	if s, err := strconv.Atoi(string(p.number())); err != nil {
		p.bad = true
	} else {
		n.Status = s
	}
	p.lit(`,"error":`)
	n.Error = p.str()
	if !p.bad && bytes.HasPrefix(p.b[p.i:], []byte(`,"payload":`)) {
		p.i += len(`,"payload":`)
		n.Payload = p.str()
	}
	if !p.bad && bytes.HasPrefix(p.b[p.i:], []byte(`,"calls":[`)) {
		p.i += len(`,"calls":[`)
		for !p.bad {
			n.Calls = append(n.Calls, p.node(depth+1))
			if p.i < len(p.b) && p.b[p.i] == ',' {
				p.i++
				continue
			}
			p.lit("]")
			break
		}
	}
	p.lit("}")
	return n
}
