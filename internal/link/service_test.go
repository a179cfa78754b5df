// Tests of the link service over httptest: chains, fan-out, each way a hop fails, loops, health, shutdown, limits and benchmarks.

package link

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

func testConfig(name string, timeout time.Duration, next ...string) Config {
	return Config{Name: name, Instance: name + "-1", Version: "test", Timeout: timeout, MaxHops: 16, Next: next, Listen: ":0"}
}

// startHop starts one link service on loopback that calls next (base URLs).
func startHop(t testing.TB, name string, timeout time.Duration, next ...string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(testConfig(name, timeout, next...), io.Discard).Handler())
	t.Cleanup(srv.Close)
	return srv
}

// hangingServer never answers until its client gives up; arrived receives
// one value per request that reached it.
func hangingServer(t *testing.T) (srv *httptest.Server, arrived <-chan struct{}) {
	release := make(chan struct{})
	arrivals := make(chan struct{}, 64)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrivals <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	return hang, arrivals
}

// deadURL is a loopback URL nothing listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func getTree(t *testing.T, url string) (*Node, int) {
	t.Helper()
	resp, body := get(t, url+"/?format=json")
	var n Node
	if err := json.Unmarshal([]byte(body), &n); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return &n, resp.StatusCode
}

func getText(t *testing.T, url string) (string, int) {
	t.Helper()
	resp, body := get(t, url+"/")
	return body, resp.StatusCode
}

func TestChainOfThree(t *testing.T) {
	c := startHop(t, "c", time.Second)
	b := startHop(t, "b", time.Second, c.URL)
	a := startHop(t, "a", time.Second, b.URL)

	text, status := getText(t, a.URL)
	if status != 200 {
		t.Fatalf("status %d: %s", status, text)
	}
	if !strings.HasPrefix(text, "a (a-1, test, ") || !strings.Contains(text, " → b (b-1, test, ") || !strings.Contains(text, " → c (c-1, test, ") || strings.Count(text, "\n") != 1 {
		t.Errorf("text = %q", text)
	}

	resp, body := get(t, a.URL+"/", "Accept", "application/json")
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Accept: application/json gave Content-Type %q", ct)
	}
	// The schema is stable: error is present, and empty, on a fine hop.
	if !strings.Contains(body, `"error":""`) || !strings.Contains(body, `"took_ms":`) {
		t.Errorf("json = %s", body)
	}
	var tree Node
	if err := json.Unmarshal([]byte(body), &tree); err != nil {
		t.Fatal(err)
	}
	if !tree.OK() || tree.Calls[0].Service != "b" || tree.Calls[0].Calls[0].Service != "c" || tree.Calls[0].Calls[0].Instance != "c-1" {
		t.Errorf("tree = %+v", tree)
	}
}

// slowLeaf answers like a link leaf after delay.
func slowLeaf(t *testing.T, name string, delay time.Duration) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay): // the latency being simulated, not a synchronisation
		case <-r.Context().Done():
			return
		}
		json.NewEncoder(w).Encode(Node{Service: name, Instance: name + "-1", Version: "test", Status: 200})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestFanOutCallsInParallelOneLinePerBranch(t *testing.T) {
	const delay = 300 * time.Millisecond
	b := slowLeaf(t, "b", delay)
	c := slowLeaf(t, "c", delay)
	a := startHop(t, "a", 2*time.Second, b.URL, c.URL)
	start := time.Now()
	text, status := getText(t, a.URL)
	took := time.Since(start)
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if status != 200 || len(lines) != 2 || !strings.Contains(lines[0], "a (a-1, test, ") || !strings.Contains(lines[0], "→ b (") || !strings.Contains(lines[1], "→ c (") {
		t.Errorf("status %d, text:\n%s", status, text)
	}
	if took >= 2*delay {
		t.Errorf("two calls of %s took %s: not in parallel", delay, took)
	}
}

func TestRefusedDownstreamIs502NamingTheHop(t *testing.T) {
	a := startHop(t, "a", time.Second, deadURL(t))
	tree, status := getTree(t, a.URL)
	if status != http.StatusBadGateway {
		t.Fatalf("status = %d", status)
	}
	broken := tree.Broken()
	if len(broken) != 1 || broken[0].Error != "connection refused" || broken[0].Service != "127.0.0.1" || broken[0].Status != http.StatusBadGateway {
		t.Errorf("broken = %s", Path(tree))
	}
}

func TestUnknownHostIs502(t *testing.T) {
	a := startHop(t, "a", time.Second, "http://no-such-host.invalid:8080")
	text, status := getText(t, a.URL)
	if status != http.StatusBadGateway || !strings.Contains(text, " → no-such-host.invalid ✗ no such host") {
		t.Errorf("status %d, text %q", status, text)
	}
}

func TestDownstreamThatIsNotALinkIs502(t *testing.T) {
	other := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(other.Close)
	a := startHop(t, "a", time.Second, other.URL)
	text, status := getText(t, a.URL)
	if status != http.StatusBadGateway || !strings.Contains(text, "✗ HTTP 404, not a link service") {
		t.Errorf("status %d, text %q", status, text)
	}
}

