// Hop client: a small HTTP/1.1 client for calls to the next hop, with a keep-alive pool.

package link

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// hopClient calls the next hops over plain HTTP/1.1 keep-alive
// connections, in the caller's goroutine: write the request, read the
// answer, put the connection back. net/http's Transport hands each call
// to a writer and a reader goroutine per connection; on a hop that does
// nothing else, those hand-offs (and the wake-ups they cost) were about
// as much CPU as serving the request. Answers are parsed by
// http.ReadResponse. Calls to https:// hops use the Transport.
type hopClient struct {
	dialer      net.Dialer
	maxIdle     int           // idle connections kept per address
	idleTimeout time.Duration // an older idle connection is closed, not reused

	mu   sync.Mutex
	idle map[string][]*hopConn // by ip:port, most recently used last
}

type hopConn struct {
	net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	used time.Time
}

// hopIdleTimeout is below the link server's IdleTimeout (60 s), so a
// pooled connection is not one the callee is closing.
const hopIdleTimeout = 50 * time.Second

func newHopClient(dialTimeout time.Duration) *hopClient {
	return &hopClient{
		dialer:      net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second},
		maxIdle:     64,
		idleTimeout: hopIdleTimeout,
		idle:        map[string][]*hopConn{},
	}
}

// get returns an idle connection to addr, or nil.
func (c *hopClient) get(addr string) *hopConn {
	c.mu.Lock()
	defer c.mu.Unlock()
	conns := c.idle[addr]
	for len(conns) > 0 {
		hc := conns[len(conns)-1]
		conns = conns[:len(conns)-1]
		if time.Since(hc.used) < c.idleTimeout {
			c.idle[addr] = conns
			return hc
		}
		hc.Close()
	}
	delete(c.idle, addr)
	return nil
}

func (c *hopClient) put(addr string, hc *hopConn) {
	hc.used = time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.idle[addr]) >= c.maxIdle {
		hc.Close()
		return
	}
	c.idle[addr] = append(c.idle[addr], hc)
}

// closeIdle closes every idle connection.
func (c *hopClient) closeIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for addr, conns := range c.idle {
		for _, hc := range conns {
			hc.Close()
		}
		delete(c.idle, addr)
	}
}

func (c *hopClient) dial(ctx context.Context, addr string) (*hopConn, error) {
	conn, err := c.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &hopConn{Conn: conn, br: bufio.NewReaderSize(conn, 4096), bw: bufio.NewWriterSize(conn, 1024)}, nil
}

// do sends req (a whole request) to addr and reads the answer and its
// body (at most maxTreeBytes). Ending ctx ends the call. A pooled
// connection that turns out closed before any answer is replaced by a new
// one, once: the request is a GET.
func (c *hopClient) do(ctx context.Context, addr string, req []byte) (*http.Response, []byte, error) {
	for reused := true; ; reused = false {
		var hc *hopConn
		if reused {
			hc = c.get(addr)
		}
		if hc == nil {
			reused = false
			var err error
			if hc, err = c.dial(ctx, addr); err != nil {
				return nil, nil, err
			}
		}
		resp, body, err := c.roundTrip(ctx, hc, req)
		if err != nil && reused && ctx.Err() == nil && staleConn(err) {
			continue
		}
		if err != nil || resp.Close {
			hc.Close()
		} else {
			c.put(addr, hc)
		}
		return resp, body, err
	}
}

// staleConn: a connection the callee closed while it was idle fails like
// this on its next use.
func staleConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || Classify(err) == "connection reset" || isBrokenPipe(err)
}

func isBrokenPipe(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "write"
}

func (c *hopClient) roundTrip(ctx context.Context, hc *hopConn, req []byte) (*http.Response, []byte, error) {
	// Ending ctx (the budget, the caller leaving, a watcher's verdict)
	// unblocks the I/O; the connection is not reused after that.
	stop := context.AfterFunc(ctx, func() { hc.SetDeadline(time.Unix(1, 0)) })
	resp, body, err := exchange(hc, req)
	if !stop() && resp != nil {
		resp.Close = true // the answer came, but the deadline is spoilt
	}
	return resp, body, err
}

func exchange(hc *hopConn, req []byte) (*http.Response, []byte, error) {
	if _, err := hc.bw.Write(req); err != nil {
		return nil, nil, err
	}
	if err := hc.bw.Flush(); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(hc.br, nil)
	if err != nil {
		return nil, nil, err
	}
	body, err := readBody(resp) // to the end: the next answer follows
	if err != nil {
		resp.Close = true
	}
	resp.Body.Close()
	return resp, body, err
}

// hopRequest is the request a hop sends to base's request target path
// (with ?format=json) on host, with h's headers.
func hopRequest(path, host string, h hopHeaders) []byte {
	b := make([]byte, 0, 192)
	b = append(b, "GET "...)
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nUser-Agent: Go-http-client/1.1\r\nAccept: application/json\r\n"+HeaderHops+": "...)
	b = strconv.AppendInt(b, int64(h.hops), 10)
	b = append(b, "\r\n"+HeaderBudget+": "...)
	b = strconv.AppendInt(b, h.budget.Milliseconds(), 10)
	if h.payload > 0 {
		b = append(b, "\r\n"+HeaderPayload+": "...)
		b = strconv.AppendInt(b, int64(h.payload), 10)
	}
	return append(b, "\r\n\r\n"...)
}
