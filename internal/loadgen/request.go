// One request of the load: send it, read the answer (a link tree or just a status), and say in a few words what went wrong.

package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"

	"github.com/chainctl/chainctl/internal/link"
)

// maxAnswer bounds what is read of an answer: a link tree with the
// largest payload a link fills (16 MiB) and room around it.
const maxAnswer = 17 << 20

// do sends request seq, sent at offset sent, and waits for its answer or
// its timeout.
func (g *gen) do(seq int, due, sent time.Duration) Result {
	r := Result{Seq: seq, Due: due, Sent: sent}
	ctx, cancel := context.WithTimeout(g.reqCtx, g.o.Timeout)
	defer cancel()
	resp, err := g.client.Do(g.req.Clone(ctx))
	if err != nil {
		r.Error = Summarise(err)
		if g.o.Link {
			r.Hop = g.entryName()
		}
	} else {
		r.Status = resp.StatusCode
		if g.o.Link {
			g.readTree(resp, &r)
		} else {
			g.readStatus(resp, &r)
		}
		resp.Body.Close()
	}
	r.Latency = time.Since(g.start) - due
	return r
}

// readStatus judges an answer by its status alone; the body is read (up to
// maxAnswer) so that the connection can carry the next request.
func (g *gen) readStatus(resp *http.Response, r *Result) {
	_, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	switch {
	case err != nil:
		r.Error = Summarise(err)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		r.Error = statusText(resp.StatusCode)
	default:
		r.OK = true
	}
}

// readTree judges a link's answer by its tree: OK when it came with 200
// and every hop answered, else the deepest hop that failed and why. An
// answer that is no tree is the entry's failure.
func (g *gen) readTree(resp *http.Response, r *Result) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		r.Hop, r.Error = g.entryName(), Summarise(err) // it began to answer, then broke
		return
	}
	var n link.Node
	if json.Unmarshal(body, &n) != nil || n.Service == "" {
		r.Hop, r.Error = g.entryName(), fmt.Sprintf("HTTP %d, not a link service", resp.StatusCode)
		return
	}
	if p := g.entry.Load(); g.o.Entry == "" && (p == nil || *p != n.Service) {
		g.entry.Store(&n.Service)
	}
	n.Status = resp.StatusCode // what came, whatever the tree says
	if n.OK() {
		r.OK = true
		return
	}
	if b := n.Broken(); len(b) > 0 {
		r.Hop, r.Error = b[0].Service, b[0].Error
		return
	}
	r.Hop, r.Error = n.Service, fmt.Sprintf("HTTP %d", resp.StatusCode) // no hop said why
}

// entryName is the entry's name if it is known: Options.Entry, or what
// the last tree said.
func (g *gen) entryName() string {
	if p := g.entry.Load(); p != nil {
		return *p
	}
	return ""
}

// statusText is how a failed status reads: "HTTP 503 Service Unavailable".
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("HTTP %d %s", code, t)
	}
	return fmt.Sprintf("HTTP %d", code)
}

// Summarise turns a transport error into the few words a person reads,
// the words the link trees use for their hops (link.Classify): "timeout",
// "connection refused", "connection reset" (which includes a connection
// closed before the answer: EOF), "no such host", "no route to host"; and
// "too many open files" when this process ran out of sockets. Anything
// else is the error without its `Get "URL":` prefix.
func Summarise(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		return "too many open files"
	}
	return link.Classify(err)
}

// defaultClient is the client of a Run without one: keep-alive, an idle
// connection kept for every request that may be in flight, no proxy (the
// load goes where the URL says), no compression, HTTP/1.1.
func defaultClient(maxInFlight int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        maxInFlight,
		MaxIdleConnsPerHost: maxInFlight,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}}
}