func TestHangingDownstreamIsCutAtTimeout(t *testing.T) {
	hang, _ := hangingServer(t)
	b := startHop(t, "b", 200*time.Millisecond, hang.URL)
	a := startHop(t, "a", time.Second, b.URL)
	start := time.Now()
	tree, status := getTree(t, a.URL)
	if status != http.StatusGatewayTimeout {
		t.Fatalf("status = %d", status)
	}
	if took := time.Since(start); took > 900*time.Millisecond {
		t.Errorf("took %s, want about b's 200ms timeout", took)
	}
	if b := tree.Broken(); len(b) != 1 || b[0].Error != "timeout after 200ms" || b[0].Status != http.StatusGatewayTimeout {
		t.Errorf("broken = %+v", b)
	}
}

func TestTimeoutOutranksOtherFailures(t *testing.T) {
	hang, _ := hangingServer(t)
	a := startHop(t, "a", 200*time.Millisecond, deadURL(t), hang.URL)
	if _, status := getTree(t, a.URL); status != http.StatusGatewayTimeout {
		t.Errorf("refused + timeout: status = %d, want 504", status)
	}
}

func TestCallerBudgetShrinksDownstreamTimeout(t *testing.T) {
	hang, _ := hangingServer(t)
	// b alone would wait 5s; a's 500ms budget must bound it, and the
	// timeout must be reported by b (the hop that saw it), not by a.
	b := startHop(t, "b", 5*time.Second, hang.URL)
	a := startHop(t, "a", 500*time.Millisecond, b.URL)
	tree, status := getTree(t, a.URL)
	if status != http.StatusGatewayTimeout || tree.Calls[0].Service != "b" || tree.Calls[0].Instance == "" {
		t.Errorf("status %d, tree %+v", status, tree.Calls[0])
	}
}

// startLoop starts a → b → a and returns a's URL.
func startLoop(t *testing.T, maxHops int) string {
	t.Helper()
	a := httptest.NewUnstartedServer(nil) // its address is known before it serves
	t.Cleanup(a.Close)
	cfgB := testConfig("b", 2*time.Second, "http://"+a.Listener.Addr().String())
	cfgB.MaxHops = maxHops
	b := httptest.NewServer(New(cfgB, io.Discard).Handler())
	t.Cleanup(b.Close)
	cfgA := testConfig("a", 2*time.Second, b.URL)
	cfgA.MaxHops = maxHops
	a.Config.Handler = New(cfgA, io.Discard).Handler()
	a.Start()
	return a.URL
}

func depth(n *Node) int {
	d := 0
	for _, c := range n.Calls {
		d = max(d, depth(c))
	}
	return d + 1
}

func TestLoopIs508Quickly(t *testing.T) {
	a := startLoop(t, 16)
	start := time.Now()
	tree, status := getTree(t, a)
	if status != http.StatusLoopDetected {
		t.Errorf("status = %d, want 508", status)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("loop took %s", took)
	}
	// b answered 508 to a, and a passed it on.
	if d := depth(tree); d != 17 || tree.Calls[0].Status != http.StatusLoopDetected {
		t.Errorf("depth %d, b's status %d", d, tree.Calls[0].Status)
	}
	if b := tree.Broken(); len(b) != 1 || !strings.Contains(b[0].Error, "more than 16 hops") {
		t.Errorf("broken = %+v", b)
	}
}

func TestForgedHopCountCannotExtendALoop(t *testing.T) {
	a := startLoop(t, 4)
	for _, hops := range []string{"-1000000", "lots"} {
		resp, body := get(t, a+"/?format=json", HeaderHops, hops)
		var tree Node
		if err := json.Unmarshal([]byte(body), &tree); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusLoopDetected || depth(&tree) != 5 {
			t.Errorf("%s=%s: status %d, depth %d, want 508 after 4 hops", HeaderHops, hops, resp.StatusCode, depth(&tree))
		}
	}
}

