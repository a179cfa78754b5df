// Tests of reading listening ports from /proc/net/tcp and tcp6.

package agent

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

const procTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 65534        0 1081 1 0000000000000000 100 0 0 10 0
   1: 0B00007F:9C41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1082 1 0000000000000000 100 0 0 10 0
   2: 020011AC:1F90 030011AC:D2F0 01 00000000:00000000 00:00000000 00000000 65534        0 1090 1 0000000000000000 20 4 30 10 -1
   3: 020011AC:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000 65534        0 1091 1 0000000000000000 100 0 0 10 0
`

const procTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 65534        0 1083 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1084 1 0000000000000000 100 0 0 10 0
   2: 000080FE00000000FF005450B6AD1DFE:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1085 1 0000000000000000 100 0 0 10 0
`

func TestParseProcNetTCP(t *testing.T) {
	v4, err := parseProcNetTCP(strings.NewReader(procTCP))
	if err != nil {
		t.Fatal(err)
	}
	v6, err := parseProcNetTCP(strings.NewReader(procTCP6))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(append(v4, v6...))
	want := "[{0.0.0.0 8080} {127.0.0.11 40001} {172.17.0.2 9000} {:: 8080} {::1 53} {fe80::5054:ff:fe1d:adb6 8081}]"
	if got != want {
		t.Errorf("listeners\n%s\nwant\n%s", got, want)
	}
	ports := servicePorts(append(v4, v6...), []uint16{8081})
	if got := fmt.Sprint(ports); got != "[{0.0.0.0 8080} {172.17.0.2 9000}]" {
		t.Errorf("service ports %s: want 8080 (all addresses) and 9000, not loopback, not skipped", got)
	}
}

func TestParseProcNetTCPRejectsGarbage(t *testing.T) {
	for _, line := range []string{"0: zz:1F90 0 0A", "0: 00000000 0 0A", "0: 0000:1F90 0 0A", "0: 00000000:XYZ 0 0A", "0: 00000000:1F90"} {
		if _, err := parseProcNetTCP(strings.NewReader("header\n" + line + "\n")); err == nil {
			t.Errorf("%q: no error", line)
		}
	}
}

// TestListenersSeesOurOwn reads the real files: a listener this test
// opens is there.
func TestListenersSeesOurOwn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ls, err := Listeners()
	if err != nil {
		t.Fatal(err)
	}
	want := Listener{netip.MustParseAddr("127.0.0.1"), uint16(ln.Addr().(*net.TCPAddr).Port)}
	if !slices.Contains(ls, want) {
		t.Errorf("%v not among %v", want, ls)
	}
}
