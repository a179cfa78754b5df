package link

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"
)

// Node is one hop of the chain tree: who answered, how, and whom it called.
type Node struct {
	Service  string  `json:"service"`
	Instance string  `json:"instance,omitempty"`
	Version  string  `json:"version,omitempty"`
	TookMS   float64 `json:"took_ms"`
	Status   int     `json:"status"`
	Error    string  `json:"error,omitempty"`
	Calls    []*Node `json:"calls,omitempty"`
}

// Took is the hop's time as a readable duration: 5µs, 2.38ms, 1.9s.
func (n *Node) Took() time.Duration {
	d := time.Duration(n.TookMS * float64(time.Millisecond))
	if d >= time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// OK reports whether this hop and every hop below it answered.
func (n *Node) OK() bool {
	if n.Status != 200 || n.Error != "" {
		return false
	}
	for _, c := range n.Calls {
		if !c.OK() {
			return false
		}
	}
	return true
}

// Broken returns the deepest hops that failed, where the chain broke.
func (n *Node) Broken() []*Node {
	var out []*Node
	for _, c := range n.Calls {
		out = append(out, c.Broken()...)
	}
	if len(out) == 0 && n.Error != "" {
		out = append(out, n)
	}
	return out
}

// RenderText writes one line per branch: a (id, v, 1.2ms) → b (...) → c ✗ reason.
func RenderText(w io.Writer, n *Node) error {
	var lines []string
	walk(n, "", &lines)
	_, err := io.WriteString(w, strings.Join(lines, "\n")+"\n")
	return err
}

func walk(n *Node, prefix string, lines *[]string) {
	line := prefix + hop(n)
	if len(n.Calls) == 0 {
		*lines = append(*lines, line)
		return
	}
	for _, c := range n.Calls {
		walk(c, line+" → ", lines)
	}
}

func hop(n *Node) string {
	if n.Instance == "" && n.Error != "" {
		return n.Service + " ✗ " + n.Error
	}
	s := fmt.Sprintf("%s (%s, %s, %s)", n.Service, n.Instance, n.Version, n.Took())
	if n.Error != "" && len(n.Calls) == 0 {
		s += " ✗ " + n.Error
	}
	return s
}

// Classify turns a transport error into the short reason a person reads.
func Classify(err error) string {
	var dnsErr *net.DNSError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dnsErr) && (dnsErr.IsNotFound || strings.Contains(dnsErr.Err, "no such host")):
		return "no such host"
	case errors.As(err, &dnsErr):
		return "dns: " + dnsErr.Err
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "no route to host"
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
