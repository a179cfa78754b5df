// Downstream calls: each NEXT asked for its tree in parallel, with one retry on a fresh address when a replica left the name.

package link

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// hopHeaders is what a hop tells the next one, in the request's headers.
type hopHeaders struct {
	hops    int           // X-Chain-Hops: the callee's count
	budget  time.Duration // X-Chain-Budget-Ms: the time the call may take
	payload int           // X-Chain-Payload; 0 (none) sends no header
}

func (s *Service) callAll(ctx context.Context, h hopHeaders) []*Node {
	out := make([]*Node, len(s.next))
	if len(s.next) == 1 {
		out[0] = s.call(ctx, 0, h)
		return out
	}
	var wg sync.WaitGroup
	for i := range s.next {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.call(ctx, i, h)
		}()
	}
	wg.Wait()
	return out
}

// call asks one downstream (s.next[i]) for its tree. A failure becomes a
// node that names the hop and the reason, so the tree shows where the
// chain broke. How cached addresses keep that precise: see balance.go.
func (s *Service) call(ctx context.Context, i int, h hopHeaders) *Node {
	start := time.Now()
	budget := h.budget
	up := s.next[i]
	if up == nil {
		return &Node{Service: s.cfg.Next[i], Status: http.StatusBadGateway, Error: "bad NEXT: " + s.nextErrs[i].Error()}
	}
	fail := func(status int, reason string) *Node {
		return &Node{Service: up.service, Status: status, Error: reason, TookMS: ms(time.Since(start))}
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	a, err := up.pick(ctx)
	if err != nil {
		return fail(failure(err, budget))
	}
	for retry := true; ; retry = false {
		since := time.Now()
		left := budget
		if !retry {
			d, _ := ctx.Deadline()
			left = time.Until(d)
		}
		n, err := s.attempt(ctx, up, a, hopHeaders{h.hops, left, h.payload}, since, retry)
		if err == nil {
			return n
		}
		var tree *notATree
		if errors.As(err, &tree) {
			return fail(http.StatusBadGateway, tree.Error())
		}
		v := context.Cause(ctx) // the budget ran out: a timeout, whatever the watcher saw
		if v == nil {
			v = err
			if !errors.As(err, new(*nameGone)) && !errors.As(err, new(*addrGone)) && up.name != "" {
				// A fast failure (refused, reset): judged now.
				if j := up.judge(ctx, a, since, true); j != nil {
					v = j
				}
			}
		}
		var gone *addrGone
		switch {
		case errors.As(v, &gone) && retry:
			a = gone.addrs[rand.IntN(len(gone.addrs))]
			continue
		case errors.As(v, &gone):
			v = err // no second retry: the call's own error
		}
		return fail(failure(v, budget))
	}
}

// notATree is an answer that came but was not a link's tree.
type notATree struct{ err error }

func (e *notATree) Error() string { return e.err.Error() }

// attempt is one call of up at a, watched from hangCheck on (see
// upstream.watch) when up names a host; h.budget is what is left of the
// call. Its error is the transport's, a verdict (*nameGone, *addrGone)
// that cut it, or *notATree.
func (s *Service) attempt(ctx context.Context, up *upstream, a addr, h hopHeaders, since time.Time, retry bool) (*Node, error) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if up.name != "" {
		t := time.AfterFunc(hangCheck, func() { up.watch(actx, cancel, a, since, retry) })
		defer t.Stop()
	}
	cut := func(err error) error {
		if c := context.Cause(actx); c != nil && ctx.Err() == nil {
			var g *nameGone
			var m *addrGone
			if errors.As(c, &g) || errors.As(c, &m) {
				return c
			}
		}
		return err
	}
	var resp *http.Response
	var body []byte
	var err error
	if up.base.Scheme == "http" {
		resp, body, err = s.hops.do(actx, a.hostport, hopRequest(a.uri, up.base.Host, h))
	} else {
		resp, body, err = s.transportDo(actx, up, a, h)
	}
	if err != nil && resp == nil {
		return nil, cut(err)
	}
	n, err := decodeTree(resp, body, err)
	if err != nil {
		if c := cut(nil); c != nil {
			return nil, c
		}
		return nil, &notATree{err}
	}
	return n, nil
}

// transportDo is a call through net/http's Transport (https:// hops).
func (s *Service) transportDo(ctx context.Context, up *upstream, a addr, h hopHeaders) (*http.Response, []byte, error) {
	header := http.Header{
		"Accept":     {"application/json"},
		HeaderHops:   {strconv.Itoa(h.hops)},
		HeaderBudget: {strconv.FormatInt(h.budget.Milliseconds(), 10)},
	}
	if h.payload > 0 {
		header[HeaderPayload] = []string{strconv.Itoa(h.payload)}
	}
	req := (&http.Request{
		Method:     http.MethodGet,
		URL:        a.url,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Host:       up.base.Host,
		Header:     header,
	}).WithContext(ctx)
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := readBody(resp)
	return resp, body, err
}

// statusFor is 200 when every call answered; otherwise the worst outcome:
// a loop (508), then a timeout anywhere below (504), then any failure (502).
func statusFor(calls []*Node) int {
	status := http.StatusOK
	for _, c := range calls {
		switch {
		case c.Status == http.StatusLoopDetected:
			return http.StatusLoopDetected
		case c.Status == http.StatusGatewayTimeout:
			status = http.StatusGatewayTimeout
		case !c.OK() && status == http.StatusOK:
			status = http.StatusBadGateway
		}
	}
	return status
}
