// The chain tree: Node, reading a hop's answer into one, and writing one as JSON.

package link

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"
)

// maxTreeBytes bounds a downstream answer: a larger one is an error, not
// an allocation. It is the largest payload (16 MiB, see maxPayload) and
// 1 MiB for the tree around it; without a payload a tree is a few KiB.
const maxTreeBytes = maxPayload + 1<<20

// Node is one hop of the chain tree: who answered, how, and whom it called.
// Every field but payload and calls is always present in JSON, so the
// schema is the same for a hop that answered and one that could not be
// reached.
type Node struct {
	Service  string  `json:"service"`
	Instance string  `json:"instance"` // empty when the hop did not answer
	Version  string  `json:"version"`
	TookMS   float64 `json:"took_ms"`
	Status   int     `json:"status"` // HTTP status of this hop; 0 when nothing answered
	Error    string  `json:"error"`  // short reason, empty when fine
	// Payload is the bytes the last hop filled when the request asked
	// for some (?payload=N); hops that call others have none.
	Payload string  `json:"payload,omitempty"`
	Calls   []*Node `json:"calls,omitempty"`

	// raw is the JSON this node was decoded from, when it says exactly
	// what the node does: a hop passes its callee's answer on as it came.
	raw []byte
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
// The whole answer is read, so the connection can carry the next call.
func readTree(resp *http.Response) (*Node, error) {
	body, err := readBody(resp)
	return decodeTree(resp, body, err)
}

// decodeTree is readTree of a body already read (err is how reading it
// ended).
func decodeTree(resp *http.Response, body []byte, err error) (*Node, error) {
	n, end, ok := parseNode(body)
	if !ok {
		n = new(Node)
		dec := json.NewDecoder(bytes.NewReader(body))
		if dec.Decode(n) != nil {
			n.Service = ""
		}
		end = int(dec.InputOffset())
	}
	if n.Service == "" {
		if errors.Is(err, errTooBig) {
			return nil, fmt.Errorf("HTTP %d, answer over %d MiB", resp.StatusCode, maxTreeBytes>>20)
		}
		return nil, fmt.Errorf("HTTP %d, not a link service", resp.StatusCode)
	}
	if err != nil && !errors.Is(err, errTooBig) {
		return nil, err // the tree came, then the connection broke
	}
	if n.Status == resp.StatusCode {
		n.raw = body[:end]
	}
	n.Status = resp.StatusCode
	if n.Status != http.StatusOK && n.Error == "" && len(n.Broken()) == 0 {
		// A failure no hop explained (a proxy in between, say) still
		// has to show where it happened.
		n.Error = fmt.Sprintf("HTTP %d", n.Status)
		n.raw = nil
	}
	return n, nil
}

var errTooBig = errors.New("answer too big")

// readBody reads up to maxTreeBytes of a body, in one allocation when its
// length is known.
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= maxTreeBytes {
		b := make([]byte, n)
		_, err := io.ReadFull(resp.Body, b)
		return b, err
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxTreeBytes))
	if err == nil && len(b) == maxTreeBytes {
		err = errTooBig
	}
	return b, err
}

// appendJSON appends n as encoding/json writes it, but a node that came
// as raw JSON is copied, not re-encoded, and this service's constant
// fields come from head when the node is its own (head is
// `{"service":...,"version":...,"took_ms":`).
func appendJSON(b []byte, n *Node, head []byte) []byte {
	if n.raw != nil {
		return append(b, n.raw...)
	}
	if head == nil {
		j, err := json.Marshal(n)
		if err != nil {
			panic(err) // a Node always encodes
		}
		return append(b, j...)
	}
	b = append(b, head...)
	b = appendFloat(b, n.TookMS)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(n.Status), 10)
	b = append(b, `,"error":`...)
	b = appendString(b, n.Error)
	if n.Payload != "" {
		b = append(b, `,"payload":`...)
		b = appendString(b, n.Payload)
	}
	if len(n.Calls) > 0 {
		b = append(b, `,"calls":[`...)
		for i, c := range n.Calls {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, c, nil)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// jsonHead is the start of n's JSON up to the value of took_ms.
func jsonHead(n *Node) []byte {
	b := []byte(`{"service":`)
	b = appendString(b, n.Service)
	b = append(b, `,"instance":`...)
	b = appendString(b, n.Instance)
	b = append(b, `,"version":`...)
	b = appendString(b, n.Version)
	return append(b, `,"took_ms":`...)
}

// appendString writes s as encoding/json does: printable ASCII that it
// does not escape is copied (a payload is megabytes of it), anything else
// goes through json.Marshal.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j, _ := json.Marshal(s)
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendFloat writes f as encoding/json does.
func appendFloat(b []byte, f float64) []byte {
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) || math.IsNaN(f) || math.IsInf(f, 0) {
		j, _ := json.Marshal(f)
		return append(b, j...)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
