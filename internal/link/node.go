package link

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxTreeBytes bounds a downstream answer: a larger one is an error, not
// an allocation.
const maxTreeBytes = 4 << 20

// Node is one hop of the chain tree: who answered, how, and whom it called.
// Every field but calls is always present in JSON, so the schema is the
// same for a hop that answered and one that could not be reached.
type Node struct {
	Service  string  `json:"service"`
	Instance string  `json:"instance"` // empty when the hop did not answer
	Version  string  `json:"version"`
	TookMS   float64 `json:"took_ms"`
	Status   int     `json:"status"` // HTTP status of this hop; 0 when nothing answered
	Error    string  `json:"error"`  // short reason, empty when fine
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
	if n.Status != http.StatusOK || n.Error != "" {
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

// readTree decodes the tree a link answered with, and fills in its HTTP
// status. An answer that is not a tree (another server on that port, a
// proxy's error page) is an error that says which status came with it.
func readTree(resp *http.Response) (*Node, error) {
	var n Node
	err := json.NewDecoder(io.LimitReader(resp.Body, maxTreeBytes)).Decode(&n)
	if err != nil || n.Service == "" {
		return nil, fmt.Errorf("HTTP %d, not a link service", resp.StatusCode)
	}
	n.Status = resp.StatusCode
	if n.Status != http.StatusOK && n.Error == "" && len(n.Broken()) == 0 {
		// A failure no hop explained (a proxy in between, say) still
		// has to show where it happened.
		n.Error = fmt.Sprintf("HTTP %d", n.Status)
	}
	return &n, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
