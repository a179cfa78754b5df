// The parts that are nftables rules only: loss, blackhole, reset and partition.

package agent

import (
	"math"
	"net/netip"

	"github.com/chainctl/chainctl/internal/netfault/spec"
)

// part is one piece of a job (toxiproxy's toxic): it knows what it adds
// and how to take it away. The rules it adds go with the table.
type part interface {
	// key names the part in the ready line's mechanisms: delay, rate, drop.
	key() string
	// start puts in force what lives outside nftables (a qdisc, a relay),
	// adds the part's rules to rs, and says which mechanism it used.
	start(sys system, rs *ruleset) (mechanism string, err error)
	// stop undoes start.
	stop(sys system) error
}

// mechNFT is the mechanism of the rule-only parts.
const mechNFT = "nftables"

// chainsFor are the filter chains a direction acts in.
func chainsFor(d spec.Direction) []chainName {
	switch d {
	case spec.In:
		return []chainName{chainInput}
	case spec.Out:
		return []chainName{chainOutput}
	}
	return []chainName{chainInput, chainOutput}
}

// ruleOnly adds the same rules in each chain of a direction, scoped to
// from: the shape loss, blackhole and reset share.
type ruleOnly struct {
	dir   spec.Direction
	from  []netip.Addr
	rules []rule // chain unset
	// outNew limits the output chain's rules to new flows (the target's
	// own connects), so that what a reject in the input chain sends back
	// (a reset, an icmp error: ct state related) passes.
	outNew bool
}

func (p ruleOnly) key() string       { return "drop" }
func (p ruleOnly) stop(system) error { return nil }
func (p ruleOnly) start(_ system, rs *ruleset) (string, error) {
	for _, c := range chainsFor(p.dir) {
		for _, r := range p.rules {
			r.chain = c
			if p.outNew && c == chainOutput {
				r.state = stateNew
			}
			rs.add(rs.scoped(r, "from", p.from)...)
		}
	}
	return mechNFT, nil
}

// loss drops each packet with probability share.
func loss(share float64, dir spec.Direction, from []netip.Addr) part {
	chance := uint32(math.Round(share * lossModulus))
	if chance == 0 {
		chance = 1 // asked for some loss: at least 0.01%
	}
	r := rule{chance: chance, verdict: verdictDrop}
	if chance >= lossModulus {
		r.chance = 0 // 100%: every packet, no draw
	}
	return ruleOnly{dir: dir, from: from, rules: []rule{r}}
}

// blackhole drops everything: TCP, UDP, ICMP.
func blackhole(dir spec.Direction, from []netip.Addr) part {
	return ruleOnly{dir: dir, from: from, rules: []rule{{verdict: verdictDrop}}}
}

// reset refuses: TCP with a reset (callers read "connection refused"),
// everything else with icmp port unreachable. Inbound every packet is
// refused; outbound the target's new flows (its own connects).
func reset(dir spec.Direction, from []netip.Addr) part {
	return ruleOnly{dir: dir, from: from, outNew: true,
		rules: []rule{{tcp: true, verdict: verdictTCPReset}, {verdict: verdictPortUnreachable}}}
}

// partition cuts the target off from block: both ways, or with oneWay
// only the connections the target opens, those it had open before
// included (every packet it sends in a connection's original direction);
// its answers on connections the others open pass.
type partition struct {
	block  []netip.Addr
	oneWay bool
}

func (p partition) key() string       { return "drop" }
func (p partition) stop(system) error { return nil }
func (p partition) start(_ system, rs *ruleset) (string, error) {
	if p.oneWay {
		rs.add(rs.scoped(rule{chain: chainOutput, original: true, verdict: verdictDrop}, "block", p.block)...)
		return mechNFT, nil
	}
	rs.add(rs.scoped(rule{chain: chainInput, verdict: verdictDrop}, "block", p.block)...)
	rs.add(rs.scoped(rule{chain: chainOutput, verdict: verdictDrop}, "block", p.block)...)
	return mechNFT, nil
}
