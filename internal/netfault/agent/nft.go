// Compiling a ruleset into nftables expressions, and committing, listing and deleting chainctl's tables.

package agent

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// chainSpec is how each chain hooks in.
var chainSpec = map[chainName]struct {
	typ  nftables.ChainType
	hook *nftables.ChainHook
	prio *nftables.ChainPriority
}{
	chainPrerouting: {nftables.ChainTypeNAT, nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest},
	chainInput:      {nftables.ChainTypeFilter, nftables.ChainHookInput, nftables.ChainPriorityFilter},
	chainOutput:     {nftables.ChainTypeFilter, nftables.ChainHookOutput, nftables.ChainPriorityFilter},
}

// commitTable creates the table, its sets, chains and rules in one
// transaction: all of it is in force, or none. It fails when the table
// exists already.
func commitTable(rs *ruleset) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	t := c.CreateTable(&nftables.Table{Name: rs.table, Family: nftables.TableFamilyINet})
	sets := map[string]*nftables.Set{}
	for _, s := range rs.sets {
		set := &nftables.Set{Table: t, Name: s.name, KeyType: nftables.TypeIPAddr}
		if s.fam == ipv6 {
			set.KeyType = nftables.TypeIP6Addr
		}
		elems := make([]nftables.SetElement, len(s.addrs))
		for i, a := range s.addrs {
			elems[i] = nftables.SetElement{Key: a.AsSlice()}
		}
		if err := c.AddSet(set, elems); err != nil {
			return fmt.Errorf("table inet %s: set %s: %w", rs.table, s.name, err)
		}
		sets[s.name] = set
	}
	accept := nftables.ChainPolicyAccept
	for _, name := range rs.chains() {
		sp := chainSpec[name]
		ch := c.AddChain(&nftables.Chain{Name: string(name), Table: t, Type: sp.typ,
			Hooknum: sp.hook, Priority: sp.prio, Policy: &accept})
		for _, r := range rs.chainRules(name) {
			ex, err := r.exprs(sets)
			if err != nil {
				return fmt.Errorf("table inet %s: chain %s: %q: %w", rs.table, name, r, err)
			}
			c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: ex})
		}
	}
	if err := c.Flush(); err != nil {
		if errors.Is(err, syscall.EEXIST) {
			return fmt.Errorf("table inet %s exists already: another helper is active in this namespace, or one died without cleaning up (netfault clear removes it)", rs.table)
		}
		return fmt.Errorf("table inet %s: %w", rs.table, err)
	}
	return nil
}

// deleteTable removes a table of family inet; one that is gone is fine.
func deleteTable(name string) error {
	return deleteTables([]*nftables.Table{{Name: name, Family: nftables.TableFamilyINet}})
}

func deleteTables(ts []*nftables.Table) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	var errs []error
	for _, t := range ts {
		c.DelTable(t)
		if err := c.Flush(); err != nil && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("delete table %s: %w", t.Name, err))
		}
	}
	return errors.Join(errs...)
}

// TableState is one of chainctl's tables as list shows it.
type TableState struct {
	Name   string         `json:"name"`
	Family string         `json:"family"`
	Chains map[string]int `json:"chains"` // chain name → number of rules
}

// chainctlTables are the namespace's tables whose names start with
// TablePrefix, of any family.
func chainctlTables(c *nftables.Conn) ([]*nftables.Table, error) {
	all, err := c.ListTables()
	if err != nil {
		return nil, fmt.Errorf("list nftables tables: %w", err)
	}
	var out []*nftables.Table
	for _, t := range all {
		if strings.HasPrefix(t.Name, TablePrefix) {
			out = append(out, t)
		}
	}
	return out, nil
}

// listTables describes chainctl's tables, with their chains and rule counts.
func listTables() ([]TableState, error) {
	c, err := nftables.New()
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	ts, err := chainctlTables(c)
	if err != nil {
		return nil, err
	}
	chains, err := c.ListChains()
	if err != nil {
		return nil, fmt.Errorf("list nftables chains: %w", err)
	}
	out := []TableState{}
	for _, t := range ts {
		st := TableState{Name: t.Name, Family: familyName(t.Family), Chains: map[string]int{}}
		for _, ch := range chains {
			if ch.Table.Name != t.Name || ch.Table.Family != t.Family {
				continue
			}
			rules, err := c.GetRules(t, ch)
			if err != nil {
				return nil, fmt.Errorf("table %s: chain %s: list rules: %w", t.Name, ch.Name, err)
			}
			st.Chains[ch.Name] = len(rules)
		}
		out = append(out, st)
	}
	return out, nil
}

func familyName(f nftables.TableFamily) string {
	switch f {
	case nftables.TableFamilyINet:
		return "inet"
	case nftables.TableFamilyIPv4:
		return "ip"
	case nftables.TableFamilyIPv6:
		return "ip6"
	}
	return fmt.Sprintf("family%d", f)
}

