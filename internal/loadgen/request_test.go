// Tests of how an answer is judged: link trees to the hop that failed, plain statuses, timeouts and transport errors.

package loadgen

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/link"
)

// one runs a single request (rate 10/s for 100ms) and returns its result.
func one(t *testing.T, o Options) Result {
	t.Helper()
	o.Rate, o.Duration = 10, 100*time.Millisecond
	rs, st := run(t, context.Background(), o)
	checkSeqs(t, rs, 1, 10)
	if st.Sent != 1 || st.Done != 1 {
		t.Fatalf("stats %+v, want one sent and done", st)
	}
	return rs[0]
}

// hop is a link.Node of service s that answered with status (and err).
func hop(s string, status int, err string, calls ...*link.Node) *link.Node {
	n := &link.Node{Service: s, Status: status, Error: err, Calls: calls}
	if err == "" || len(calls) > 0 {
		n.Instance, n.Version, n.TookMS = s+"-1", "dev", 1.5
	}
	return n
}

func TestLinkTrees(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		tree      *link.Node // nil: a body that is no tree
		ok        bool
		hop, fail string
	}{
		{"every hop answered", 200, hop("a", 200, "", hop("b", 200, "", hop("c", 200, ""))), true, "", ""},
		{"c gone", 502, hop("a", 502, "", hop("b", 502, "", hop("c", 502, "no such host"))), false, "c", "no such host"},
		{"c paused", 504, hop("a", 504, "", hop("b", 504, "", hop("c", 504, "timeout after 1.9s"))), false, "c", "timeout after 1.9s"},
		{"fan-out, one branch broken", 502, hop("a", 502, "", hop("b", 200, ""), hop("d", 502, "connection refused")), false, "d", "connection refused"},
		{"the entry itself", 508, hop("a", 508, "more than 16 hops: is the chain a loop?"), false, "a", "more than 16 hops: is the chain a loop?"},
		{"a status no hop explains", 503, hop("a", 200, "", hop("b", 200, "")), false, "a", "HTTP 503"},
		{"200 but a hop failed", 200, hop("a", 200, "", hop("b", 200, "disk full")), false, "b", "disk full"},
		{"no tree", 404, nil, false, "", "HTTP 404, not a link service"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Accept") != "application/json" || r.Header.Get(link.HeaderBudget) != "1500" {
					t.Errorf("headers %v: want Accept: application/json and a 1500 ms budget", r.Header)
				}
				if tc.tree == nil {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_ = json.NewEncoder(w).Encode(tc.tree)
			}))
			defer srv.Close()
			r := one(t, Options{URL: srv.URL, Link: true, Timeout: 1500 * time.Millisecond})
			if r.Status != tc.status || r.OK != tc.ok || r.Hop != tc.hop || r.Error != tc.fail {
				t.Errorf("got status %d OK %v hop %q error %q, want %d %v %q %q", r.Status, r.OK, r.Hop, r.Error, tc.status, tc.ok, tc.hop, tc.fail)
			}
		})
	}
}

// TestRealChain loads two link services in process, a → b, with b's NEXT
// on a port where nothing listens.
func TestRealChain(t *testing.T) {
	dead := closedPort(t)
	cfg := func(name string, next ...string) link.Config {
		return link.Config{Name: name, Instance: name + "-1", Version: "dev", Next: next, Timeout: time.Second, MaxHops: 16, LogRequests: "none", Listen: "127.0.0.1:0"}
	}
	b := httptest.NewServer(link.New(cfg("b", "http://"+dead), io.Discard).Handler())
	defer b.Close()
	a := httptest.NewServer(link.New(cfg("a", b.URL), io.Discard).Handler())
	defer a.Close()
	r := one(t, Options{URL: a.URL, Link: true})
	if r.OK || r.Status != http.StatusBadGateway || r.Hop != "127.0.0.1" || r.Error != "connection refused" {
		t.Errorf("got %+v, want 502 at hop 127.0.0.1 (b's NEXT): connection refused", r)
	}
	if r = one(t, Options{URL: b.URL + "/health", Link: true}); r.OK || r.Error != "HTTP 200, not a link service" {
		t.Errorf("/health as a chain: %+v, want not a link service", r)
	}
}

func TestStatusWithoutLink(t *testing.T) {
	for _, tc := range []struct {
		status int
		ok     bool
		fail   string
	}{
		{200, true, ""},
		{204, true, ""},
		{404, false, "HTTP 404 Not Found"},
		{503, false, "HTTP 503 Service Unavailable"},
		{599, false, "HTTP 599"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Accept") != "" {
				t.Errorf("Accept %q: want none without Link", r.Header.Get("Accept"))
			}
			w.WriteHeader(tc.status)
			_, _ = io.WriteString(w, "some body\n")
		}))
		r := one(t, Options{URL: srv.URL})
		srv.Close()
		if r.Status != tc.status || r.OK != tc.ok || r.Error != tc.fail || r.Hop != "" {
			t.Errorf("HTTP %d: got %+v, want OK %v error %q", tc.status, r, tc.ok, tc.fail)
		}
	}
}

func TestTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name string
		o    Options
		hop  string
	}{
		{"plain", Options{}, ""},
		{"link, entry unknown", Options{Link: true}, ""},
		{"link, entry named", Options{Link: true, Entry: "a"}, "a"},
	} {
		o := tc.o
		o.URL, o.Timeout = srv.URL, 100*time.Millisecond
		r := one(t, o)
		if r.OK || r.Status != 0 || r.Error != "timeout" || r.Hop != tc.hop || r.Latency < 100*time.Millisecond {
			t.Errorf("%s: got %+v, want status 0, timeout at hop %q, latency ≥ 100ms", tc.name, r, tc.hop)
		}
	}
}

// TestEntryLearnedFromTrees: request 0 gets a tree that names the entry,
// the next ones (due 200 ms later) time out, and name it.
func TestEntryLearnedFromTrees(t *testing.T) {
	first := make(chan struct{}, 1)
	first <- struct{}{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-first:
			_ = json.NewEncoder(w).Encode(hop("entry", 200, ""))
		default:
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	rs, _ := run(t, context.Background(), Options{URL: srv.URL, Link: true, Rate: 5, Duration: 600 * time.Millisecond, Timeout: 100 * time.Millisecond})
	checkSeqs(t, rs, 3, 5)
	if !rs[0].OK {
		t.Fatalf("request 0: %+v, want the tree", rs[0])
	}
	for _, r := range rs[1:] {
		if r.Hop != "entry" || r.Error != "timeout" {
			t.Errorf("request %d: %+v, want a timeout at hop entry", r.Seq, r)
		}
	}
}

func TestTransportErrors(t *testing.T) {
	r := one(t, Options{URL: "http://" + closedPort(t) + "/", Link: true, Entry: "a"})
	if r.OK || r.Status != 0 || r.Hop != "a" || r.Error != "connection refused" {
		t.Errorf("closed port: %+v, want status 0, connection refused at a", r)
	}
	hangup := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		c, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			c.Close() // closed before any answer: the client reads EOF
		}
	}))
	defer hangup.Close()
	if r := one(t, Options{URL: hangup.URL}); r.OK || r.Status != 0 || r.Error != "connection reset" {
		t.Errorf("hang-up: %+v, want status 0, connection reset", r)
	}
}

// closedPort is a loopback address where nothing listens (any more).
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