func TestHealthAndVersion(t *testing.T) {
	a := startHop(t, "a", time.Second)
	resp, body := get(t, a.URL+"/health")
	if resp.StatusCode != 200 || body != "" {
		t.Errorf("health: %d %q, want 200 and an empty body", resp.StatusCode, body)
	}
	getText(t, a.URL) // one more request served
	resp, body = get(t, a.URL+"/health?verbose")
	var v struct {
		Goroutines int     `json:"goroutines"`
		Uptime     float64 `json:"uptime_s"`
		Requests   int     `json:"requests"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("verbose health: %d %v: %s", resp.StatusCode, err, body)
	}
	if v.Goroutines < 1 || v.Uptime <= 0 || v.Requests != 2 {
		t.Errorf("verbose health = %s", body)
	}
	if _, body = get(t, a.URL+"/version"); body != "test\n" {
		t.Errorf("version = %q", body)
	}
}

func TestProbe(t *testing.T) {
	a := startHop(t, "a", time.Second)
	hang, _ := hangingServer(t)
	ctx := context.Background()
	if err := Probe(ctx, a.URL+"/health", time.Second); err != nil {
		t.Errorf("healthy: %v", err)
	}
	if err := Probe(ctx, a.URL+"/nope", time.Second); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("404: %v", err)
	}
	if err := Probe(ctx, deadURL(t)+"/health", time.Second); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("nothing listening: %v", err)
	}
	start := time.Now()
	if err := Probe(ctx, hang.URL+"/health", 200*time.Millisecond); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("hanging: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("a hanging probe took %s, want its 200ms timeout", took)
	}
}

// serve runs svc.Run on a loopback listener; the returned channel yields
// Run's result.
func serve(t *testing.T, svc *Service) (url string, stop context.CancelFunc, done <-chan error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- svc.Run(ctx, l)
		close(errc) // so the cleanup's receive returns after a test's
	}()
	t.Cleanup(func() {
		cancel()
		<-errc
	})
	return "http://" + l.Addr().String(), cancel, errc
}

func TestRunShutsDownWithinGrace(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		url, stop, done := serve(t, New(testConfig("a", time.Second), io.Discard))
		if resp, _ := get(t, url+"/health"); resp.StatusCode != 200 {
			t.Fatalf("health: %d", resp.StatusCode)
		}
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(ShutdownGrace):
			t.Fatal("an idle service did not stop at once")
		}
		if _, err := http.Get(url + "/health"); err == nil {
			t.Error("still answering after shutdown")
		}
	})
	t.Run("request in flight", func(t *testing.T) {
		hang, arrived := hangingServer(t)
		url, stop, done := serve(t, New(testConfig("a", time.Minute, hang.URL), io.Discard))
		clientErr := make(chan error, 1)
		go func() {
			resp, err := http.Get(url + "/")
			if err == nil {
				resp.Body.Close()
			}
			clientErr <- err
		}()
		<-arrived // the request is inside a's handler, waiting downstream
		start := time.Now()
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(ShutdownGrace + time.Second):
			t.Fatal("Run did not return after its grace period")
		}
		if took := time.Since(start); took < ShutdownGrace/2 {
			t.Errorf("stopped after %s: the in-flight request got no grace", took)
		}
		if err := <-clientErr; err == nil {
			t.Error("the cut request got an answer")
		}
	})
}

func TestNoGoroutineLeakWhenClientLeaves(t *testing.T) {
	hang, _ := hangingServer(t)
	a := startHop(t, "a", 10*time.Second, hang.URL)
	before := runtime.NumGoroutine()
	for i := 0; i < 20; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.URL+"/", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		} else if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
		cancel()
	}
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+5 {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d before, %d after the clients left", before, runtime.NumGoroutine())
		}
		time.Sleep(20 * time.Millisecond) // polling interval, bounded by the deadline above
	}
}

func TestOversizedHeadersAreRefused(t *testing.T) {
	url, _, _ := serve(t, New(testConfig("a", time.Second), io.Discard))
	req, _ := http.NewRequest(http.MethodGet, url+"/health", nil)
	req.Header.Set("X-Big", strings.Repeat("x", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status = %d, want 431", resp.StatusCode)
	}
}

func TestOneLogLinePerRequest(t *testing.T) {
	var log strings.Builder
	cfg := testConfig("a", time.Second)
	cfg.LogRequests = "all"
	srv := httptest.NewServer(New(cfg, &log).Handler())
	get(t, srv.URL+"/", HeaderHops, "3")
	get(t, srv.URL+"/health") // a successful probe: not logged
	srv.Close()               // the handlers have returned: the log is complete
	if line := log.String(); strings.Count(line, "\n") != 1 || !strings.Contains(line, "GET / 200 ") || !strings.HasSuffix(line, " hops=3\n") {
		t.Errorf("log = %q", line)
	}
}

func benchmarkChain(b *testing.B, hops int) {
	url := ""
	for i := hops; i > 0; i-- {
		var next []string
		if url != "" {
			next = []string{url}
		}
		url = startHop(b, string(rune('a'+i-1)), time.Second, next...).URL
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for b.Loop() {
		resp, err := client.Get(url + "/")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// BenchmarkHandler is one hop over loopback, client included.
func BenchmarkHandler(b *testing.B) { benchmarkChain(b, 1) }

// BenchmarkChain3 is a → b → c over loopback.
func BenchmarkChain3(b *testing.B) { benchmarkChain(b, 3) }

// BenchmarkChain3Parallel is a → b → c with 16 concurrent clients, as
// bench/linkload drives it (in one process, without containers).
func BenchmarkChain3Parallel(b *testing.B) {
	url := ""
	for i := 3; i > 0; i-- {
		var next []string
		if url != "" {
			next = []string{url}
		}
		url = startHop(b, string(rune('a'+i-1)), time.Second, next...).URL
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url + "/")
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