// exprs compiles the rule, in String's order.
func (r rule) exprs(sets map[string]*nftables.Set) ([]expr.Any, error) {
	var e []expr.Any
	if r.iface != "" {
		key := expr.MetaKeyIIFNAME
		if !r.chain.inbound() {
			key = expr.MetaKeyOIFNAME
		}
		name := make([]byte, unix.IFNAMSIZ)
		copy(name, r.iface)
		e = append(e, &expr.Meta{Key: key, Register: 1}, cmp(expr.CmpOpEq, name))
	}
	if r.set != "" {
		set, ok := sets[r.set]
		if !ok {
			return nil, fmt.Errorf("set %s not declared", r.set)
		}
		e = append(e, r.addrExprs(set)...)
	}
	if r.tcp {
		e = append(e, &expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}, cmp(expr.CmpOpEq, []byte{unix.IPPROTO_TCP}))
		if r.dport != 0 {
			e = append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
				cmp(expr.CmpOpEq, binaryutil.BigEndian.PutUint16(r.dport)))
		}
	}
	if r.state != anyState {
		bit := expr.CtStateBitNEW
		if r.state == stateEstablished {
			bit = expr.CtStateBitESTABLISHED
		}
		e = append(e, &expr.Ct{Key: expr.CtKeySTATE, Register: 1},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
				Mask: binaryutil.NativeEndian.PutUint32(bit), Xor: make([]byte, 4)},
			cmp(expr.CmpOpNeq, make([]byte, 4)))
	}
	if r.original {
		e = append(e, &expr.Ct{Key: expr.CtKeyDIRECTION, Register: 1},
			cmp(expr.CmpOpEq, []byte{0})) // IP_CT_DIR_ORIGINAL
	}
	if r.markNot != 0 {
		e = append(e, &expr.Ct{Key: expr.CtKeyMARK, Register: 1},
			cmp(expr.CmpOpNeq, binaryutil.NativeEndian.PutUint32(r.markNot)))
	}
	if r.chance != 0 {
		// numgen writes a host-order integer; cmp compares bytes, so
		// turn it big-endian first (as nft itself does).
		e = append(e, &expr.Numgen{Register: 1, Modulus: lossModulus, Type: unix.NFT_NG_RANDOM},
			&expr.Byteorder{SourceRegister: 1, DestRegister: 1, Op: expr.ByteorderHton, Len: 4, Size: 4},
			cmp(expr.CmpOpLt, binaryutil.BigEndian.PutUint32(r.chance)))
	}
	if r.overBytes != 0 {
		e = append(e, &expr.Limit{Type: expr.LimitTypePktBytes, Rate: r.overBytes, Over: true,
			Unit: expr.LimitTimeSecond, Burst: r.burst})
	}
	if r.setMark != 0 {
		e = append(e, &expr.Immediate{Register: 1, Data: binaryutil.NativeEndian.PutUint32(r.setMark)},
			&expr.Ct{Key: expr.CtKeyMARK, Register: 1, SourceRegister: true})
	}
	v, err := r.verdictExprs()
	return append(e, v...), err
}

// addrExprs match the packet's peer address against set.
func (r rule) addrExprs(set *nftables.Set) []expr.Any {
	proto, off, n := byte(unix.NFPROTO_IPV4), uint32(12), uint32(4) // ip saddr
	if r.fam == ipv6 {
		proto, off, n = unix.NFPROTO_IPV6, 8, 16 // ip6 saddr
	}
	if !r.chain.inbound() {
		off += n // daddr follows saddr in both headers
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1}, cmp(expr.CmpOpEq, []byte{proto}),
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: n},
		&expr.Lookup{SourceRegister: 1, SetName: set.Name, SetID: set.ID},
	}
}

func (r rule) verdictExprs() ([]expr.Any, error) {
	switch r.verdict {
	case verdictAccept:
		return []expr.Any{&expr.Verdict{Kind: expr.VerdictAccept}}, nil
	case verdictDrop:
		return []expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}}, nil
	case verdictTCPReset:
		return []expr.Any{&expr.Reject{Type: unix.NFT_REJECT_TCP_RST}}, nil
	case verdictPortUnreachable:
		return []expr.Any{&expr.Reject{Type: unix.NFT_REJECT_ICMPX_UNREACH, Code: unix.NFT_REJECT_ICMPX_PORT_UNREACH}}, nil
	case verdictRedirect:
		port := make([]byte, 2)
		binary.BigEndian.PutUint16(port, r.redirectPort)
		return []expr.Any{&expr.Immediate{Register: 1, Data: port}, &expr.Redir{RegisterProtoMin: 1}}, nil
	}
	return nil, fmt.Errorf("no verdict")
}

func cmp(op expr.CmpOp, data []byte) *expr.Cmp {
	return &expr.Cmp{Op: op, Register: 1, Data: data}
}

// clearTables deletes every chainctl table, of any family.
func clearTables() error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	ts, err := chainctlTables(c)
	if err != nil {
		return err
	}
	return deleteTables(ts)
}
