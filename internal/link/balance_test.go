// Tests of the address cache against a fake DNS: revalidation, one lookup in flight, gone names, dead replicas, paused hops.

package link

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeDNS is a resolver whose names a test changes; it counts lookups and
// the most that ran at once.
type fakeDNS struct {
	mu       sync.Mutex
	names    map[string][]net.IP
	lookups  int
	inflight int
	most     int
	gate     chan struct{} // when set, each lookup waits for it
}

func newFakeDNS() *fakeDNS { return &fakeDNS{names: map[string][]net.IP{}} }

func (f *fakeDNS) LookupIP(ctx context.Context, network, host string) ([]net.IP, error) {
	f.mu.Lock()
	f.lookups++
	f.inflight++
	f.most = max(f.most, f.inflight)
	gate := f.gate
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
	}()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	ips, ok := f.names[host]
	f.mu.Unlock()
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return ips, nil
}

// set makes host resolve to ips; none removes it.
func (f *fakeDNS) set(host string, ips ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(ips) == 0 {
		delete(f.names, host)
		return
	}
	f.names[host] = nil
	for _, ip := range ips {
		f.names[host] = append(f.names[host], net.ParseIP(ip))
	}
}

func (f *fakeDNS) count() (lookups, most int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lookups, f.most
}

// switchable is a link leaf that can be made to hang (a paused or dead
// hop whose packets go nowhere).
type switchable struct {
	h    http.Handler
	hang atomic.Bool
}

func (s *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.hang.Load() {
		<-r.Context().Done()
		return
	}
	s.h.ServeHTTP(w, r)
}

// replicas starts one leaf named name on each of ips (loopback
// addresses), all on the same port, as a DNS alias's replicas are.
func replicas(t *testing.T, name string, ips ...string) (port string, leaves []*switchable, srvs []*httptest.Server) {
	t.Helper()
	for attempt := 0; attempt < 20 && len(srvs) < len(ips); attempt++ {
		for _, s := range srvs {
			s.Close()
		}
		srvs, leaves, port = nil, nil, "0"
		for i, ip := range ips {
			l, err := net.Listen("tcp", net.JoinHostPort(ip, port))
			if err != nil {
				break // that port is taken on this address: try another
			}
			_, port, _ = net.SplitHostPort(l.Addr().String())
			leaf := &switchable{h: New(Config{Name: name, Instance: name + "-" + string(rune('1'+i)), Version: "test", Timeout: time.Second, MaxHops: 16, Listen: ":0"}, io.Discard).Handler()}
			srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: leaf}}
			srv.Start()
			srvs, leaves = append(srvs, srv), append(leaves, leaf)
		}
	}
	if len(srvs) < len(ips) {
		t.Fatalf("could not listen on %v with one port", ips)
	}
	for _, s := range srvs {
		t.Cleanup(s.Close)
	}
	return port, leaves, srvs
}

// entry starts a link that calls next through dns; every is how often it
// revalidates a name (an hour: the cache stays as the first call left it).
func entry(t *testing.T, dns *fakeDNS, timeout, every time.Duration, next ...string) (string, *Service) {
	t.Helper()
	svc := newService(testConfig("a", timeout, next...), io.Discard, dns)
	for _, up := range svc.next {
		up.every = every
	}
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	return srv.URL, svc
}

func TestCachedAddressesAreRevalidatedNotLookedUpPerCall(t *testing.T) {
	dns := newFakeDNS()
	dns.set("c.test", "127.0.0.2")
	port, _, _ := replicas(t, "c", "127.0.0.2")
	a, _ := entry(t, dns, time.Second, revalidateEvery, "http://c.test:"+port)
	start := time.Now()
	const calls = 200
	for i := 0; i < calls; i++ {
		if tree, status := getTree(t, a); status != 200 {
			t.Fatalf("call %d: %d %s", i, status, Path(tree))
		}
	}
	took := time.Since(start)
	lookups, most := dns.count()
	if limit := 2 + int(took/revalidateEvery); lookups > limit || most > 1 {
		t.Errorf("%d calls in %s made %d lookups (limit %d), %d at once", calls, took, lookups, limit, most)
	}
}

func TestOneLookupInFlightPerName(t *testing.T) {
	dns := newFakeDNS()
	dns.set("c.test", "127.0.0.2")
	dns.gate = make(chan struct{})
	port, _, _ := replicas(t, "c", "127.0.0.2")
	// every is longer than the wait below: a lookup younger than every is
	// joined, never doubled.
	a, _ := entry(t, dns, 2*time.Second, time.Second, "http://c.test:"+port)
	var wg sync.WaitGroup
	statuses := make([]int, 10)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, statuses[i] = getTree(t, a)
		}()
	}
	time.Sleep(100 * time.Millisecond) // the calls queue behind the gated lookup
	close(dns.gate)
	wg.Wait()
	lookups, most := dns.count()
	if most != 1 || lookups > 2 {
		t.Errorf("10 calls with nothing cached: %d lookups, %d at once, want 1 at a time", lookups, most)
	}
	for i, s := range statuses {
		if s != 200 {
			t.Errorf("call %d: status %d", i, s)
		}
	}
}

