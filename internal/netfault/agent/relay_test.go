// Tests of the delay relay on loopback: accuracy, jitter and order, overhead, pipelining, clean closes.

package agent

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"slices"
	"syscall"
	"testing"
	"time"
)

// echoServer answers every connection with what it reads.
func echoServer(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return ln
}

// startRelay puts a relay in front of target.
func startRelay(t *testing.T, target string, d, jitter time.Duration) *Relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := NewRelay(ln, func() (net.Conn, error) { return net.Dial("tcp", target) }, d, jitter)
	go r.Serve()
	t.Cleanup(func() { r.Close() })
	return r
}

func relayAddr(r *Relay) string { return r.ln.Addr().String() }

// roundTrips times n 64-byte echoes on one kept-alive connection.
func roundTrips(t *testing.T, addr string, n int) []time.Duration {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg, got := bytes.Repeat([]byte("x"), 64), make([]byte, 64)
	out := make([]time.Duration, n)
	for i := range out {
		start := time.Now()
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatal(err)
		}
		out[i] = time.Since(start)
	}
	return out
}

// pct is the p-th percentile (0..100) of ds.
func pct(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(int(float64(len(s)-1)*p/100+0.5), len(s)-1)]
}

func TestRelayDelayIsAccurate(t *testing.T) {
	t.Parallel()
	echo := echoServer(t)
	const d = 40 * time.Millisecond
	direct := pct(roundTrips(t, echo.Addr().String(), 20), 50)
	rtts := roundTrips(t, relayAddr(startRelay(t, echo.Addr().String(), d, 0)), 50)
	p50, p99 := pct(rtts, 50)-direct, pct(rtts, 99)-direct
	t.Logf("delay %s: added p50 %s, p99 %s (direct round trip %s)", d, p50, p99, direct)
	if p50 < d-time.Millisecond || p50 > d+3*time.Millisecond {
		t.Errorf("added p50 %s, want %s within a few ms", p50, d)
	}
	if min := slices.Min(rtts); min < d {
		t.Errorf("a round trip took %s, less than the delay %s", min, d)
	}
}

func TestRelayJitterWidensSpreadAndKeepsOrder(t *testing.T) {
	t.Parallel()
	echo := echoServer(t)
	const d, j = 30 * time.Millisecond, 20 * time.Millisecond
	r := startRelay(t, echo.Addr().String(), d, j)
	rtts := roundTrips(t, relayAddr(r), 40)
	lo, hi := slices.Min(rtts), slices.Max(rtts)
	t.Logf("delay %s±%s: round trips %s to %s, p50 %s", d, j, lo, hi, pct(rtts, 50))
	if hi-lo < j {
		t.Errorf("spread %s, want at least %s with jitter %s", hi-lo, j, j)
	}
	// Never early; and late only by the machine's own delays, which on a
	// loaded 2-core CI machine can hold one round trip of 40 for 100 ms:
	// the upper bound is on the 90th percentile.
	if p90 := pct(rtts, 90); lo < d-j || p90 > d+j+10*time.Millisecond {
		t.Errorf("round trips from %s, p90 %s, want within %s±%s", lo, p90, d, j)
	}

	// Many small writes in a row get due times out of order: the stream
	// must still arrive in order.
	c, err := net.Dial("tcp", relayAddr(r))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 2000
	go func() {
		for i := range uint32(n) {
			c.Write(binary.BigEndian.AppendUint32(nil, i))
			if i%50 == 0 {
				time.Sleep(time.Millisecond) // separate chunks
			}
		}
	}()
	buf := make([]byte, 4*n)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	for i := range uint32(n) {
		if got := binary.BigEndian.Uint32(buf[4*i:]); got != i {
			t.Fatalf("word %d is %d: chunks overtook each other", i, got)
		}
	}
}

