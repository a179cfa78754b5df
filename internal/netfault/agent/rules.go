// The nftables rules the parts add, as data: rendered in nft's syntax for tests and listings, compiled in nft.go.

package agent

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Table names: a fault and a partition live in two tables, so one target
// can carry both (from two helpers). Clear removes every table with the
// prefix.
const (
	TablePrefix    = "chainctl"
	FaultTable     = "chainctl_fault"
	PartitionTable = "chainctl_partition"
)

// relayMark marks (ct mark) the connections redirected to the delay relay.
const relayMark = 0xc4

// lossModulus is the range of the random number a loss rule draws: a
// packet is dropped when the draw is below loss × lossModulus.
const lossModulus = 10000

// chainName is one of the three chains a table can have.
type chainName string

// The chains, in the order they are created: nat prerouting for the
// relay's redirects, filter input and output for everything else.
const (
	chainPrerouting chainName = "prerouting"
	chainInput      chainName = "input"
	chainOutput     chainName = "output"
)

var chainOrder = []chainName{chainPrerouting, chainInput, chainOutput}

// inbound chains match the peer as the source address, outbound as the
// destination.
func (c chainName) inbound() bool { return c != chainOutput }

// family restricts a rule to IPv4 or IPv6 (needed to match addresses).
type family uint8

const (
	anyFamily family = iota
	ipv4
	ipv6
)

// ctState is the conntrack state a rule matches, if any.
type ctState uint8

const (
	anyState ctState = iota
	stateNew
	stateEstablished
)

// verdict is what a matching rule does.
type verdict uint8

const (
	verdictAccept verdict = iota + 1
	verdictDrop
	verdictTCPReset        // reject with tcp reset
	verdictPortUnreachable // reject with icmpx port-unreachable
	verdictRedirect        // redirect to :redirectPort
)

// rule is one nftables rule: every non-zero field is a match or a
// statement, in the order String writes them.
type rule struct {
	chain        chainName
	iface        string // iifname (inbound) or oifname (outbound) equals
	fam          family
	set          string // a named address set: saddr inbound, daddr outbound
	tcp          bool   // meta l4proto tcp
	dport        uint16 // tcp dport (with tcp)
	state        ctState
	original     bool   // ct direction original: the connection was opened from this side
	markNot      uint32 // ct mark != markNot
	chance       uint32 // numgen random mod lossModulus < chance
	overBytes    uint64 // limit rate over overBytes bytes/second
	burst        uint32 // the limit's burst, bytes
	setMark      uint32 // ct mark set setMark
	verdict      verdict
	redirectPort uint16
}

// String writes the rule as `nft list ruleset` would (near enough).
func (r rule) String() string {
	var w []string
	if r.iface != "" {
		key := "iifname"
		if !r.chain.inbound() {
			key = "oifname"
		}
		w = append(w, fmt.Sprintf("%s %q", key, r.iface))
	}
	if r.set != "" {
		proto, dir := "ip", "saddr"
		if r.fam == ipv6 {
			proto = "ip6"
		}
		if !r.chain.inbound() {
			dir = "daddr"
		}
		w = append(w, fmt.Sprintf("%s %s @%s", proto, dir, r.set))
	}
	switch {
	case r.tcp && r.dport != 0:
		w = append(w, fmt.Sprintf("tcp dport %d", r.dport))
	case r.tcp:
		w = append(w, "meta l4proto tcp")
	}
	switch r.state {
	case stateNew:
		w = append(w, "ct state new")
	case stateEstablished:
		w = append(w, "ct state established")
	}
	if r.original {
		w = append(w, "ct direction original")
	}
	if r.markNot != 0 {
		w = append(w, fmt.Sprintf("ct mark != %#x", r.markNot))
	}
	if r.chance != 0 {
		w = append(w, fmt.Sprintf("numgen random mod %d < %d", lossModulus, r.chance))
	}
	if r.overBytes != 0 {
		w = append(w, fmt.Sprintf("limit rate over %d bytes/second burst %d bytes", r.overBytes, r.burst))
	}
	if r.setMark != 0 {
		w = append(w, fmt.Sprintf("ct mark set %#x", r.setMark))
	}
	w = append(w, r.verdict.String(r.redirectPort))
	return strings.Join(w, " ")
}

func (v verdict) String(port uint16) string {
	switch v {
	case verdictAccept:
		return "accept"
	case verdictDrop:
		return "drop"
	case verdictTCPReset:
		return "reject with tcp reset"
	case verdictPortUnreachable:
		return "reject with icmpx port-unreachable"
	case verdictRedirect:
		return fmt.Sprintf("redirect to :%d", port)
	}
	return fmt.Sprintf("verdict(%d)", v)
}

// addrSet is a named set of peer addresses of one family.
type addrSet struct {
	name  string
	fam   family
	addrs []netip.Addr
}

// ruleset is one table: its sets and its rules, in order.
type ruleset struct {
	table string
	sets  []addrSet
	rules []rule
}

func newRuleset(table string) *ruleset { return &ruleset{table: table} }

// add appends rules.
func (rs *ruleset) add(rules ...rule) { rs.rules = append(rs.rules, rules...) }

// scoped is r limited to the peers in addrs (all peers when addrs is
// empty): one rule per address family, each looking up the set
// <name>4 or <name>6, which it declares.
func (rs *ruleset) scoped(r rule, name string, addrs []netip.Addr) []rule {
	if len(addrs) == 0 {
		return []rule{r}
	}
	var v4, v6 []netip.Addr
	for _, a := range addrs {
		if a = a.Unmap(); a.Is4() {
			v4 = append(v4, a)
		} else {
			v6 = append(v6, a)
		}
	}
	var out []rule
	for _, s := range []addrSet{{name + "4", ipv4, v4}, {name + "6", ipv6, v6}} {
		if len(s.addrs) == 0 {
			continue
		}
		rs.declare(s)
		r := r
		r.fam, r.set = s.fam, s.name
		out = append(out, r)
	}
	return out
}

// declare adds a set once.
func (rs *ruleset) declare(s addrSet) {
	if !slices.ContainsFunc(rs.sets, func(o addrSet) bool { return o.name == s.name }) {
		rs.sets = append(rs.sets, s)
	}
}

// empty reports a table without rules: nothing to commit.
func (rs *ruleset) empty() bool { return len(rs.rules) == 0 }

// chains are the chains the rules use, in creation order.
func (rs *ruleset) chains() []chainName {
	var out []chainName
	for _, c := range chainOrder {
		if slices.ContainsFunc(rs.rules, func(r rule) bool { return r.chain == c }) {
			out = append(out, c)
		}
	}
	return out
}

// chainRules are one chain's rules, loopback accepted first: the
// healthcheck probes localhost and Docker's DNS is on 127.0.0.11, and
// the relay reaches the target over loopback.
func (rs *ruleset) chainRules(c chainName) []rule {
	out := []rule{{chain: c, iface: "lo", verdict: verdictAccept}}
	for _, r := range rs.rules {
		if r.chain == c {
			out = append(out, r)
		}
	}
	return out
}

// Lines is the table as text: one "chain: rule" line per rule.
func (rs *ruleset) Lines() []string {
	var out []string
	for _, s := range rs.sets {
		out = append(out, fmt.Sprintf("set %s %v", s.name, s.addrs))
	}
	for _, c := range rs.chains() {
		for _, r := range rs.chainRules(c) {
			out = append(out, string(c)+": "+r.String())
		}
	}
	return out
}
