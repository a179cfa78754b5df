// Upstreams and their address cache: picking a replica per call, revalidating names, judging a failed or hanging call.

package link

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/url"
	"slices"
	"sync"
	"time"
)

// How the address cache stays honest. Calls use the addresses of the last
// lookup of a name (no query on the hot path); while a name is being
// called it is looked up again in the background at most every
// revalidateEvery, one lookup in flight per name. A call that fails, or
// has no answer after hangCheck, is judged against a lookup that started
// after the call began: a name that no longer resolves ends it at once as
// "no such host" (a dead hop reads as it did when every call resolved), an
// address that left the name (a replica died) gets one retry on a fresh
// address, and anything else is the call's own error (refused, a timeout
// for a paused hop).
const (
	revalidateEvery = 100 * time.Millisecond
	hangCheck       = 100 * time.Millisecond
)

// resolver is net.DefaultResolver, or a fake in tests.
type resolver interface {
	LookupIP(ctx context.Context, network, host string) ([]net.IP, error)
}

// lookupNetwork is "ip" when an interface has a global IPv6 address, else
// "ip4": on a network without IPv6, A records only, half the queries to
// Docker's DNS server.
func lookupNetwork(addrs func() ([]net.Addr, error)) string {
	as, err := addrs()
	if err != nil {
		return "ip"
	}
	for _, a := range as {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() == nil && n.IP.IsGlobalUnicast() {
			return "ip"
		}
	}
	return "ip4"
}

// upstream is one NEXT: its base URL and, when it names a host, the
// cached addresses of that name. Replicas share one DNS alias; the
// transport pools connections per address, so picking an address per call
// spreads calls over replicas and keeps connection reuse, per replica.
type upstream struct {
	base    *url.URL
	service string // the hop's name in a tree: the host of base
	name    string // the name to resolve; "" when base holds an IP address
	fixed   addr   // the target when name is ""

	res     resolver
	network string        // "ip4" or "ip"
	timeout time.Duration // of one lookup
	every   time.Duration // revalidation interval

	mu        sync.Mutex
	addrs     []addr    // of the last successful lookup; nil once the name is gone
	addrsFrom time.Time // when the lookup that set addrs started: an older answer never overrides it
	last      *lookup   // the latest lookup started, in flight or done
}

// addr is one address of an upstream, ready to call.
type addr struct {
	ip       string
	hostport string   // ip and the port, to dial
	url      *url.URL // base with the host replaced by ip, path /?format=json
	uri      string   // url's request target
}

// lookup is one query for a name; done is closed when addrs and err are set.
type lookup struct {
	started time.Time
	done    chan struct{}
	addrs   []addr
	err     error
}

func (l *lookup) finished() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

func newUpstream(base string, res resolver, network string, timeout time.Duration) (*upstream, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	up := &upstream{base: u, service: u.Hostname(), res: res, network: network, timeout: timeout, every: revalidateEvery}
	if net.ParseIP(up.service) != nil {
		up.fixed = up.target(net.ParseIP(up.service))
	} else {
		up.name = up.service
	}
	return up, nil
}

// target is base with its host replaced by ip.
func (u *upstream) target(ip net.IP) addr {
	t := *u.base
	host := ip.String()
	if port := u.base.Port(); port != "" {
		t.Host = net.JoinHostPort(host, port)
	} else if ip.To4() == nil {
		t.Host = "[" + host + "]"
	} else {
		t.Host = host
	}
	t.Path, t.RawPath, t.RawQuery = u.base.Path+"/", "", "format=json"
	port := u.base.Port()
	switch {
	case port != "":
	case u.base.Scheme == "https":
		port = "443"
	default:
		port = "80"
	}
	return addr{ip: host, hostport: net.JoinHostPort(host, port), url: &t, uri: t.RequestURI()}
}

// pick returns an address to call: a cached one (revalidated in the
// background when the last lookup is older than every), else the result
// of a lookup, joined if one is in flight.
func (u *upstream) pick(ctx context.Context) (addr, error) {
	if u.name == "" {
		return u.fixed, nil
	}
	u.mu.Lock()
	addrs, l := u.addrs, u.last
	if len(addrs) > 0 {
		if l.finished() && time.Since(l.started) >= u.every {
			u.startLocked()
		}
		u.mu.Unlock()
		return addrs[rand.IntN(len(addrs))], nil
	}
	if l == nil || l.finished() {
		u.startLocked() // nothing cached: every call without an answer asks again
	}
	u.mu.Unlock()
	l, err := u.await(ctx, time.Time{})
	if err != nil {
		return addr{}, err
	}
	if l.err != nil {
		return addr{}, l.err
	}
	return l.addrs[rand.IntN(len(l.addrs))], nil
}