func TestRelayZeroDelayOverheadIsSmall(t *testing.T) {
	t.Parallel()
	echo := echoServer(t)
	direct := roundTrips(t, echo.Addr().String(), 300)
	relayed := roundTrips(t, relayAddr(startRelay(t, echo.Addr().String(), 0, 0)), 300)
	over := pct(relayed, 50) - pct(direct, 50)
	t.Logf("zero delay: round trip p50 %s relayed vs %s direct: overhead %s (p99 %s vs %s)",
		pct(relayed, 50), pct(direct, 50), over, pct(relayed, 99), pct(direct, 99))
	if over > time.Millisecond {
		t.Errorf("relay overhead %s at zero delay, want under 1ms", over)
	}
}

// sink counts what each connection sends, then answers the count.
func sink(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				n, _ := io.Copy(io.Discard, c)
				c.Write(binary.BigEndian.AppendUint64(nil, uint64(n)))
				c.Close()
			}()
		}
	}()
	return ln
}

// upload sends size bytes to addr, half-closes, and waits for the count.
func upload(t *testing.T, addr string, size int64) time.Duration {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if _, err := io.CopyN(c, zeros{}, size); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	var got [8]byte
	if _, err := io.ReadFull(c, got[:]); err != nil {
		t.Fatal(err)
	}
	if n := int64(binary.BigEndian.Uint64(got[:])); n != size {
		t.Fatalf("target got %d bytes, want %d", n, size)
	}
	return time.Since(start)
}

func TestRelayPipelinesLargeTransfers(t *testing.T) {
	t.Parallel()
	s := sink(t)
	const size = 64 << 20
	const d = 50 * time.Millisecond
	mbps := func(took time.Duration) float64 { return size / took.Seconds() / 1e6 }
	direct := upload(t, s.Addr().String(), size)
	zero := upload(t, relayAddr(startRelay(t, s.Addr().String(), 0, 0)), size)
	delayed := upload(t, relayAddr(startRelay(t, s.Addr().String(), d, 0)), size)
	t.Logf("64 MiB: direct %.0f MB/s, relay at 0 delay %.0f MB/s, relay at %s %.0f MB/s (%s)",
		mbps(direct), mbps(zero), d, mbps(delayed), delayed)
	// One chunk per delay would be 32 KiB per 50 ms: 100 s.
	if delayed > 3*time.Second {
		t.Errorf("64 MiB through a %s relay took %s: not pipelined", d, delayed)
	}
	if delayed < d {
		t.Errorf("took %s, less than the delay", delayed)
	}
}

func TestRelayClosesBothSides(t *testing.T) {
	t.Parallel()
	echo := echoServer(t)
	r := startRelay(t, echo.Addr().String(), 10*time.Millisecond, 0)

	// The caller half-closes: the echo server sees the end, closes, and
	// the caller reads the end after its echo.
	c, err := net.Dial("tcp", relayAddr(r))
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("bye"))
	c.(*net.TCPConn).CloseWrite()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "bye" {
		t.Fatalf("after half-close read %q, %v; want \"bye\" then the end", got, err)
	}
	c.Close()
	waitActive(t, r, 0)

	// Close ends live connections at once, the caller reads the end.
	c2, err := net.Dial("tcp", relayAddr(r))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.Write([]byte("x"))
	waitActive(t, r, 1)
	start := time.Now()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	c2.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.ReadAll(c2); err != nil && !isReset(err) {
		t.Errorf("after Close the caller read %v, want the end", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close took %s", took)
	}
	if _, err := net.DialTimeout("tcp", relayAddr(r), time.Second); err == nil {
		t.Error("the relay still accepts after Close")
	}
}

func TestRelayResetsWhenTargetRefuses(t *testing.T) {
	t.Parallel()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	r := startRelay(t, dead, 0, 0)
	c, err := net.Dial("tcp", relayAddr(r))
	if isReset(err) {
		return // reset before the dial returned
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !isReset(err) && !errors.Is(err, io.EOF) {
		t.Errorf("read %v, want a reset", err)
	}
}

func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }

// waitActive polls until the relay carries n connections.
func waitActive(t *testing.T, r *Relay, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for r.Active() != n {
		if time.Now().After(deadline) {
			t.Fatalf("relay carries %d connections, want %d", r.Active(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
