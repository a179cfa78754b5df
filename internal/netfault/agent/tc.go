// Root qdiscs on the namespace's interfaces: tbf, htb with u32 filters, netem; all under chainctl's handle.

package agent

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// rootHandleStr is the handle as tc writes it.
const rootHandleStr = "c4a1:"

// QdiscMajor is the major handle of every root qdisc the helper adds
// (c4a1:): clear removes root qdiscs with this handle and no others.
const QdiscMajor = 0xc4a1

var rootHandle = netlink.MakeHandle(QdiscMajor, 0)

// The htb classes: the limited one, chosen by u32 filters on the
// destination, and the default one, unlimited.
var (
	limitedClass   = netlink.MakeHandle(QdiscMajor, 1)
	unlimitedClass = netlink.MakeHandle(QdiscMajor, 2)
)

// unlimitedBits is the rate of htb's default class: unlimited in practice,
// and 1.25 GB/s still fits tc's 32-bit rate fields.
const unlimitedBits = 10e9

// qdisc is a root qdisc as data.
type qdisc struct {
	link  string
	kind  string // "tbf", "htb" or "netem"
	rate  uint64 // bytes per second (tbf, htb)
	burst uint32 // bytes
	limit uint32 // bytes waiting for tokens (tbf); packets (netem)
	// limited are the destinations htb's limited class takes.
	limited       []netip.Addr
	delay, jitter time.Duration // netem
}

func (q qdisc) String() string {
	switch q.kind {
	case "netem":
		return fmt.Sprintf("%s: netem delay %s jitter %s limit %d", q.link, q.delay, q.jitter, q.limit)
	case "htb":
		return fmt.Sprintf("%s: htb rate %dB/s burst %dB to %v", q.link, q.rate, q.burst, q.limited)
	}
	return fmt.Sprintf("%s: %s rate %dB/s burst %dB limit %dB", q.link, q.kind, q.rate, q.burst, q.limit)
}

// upLinks are the namespace's interfaces that are up, loopback aside
// (normally eth0).
func upLinks() ([]string, error) {
	links, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	var out []string
	for _, l := range links {
		a := l.Attrs()
		if a.Flags&net.FlagLoopback != 0 || a.Flags&net.FlagUp == 0 {
			continue
		}
		out = append(out, a.Name)
	}
	return out, nil
}

// rootQdisc is the link's root qdisc, nil when it has none.
func rootQdisc(link netlink.Link) (netlink.Qdisc, error) {
	qs, err := netlink.QdiscList(link)
	if err != nil {
		return nil, fmt.Errorf("%s: list qdiscs: %w", link.Attrs().Name, err)
	}
	for _, q := range qs {
		if q.Attrs().Parent == netlink.HANDLE_ROOT {
			return q, nil
		}
	}
	return nil, nil
}

// addRoot puts q at the root of its link, replacing the kernel's default
// (noqueue on a veth). It refuses a root qdisc someone set on purpose
// (a handle other than 0:), and one of chainctl's own.
func addRoot(q qdisc) error {
	link, err := netlink.LinkByName(q.link)
	if err != nil {
		return fmt.Errorf("interface %s: %w", q.link, err)
	}
	old, err := rootQdisc(link)
	if err != nil {
		return err
	}
	if old != nil && old.Attrs().Handle == rootHandle {
		return fmt.Errorf("%s: chainctl's root qdisc is there already: another helper is active, or one died without cleaning up (netfault clear removes it)", q.link)
	}
	if old != nil && old.Attrs().Handle != 0 {
		return fmt.Errorf("%s: has a root qdisc %s %s that is not chainctl's: not replacing it", q.link, old.Type(), netlink.HandleStr(old.Attrs().Handle))
	}
	attrs := netlink.QdiscAttrs{LinkIndex: link.Attrs().Index, Handle: rootHandle, Parent: netlink.HANDLE_ROOT}
	switch q.kind {
	case "tbf":
		err = netlink.QdiscReplace(&netlink.Tbf{QdiscAttrs: attrs, Rate: q.rate, Limit: q.limit,
			Buffer: netlink.Xmittime(q.rate, q.burst)})
	case "netem":
		err = netlink.QdiscReplace(netlink.NewNetem(attrs, netlink.NetemQdiscAttrs{
			Latency: uint32(q.delay.Microseconds()), Jitter: uint32(q.jitter.Microseconds()), Limit: q.limit}))
	case "htb":
		err = addHTB(link, attrs, q)
	default:
		err = fmt.Errorf("unknown kind")
	}
	if err != nil {
		return fmt.Errorf("%s: root qdisc %s %s: %w", q.link, q.kind, rootHandleStr, err)
	}
	return nil
}