// await waits for a lookup that started at or after since: the latest
// one, joined while it is young, or a new one. A lookup that hangs (a DNS
// server that forwards a gone name and gets no answer) is not waited out:
// once it is older than every, a fresh one starts beside it, so a name
// that comes back resolves within every of its return.
func (u *upstream) await(ctx context.Context, since time.Time) (*lookup, error) {
	tick := time.NewTicker(u.every)
	defer tick.Stop()
	for {
		u.mu.Lock()
		l := u.last
		if l == nil || (l.finished() && l.started.Before(since)) || (!l.finished() && time.Since(l.started) >= u.every) {
			l = u.startLocked()
		}
		u.mu.Unlock()
		select {
		case <-l.done:
			if !l.started.Before(since) {
				return l, nil
			}
		case <-tick.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// after returns the result of a lookup that started at or after since.
func (u *upstream) after(ctx context.Context, since time.Time) ([]addr, error) {
	l, err := u.await(ctx, since)
	if err != nil {
		return nil, err
	}
	return l.addrs, l.err
}

// startLocked starts a lookup; u.mu is held. At most one lookup starts
// per every (await starts another only beside one older than that).
func (u *upstream) startLocked() *lookup {
	l := &lookup{started: time.Now(), done: make(chan struct{})}
	u.last = l
	go u.resolve(l)
	return l
}

// resolve runs l and updates the cache: new addresses on success, none
// when the name is gone. Other failures (a DNS timeout) keep the addresses
// the last answer gave: they say nothing about the hop.
func (u *upstream) resolve(l *lookup) {
	ctx, cancel := context.WithTimeout(context.Background(), u.timeout)
	ips, err := u.res.LookupIP(ctx, u.network, u.name)
	cancel()
	if err == nil && len(ips) == 0 {
		err = &net.DNSError{Err: "no such host", Name: u.name, IsNotFound: true}
	}
	for _, ip := range ips {
		l.addrs = append(l.addrs, u.target(ip))
	}
	l.err = err
	u.mu.Lock()
	if !l.started.Before(u.addrsFrom) { // a late answer of an older lookup says nothing new
		switch {
		case err == nil:
			u.addrs, u.addrsFrom = l.addrs, l.started
		case isNotFound(err):
			u.addrs, u.addrsFrom = nil, l.started
		}
	}
	u.mu.Unlock()
	close(l.done)
}

// isNotFound reports whether err says the name does not resolve.
func isNotFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && Classify(dnsErr) == "no such host"
}

// Verdicts on a call that failed or hangs, from a lookup that started
// after the call began.
type (
	// nameGone: the name no longer resolves; the call reports Err.
	nameGone struct{ Err error }
	// addrGone: the called address left the name, these remain.
	addrGone struct{ addrs []addr }
)

func (e *nameGone) Error() string { return e.Err.Error() }
func (e *nameGone) Unwrap() error { return e.Err }
func (e *addrGone) Error() string { return "address left the name" }

// judge classifies a failed or hanging call to a, which began at since.
// It returns nil when the name still holds a (the call's own error
// stands), or when ctx ended first. A failed call (failed) reports any
// DNS error, as it did when every call resolved first; a hanging one is
// cut only when the name is gone.
func (u *upstream) judge(ctx context.Context, a addr, since time.Time, failed bool) error {
	addrs, err := u.after(ctx, since)
	var dnsErr *net.DNSError
	switch {
	case ctx.Err() != nil:
		return nil
	case err != nil && (isNotFound(err) || failed && errors.As(err, &dnsErr)):
		return &nameGone{Err: err}
	case err != nil:
		return nil
	case !slices.ContainsFunc(addrs, func(b addr) bool { return b.ip == a.ip }):
		return &addrGone{addrs: addrs}
	}
	return nil
}

// watch runs while a call to a has no answer, from hangCheck after it
// began: each hangCheck it judges the call against a lookup that started
// since the last judgement, and cancels the call with the verdict when
// the name is gone, or when the address is gone and a retry is allowed.
func (u *upstream) watch(ctx context.Context, cancel context.CancelCauseFunc, a addr, since time.Time, retry bool) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next := time.Now()
		switch v := u.judge(ctx, a, since, false); v.(type) {
		case *nameGone:
			cancel(v)
			return
		case *addrGone:
			if retry {
				cancel(v)
				return
			}
		}
		since = next
		t.Reset(hangCheck)
	}
}
