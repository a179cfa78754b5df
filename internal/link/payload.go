// Payloads: the size a request asks for (?payload=N, X-Chain-Payload) and the bytes the last hop fills, to measure a rate limit through a chain.

package link

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
)

// maxPayload is the largest payload a request may ask for. A downstream
// answer may be that much bigger than a tree (see maxTreeBytes).
const maxPayload = 16 << 20

// requestedPayload is the payload size r asks for: ?payload=N on the
// entry, else the X-Chain-Payload header its caller hop sent; 0 when it
// asks for none. Anything but a plain integer from 0 to maxPayload is an
// error that says what was sent and what is wanted.
func requestedPayload(r *http.Request) (int, error) {
	if v, ok := queryValue(r.URL.RawQuery, "payload"); ok {
		return parsePayload("payload", v)
	}
	if vs := r.Header[HeaderPayload]; len(vs) > 0 {
		return parsePayload(HeaderPayload, vs[0])
	}
	return 0, nil
}

// parsePayload reads v, the value of name: digits only (no sign, no
// spaces), at most maxPayload.
func parsePayload(name, v string) (int, error) {
	n := 0
	ok := v != ""
	for i := 0; ok && i < len(v); i++ {
		c := v[i]
		n = n*10 + int(c-'0')
		ok = c >= '0' && c <= '9' && n <= maxPayload
	}
	if !ok {
		if len(v) > 32 {
			v = v[:32] + "..."
		}
		return 0, fmt.Errorf("%s=%q: want a plain number of bytes from 0 to %d (16 MiB)", name, v, maxPayload)
	}
	return n, nil
}

// filler is the longest run of payload bytes made so far: a payload is a
// prefix of it, so the last hop does not build n bytes per request.
var filler atomic.Pointer[string]

// payloadBytes is n bytes of 'x' (JSON-safe ASCII, nothing to escape);
// "" for 0.
func payloadBytes(n int) string {
	if n <= 0 {
		return ""
	}
	for {
		old := filler.Load()
		if old != nil && len(*old) >= n {
			return (*old)[:n]
		}
		size := 64 << 10
		for size < n {
			size *= 2
		}
		s := strings.Repeat("x", size)
		if filler.CompareAndSwap(old, &s) {
			return s[:n]
		}
	}
}

// jsonSizeHint is about the length of n's JSON when it carries a payload:
// the payloads and the raw trees it holds, and some room for the rest.
func jsonSizeHint(n *Node) int {
	size := 256 + len(n.Payload)
	for _, c := range n.Calls {
		if c.raw != nil {
			size += len(c.raw)
		} else {
			size += jsonSizeHint(c)
		}
	}
	return size
}