// addHTB is htb at the root, defaulting to the unlimited class, with a
// u32 filter per limited destination.
func addHTB(link netlink.Link, attrs netlink.QdiscAttrs, q qdisc) error {
	root := netlink.NewHtb(attrs)
	root.Defcls = unlimitedClass & 0xffff
	if err := netlink.QdiscReplace(root); err != nil {
		return err
	}
	fail := func(err error) error { return errors.Join(err, netlink.QdiscDel(root)) }
	classes := []struct {
		id   uint32
		bits uint64
		buf  uint32
	}{{limitedClass, q.rate * 8, q.burst}, {unlimitedClass, unlimitedBits, 0}}
	for _, c := range classes {
		cl := netlink.NewHtbClass(netlink.ClassAttrs{LinkIndex: attrs.LinkIndex, Parent: rootHandle, Handle: c.id},
			netlink.HtbClassAttrs{Rate: c.bits, Ceil: c.bits, Buffer: c.buf, Cbuffer: c.buf, Quantum: 60000})
		if err := netlink.ClassReplace(cl); err != nil {
			return fail(fmt.Errorf("class %s: %w", netlink.HandleStr(c.id), err))
		}
	}
	for _, a := range q.limited {
		if err := netlink.FilterReplace(dstFilter(attrs.LinkIndex, a)); err != nil {
			return fail(fmt.Errorf("u32 filter dst %s: %w", a, err))
		}
	}
	return nil
}

// dstFilter sends packets to a into the limited class.
func dstFilter(linkIndex int, a netip.Addr) *netlink.U32 {
	// Filters of one priority share a protocol: IPv4 at 1, IPv6 at 2.
	proto, off, prio := uint16(unix.ETH_P_IP), int32(16), uint16(1) // IPv4 destination
	if a.Is6() {
		proto, off, prio = unix.ETH_P_IPV6, 24, 2 // IPv6 destination
	}
	var keys []netlink.TcU32Key
	b := a.AsSlice()
	for i := 0; i < len(b); i += 4 {
		v := uint32(b[i])<<24 | uint32(b[i+1])<<16 | uint32(b[i+2])<<8 | uint32(b[i+3])
		keys = append(keys, netlink.TcU32Key{Mask: 0xffffffff, Val: v, Off: off + int32(i)})
	}
	return &netlink.U32{
		FilterAttrs: netlink.FilterAttrs{LinkIndex: linkIndex, Parent: rootHandle, Priority: prio, Protocol: proto},
		ClassId:     limitedClass,
		Sel:         &netlink.TcU32Sel{Flags: netlink.TC_U32_TERMINAL, Keys: keys},
	}
}

// deleteRoot removes the link's root qdisc if it is chainctl's (its
// classes and filters go with it). A link or qdisc that is gone is fine.
func deleteRoot(name string) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return fmt.Errorf("interface %s: %w", name, err)
	}
	q, err := rootQdisc(link)
	if err != nil || q == nil || q.Attrs().Handle != rootHandle {
		return err
	}
	if err := netlink.QdiscDel(q); err != nil && !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("%s: delete root qdisc %s %s: %w", name, q.Type(), rootHandleStr, err)
	}
	return nil
}

// QdiscState is one of chainctl's root qdiscs as list shows it.
type QdiscState struct {
	Link   string `json:"link"`
	Kind   string `json:"kind"`
	Handle string `json:"handle"`
}

// listQdiscs are chainctl's root qdiscs on every interface.
func listQdiscs() ([]QdiscState, error) {
	links, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	out := []QdiscState{}
	for _, l := range links {
		q, err := rootQdisc(l)
		if err != nil {
			return nil, err
		}
		if q != nil && q.Attrs().Handle == rootHandle {
			out = append(out, QdiscState{Link: l.Attrs().Name, Kind: q.Type(), Handle: rootHandleStr})
		}
	}
	return out, nil
}

// netemMissing reports the kernel's answer when sch_netem is not there:
// "Specified qdisc kind is unknown", ENOENT.
func netemMissing(err error) bool {
	return errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EOPNOTSUPP)
}
