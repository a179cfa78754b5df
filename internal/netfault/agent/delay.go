// The delay part: netem where the kernel has it, else a relay per listening port behind an nftables redirect.

package agent

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// Mechanisms of the delay part.
const (
	mechNetem = "netem"
	mechRelay = "relay"
)

// netemLimit is netem's queue, in packets (tc's default is 1000).
const netemLimit = 10000

// delay adds d ± jitter to what reaches the target.
type delay struct {
	d, jitter time.Duration
	from      []netip.Addr
	// rootFree says no other part wants the root qdisc (no rate out):
	// only then is netem tried.
	rootFree bool

	netem  []string // links with a netem root
	relays []*Relay
}

func (p *delay) key() string { return "delay" }

// useNetem is the decision before trying: netem delays everything the
// target sends (the round trip grows the same), so it serves only a
// fault for all peers with the root qdisc free.
func (p *delay) useNetem() bool { return p.rootFree && len(p.from) == 0 }

func (p *delay) start(sys system, rs *ruleset) (string, error) {
	if p.useNetem() {
		ok, err := p.startNetem(sys)
		if err != nil || ok {
			return mechNetem, err
		}
	}
	return mechRelay, p.startRelays(sys, rs)
}

// startNetem puts netem on every link; false (and nothing added) when the
// kernel has no sch_netem.
func (p *delay) startNetem(sys system) (bool, error) {
	links, err := sys.links()
	if err != nil {
		return false, fmt.Errorf("delay: %w", err)
	}
	for _, l := range links {
		err := sys.addRoot(qdisc{link: l, kind: "netem", delay: p.d, jitter: p.jitter, limit: netemLimit})
		if err != nil {
			stopErr := p.stop(sys)
			if netemMissing(err) && stopErr == nil {
				return false, nil
			}
			return false, errors.Join(fmt.Errorf("delay: %w", err), stopErr)
		}
		p.netem = append(p.netem, l)
	}
	return len(links) > 0, nil
}

// startRelays opens a relay for each port the target listens on and
// redirects new connections to it. Connections established before (a
// caller's kept-alive pool) would bypass the redirect: they are reset, and
// the callers reconnect through the relay. Redirected connections carry
// relayMark, so the reset never touches them.
func (p *delay) startRelays(sys system, rs *ruleset) error {
	ls, err := sys.listeners()
	if err != nil {
		return fmt.Errorf("delay: %w", err)
	}
	ports := servicePorts(ls, nil)
	if len(ports) == 0 {
		return errors.New("delay: the target listens on no TCP port outside loopback (read from /proc/net/tcp): nothing to delay")
	}
	for _, l := range ports {
		ln, err := net.Listen("tcp", ":0")
		if err != nil {
			return errors.Join(fmt.Errorf("delay: relay for port %d: %w", l.Port, err), p.stop(sys))
		}
		r := NewRelay(ln, dialTarget(l), p.d, p.jitter)
		go r.Serve()
		p.relays = append(p.relays, r)
		rs.add(rs.scoped(rule{chain: chainPrerouting, tcp: true, dport: l.Port,
			setMark: relayMark, verdict: verdictRedirect, redirectPort: r.Port()}, "from", p.from)...)
		rs.add(rs.scoped(rule{chain: chainInput, tcp: true, dport: l.Port, state: stateEstablished,
			markNot: relayMark, verdict: verdictTCPReset}, "from", p.from)...)
	}
	return nil
}

func (p *delay) stop(sys system) error {
	var errs []error
	for _, l := range p.netem {
		if err := sys.deleteRoot(l); err != nil {
			errs = append(errs, fmt.Errorf("delay: %w", err))
		}
	}
	for _, r := range p.relays {
		if err := r.Close(); err != nil {
			errs = append(errs, fmt.Errorf("delay: relay on port %d: %w", r.Port(), err))
		}
	}
	p.netem, p.relays = nil, nil
	return errors.Join(errs...)
}
