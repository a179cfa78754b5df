// The TCP ports the namespace listens on, read from /proc/net/tcp and /proc/net/tcp6.

package agent

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Listener is one listening TCP socket of the namespace.
type Listener struct {
	Addr netip.Addr // the address it is bound to (unspecified: all)
	Port uint16
}

// tcpListen is the state /proc/net/tcp writes for a listening socket.
const tcpListen = "0A"

// Listeners reads the namespace's listening TCP sockets. /proc/net is the
// network namespace of the reading process: in the helper, the target's.
func Listeners() ([]Listener, error) {
	var all []Listener
	for _, path := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(path)
		if os.IsNotExist(err) && path == "/proc/net/tcp6" {
			continue // IPv6 disabled in the kernel
		}
		if err != nil {
			return nil, fmt.Errorf("listening ports: %w", err)
		}
		ls, err := parseProcNetTCP(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("listening ports: %s: %w", path, err)
		}
		all = append(all, ls...)
	}
	return all, nil
}

// parseProcNetTCP reads the listening sockets of one /proc/net/tcp{,6} file.
func parseProcNetTCP(r io.Reader) ([]Listener, error) {
	var out []Listener
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if line == 1 || len(f) == 0 {
			continue // the header
		}
		if len(f) < 4 {
			return nil, fmt.Errorf("line %d: %d fields, want at least 4", line, len(f))
		}
		if f[3] != tcpListen {
			continue
		}
		l, err := parseHexAddrPort(f[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: local address %q: %w", line, f[1], err)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// parseHexAddrPort reads "0100007F:1F90": the address as the kernel's
// 32-bit words in host order, the port in hex.
func parseHexAddrPort(s string) (Listener, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return Listener{}, fmt.Errorf("no colon")
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return Listener{}, fmt.Errorf("port: %w", err)
	}
	raw, err := hex.DecodeString(a)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return Listener{}, fmt.Errorf("want 8 or 32 hex digits")
	}
	// Each 32-bit word of the address in memory was printed as a
	// host-order integer: put the integer back into memory.
	b := make([]byte, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(b[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(b)
	return Listener{Addr: addr.Unmap(), Port: uint16(port)}, nil
}

// servicePorts are the ports reachable from outside the namespace: one per
// port, listeners bound to loopback only (Docker's DNS on 127.0.0.11) left
// out, and skip (the relay's own ports) too. The bound address kept is the
// unspecified one when there are several.
func servicePorts(ls []Listener, skip []uint16) []Listener {
	byPort := map[uint16]Listener{}
	for _, l := range ls {
		if l.Addr.IsLoopback() || slices.Contains(skip, l.Port) {
			continue
		}
		if old, ok := byPort[l.Port]; ok && old.Addr.IsUnspecified() {
			continue
		}
		byPort[l.Port] = l
	}
	out := make([]Listener, 0, len(byPort))
	for _, l := range byPort {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b Listener) int { return int(a.Port) - int(b.Port) })
	return out
}
