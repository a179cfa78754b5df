// The rate part: tbf (or htb with filters, for some peers) on what the target sends; an nftables policer on what it receives.

package agent

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/chainctl/chainctl/internal/netfault/spec"
)

// Shaping parameters, in bytes. The burst is 10 ms of the rate (one
// tick at HZ=100), at least minBurst so a full-size TSO segment or a few
// MTU frames pass without waiting; the queue holds 100 ms of the rate on
// top, at least minQueue.
const (
	minBurst = 16 << 10
	minQueue = 64 << 10
)

// Mechanisms of the rate part.
const (
	mechTBF    = "tbf"
	mechHTB    = "htb"
	mechPolice = "nftables-police"
)

// shaping is the burst and queue limit (bytes) for a rate in bytes per
// second.
func shaping(bytesPerSec uint64) (burst, limit uint32) {
	b := max(bytesPerSec/100, minBurst)
	l := b + max(bytesPerSec/10, minQueue)
	return uint32(min(b, 1<<30)), uint32(min(l, 1<<31))
}

// rate limits the target's traffic to bits per second.
type rate struct {
	bits  uint64
	dir   spec.Direction
	from  []netip.Addr
	links []string // where start put a root qdisc
}

func (p *rate) key() string { return "rate" }

func (p *rate) start(sys system, rs *ruleset) (string, error) {
	bytes := max(p.bits/8, 1)
	burst, limit := shaping(bytes)
	if p.dir == spec.In {
		// A policer: over the rate, inbound packets are dropped and the
		// sender's TCP backs off. nftables' bucket holds one second of
		// the rate on top of the burst.
		r := rule{chain: chainInput, overBytes: bytes, burst: burst, verdict: verdictDrop}
		rs.add(rs.scoped(r, "from", p.from)...)
		return mechPolice, nil
	}
	links, err := sys.links()
	if err != nil {
		return "", fmt.Errorf("rate: %w", err)
	}
	if len(links) == 0 {
		return "", errors.New("rate: no interface is up besides loopback: nothing to shape")
	}
	mech := mechTBF
	if len(p.from) > 0 {
		mech = mechHTB
	}
	for _, l := range links {
		q := qdisc{link: l, kind: mech, rate: bytes, burst: burst, limit: limit, limited: p.from}
		if err := sys.addRoot(q); err != nil {
			return "", errors.Join(fmt.Errorf("rate: %w", err), p.stop(sys))
		}
		p.links = append(p.links, l)
	}
	return mech, nil
}

func (p *rate) stop(sys system) error {
	var errs []error
	for _, l := range p.links {
		if err := sys.deleteRoot(l); err != nil {
			errs = append(errs, fmt.Errorf("rate: %w", err))
		}
	}
	p.links = nil
	return errors.Join(errs...)
}