// A lookup that hangs (a DNS server forwarding a gone name to an upstream
// that never answers) is not waited out: once it is older than every, a
// fresh one starts, so a hop that comes back is found within every.
func TestAHangingLookupIsNotWaitedOut(t *testing.T) {
	dns := newFakeDNS()
	port, _, _ := replicas(t, "c", "127.0.0.2")
	gate := make(chan struct{}) // the lookups started now hang
	dns.gate = gate
	t.Cleanup(func() { close(gate) })
	a, _ := entry(t, dns, 5*time.Second, revalidateEvery, "http://c.test:"+port)
	done := make(chan int, 1)
	start := time.Now()
	go func() { _, status := getTree(t, a); done <- status }()
	deadline := time.Now().Add(2 * time.Second)
	for lookups, _ := dns.count(); lookups == 0 && time.Now().Before(deadline); lookups, _ = dns.count() {
		time.Sleep(time.Millisecond) // polling the fake, with a deadline
	}
	dns.mu.Lock()
	dns.gate = nil // c is back: the next lookup answers
	dns.mu.Unlock()
	dns.set("c.test", "127.0.0.2")
	if status := <-done; status != 200 {
		t.Errorf("status %d after c came back", status)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %s: the call waited for the hanging lookup (timeout 5s) instead of asking again", took)
	}
}

func TestNameGoneCutsAHangingCallAsNoSuchHost(t *testing.T) {
	dns := newFakeDNS()
	dns.set("c.test", "127.0.0.2")
	port, leaves, _ := replicas(t, "c", "127.0.0.2")
	a, _ := entry(t, dns, 2*time.Second, time.Hour, "http://c.test:"+port)
	if _, status := getTree(t, a); status != 200 {
		t.Fatalf("status %d", status)
	}
	// c dies: its address hangs, its name is gone; the cache still has it.
	leaves[0].hang.Store(true)
	dns.set("c.test")
	start := time.Now()
	text, status := getText(t, a)
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %s: a dead hop must not wait out the 2s timeout", took)
	}
	if status != http.StatusBadGateway || !strings.Contains(text, " → c.test ✗ no such host") {
		t.Errorf("status %d, text %q", status, text)
	}
	// And at once from then on, as when every call resolved.
	start = time.Now()
	if text, status = getText(t, a); status != http.StatusBadGateway || !strings.Contains(text, "✗ no such host") || time.Since(start) > 50*time.Millisecond {
		t.Errorf("next call: status %d, text %q after %s", status, text, time.Since(start))
	}
	// Healed: the name resolves again, the next call finds it.
	leaves[0].hang.Store(false)
	dns.set("c.test", "127.0.0.2")
	if tree, status := getTree(t, a); status != 200 {
		t.Errorf("after heal: %d %s", status, Path(tree))
	}
}

func TestNameGoneAfterAFastFailureIsNoSuchHost(t *testing.T) {
	dns := newFakeDNS()
	dns.set("c.test", "127.0.0.2")
	port, _, srvs := replicas(t, "c", "127.0.0.2")
	a, _ := entry(t, dns, 2*time.Second, time.Hour, "http://c.test:"+port)
	getTree(t, a)
	srvs[0].Close() // refused from now on
	dns.set("c.test")
	if text, status := getText(t, a); status != http.StatusBadGateway || !strings.Contains(text, "c.test ✗ no such host") {
		t.Errorf("status %d, text %q", status, text)
	}
}

func TestDeadReplicaIsRetriedOnAnother(t *testing.T) {
	for _, mode := range []string{"hang", "refuse"} {
		t.Run(mode, func(t *testing.T) {
			dns := newFakeDNS()
			dns.set("b.test", "127.0.0.2", "127.0.0.3")
			port, leaves, srvs := replicas(t, "b", "127.0.0.2", "127.0.0.3")
			a, svc := entry(t, dns, 2*time.Second, time.Hour, "http://b.test:"+port)
			getTree(t, a) // the cache holds both now
			if up := svc.next[0]; len(up.addrs) != 2 {
				t.Fatalf("cached %d addresses", len(up.addrs))
			}
			// Replica 1 dies and leaves the name; the cache still has it.
			if mode == "hang" {
				leaves[0].hang.Store(true)
			} else {
				srvs[0].Close()
			}
			dns.set("b.test", "127.0.0.3")
			start := time.Now()
			for i := 0; i < 10; i++ {
				tree, status := getTree(t, a)
				if status != 200 || tree.Calls[0].Instance != "b-2" {
					t.Fatalf("call %d: status %d, %s", i, status, Path(tree))
				}
			}
			if took := time.Since(start); took > time.Second {
				t.Errorf("10 calls took %s", took)
			}
		})
	}
}

func TestPausedHopIsATimeout(t *testing.T) {
	dns := newFakeDNS()
	dns.set("c.test", "127.0.0.2")
	port, leaves, _ := replicas(t, "c", "127.0.0.2")
	a, _ := entry(t, dns, 300*time.Millisecond, revalidateEvery, "http://c.test:"+port)
	getTree(t, a)
	leaves[0].hang.Store(true) // paused: still resolves, never answers
	start := time.Now()
	tree, status := getTree(t, a)
	if b := tree.Broken(); status != http.StatusGatewayTimeout || len(b) != 1 || b[0].Error != "timeout after 300ms" {
		t.Errorf("status %d, %s", status, Path(tree))
	}
	if took := time.Since(start); took < 300*time.Millisecond || took > time.Second {
		t.Errorf("took %s, want the 300ms timeout", took)
	}
}

func TestRefusedWhileTheNameResolvesIsRefused(t *testing.T) {
	dns := newFakeDNS()
	dns.set("c.test", "127.0.0.2")
	port, _, srvs := replicas(t, "c", "127.0.0.2")
	a, _ := entry(t, dns, time.Second, time.Hour, "http://c.test:"+port)
	getTree(t, a)
	srvs[0].Close()
	if text, status := getText(t, a); status != http.StatusBadGateway || !strings.Contains(text, "c.test ✗ connection refused") {
		t.Errorf("status %d, text %q", status, text)
	}
}
