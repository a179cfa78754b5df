package link

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// startHop starts one link service on loopback that calls next (base URLs).
func startHop(t testing.TB, name string, timeout time.Duration, next ...string) *httptest.Server {
	t.Helper()
	cfg := Config{Name: name, Instance: name + "-1", Version: "test", Timeout: timeout, MaxHops: 16, Next: next, Listen: ":0"}
	srv := httptest.NewServer(New(cfg, io.Discard).Handler())
	t.Cleanup(srv.Close)
	return srv
}

// hangingServer never answers until its client gives up.
func hangingServer(t *testing.T) *httptest.Server {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	return hang
}

func getTree(t *testing.T, url string) (*Node, int) {
	t.Helper()
	resp, err := http.Get(url + "/?format=json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var n Node
	if err := json.NewDecoder(resp.Body).Decode(&n); err != nil {
		t.Fatal(err)
	}
	return &n, resp.StatusCode
}

func getText(t *testing.T, url string) (string, int) {
	t.Helper()
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

func TestChainOfThree(t *testing.T) {
	c := startHop(t, "c", time.Second)
	b := startHop(t, "b", time.Second, c.URL)
	a := startHop(t, "a", time.Second, b.URL)
	text, status := getText(t, a.URL)
	if status != 200 {
		t.Fatalf("status %d: %s", status, text)
	}
	if !strings.HasPrefix(text, "a (a-1, test, ") || !strings.Contains(text, " → b (b-1, test, ") || !strings.Contains(text, " → c (c-1, test, ") {
		t.Errorf("text = %q", text)
	}
	tree, _ := getTree(t, a.URL)
	if !tree.OK() || tree.Calls[0].Service != "b" || tree.Calls[0].Calls[0].Service != "c" {
		t.Errorf("tree = %+v", tree)
	}
}

func TestFanOutOneLinePerBranch(t *testing.T) {
	c := startHop(t, "c", time.Second)
	d := startHop(t, "d", time.Second)
	a := startHop(t, "a", time.Second, c.URL, d.URL)
	text, status := getText(t, a.URL)
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if status != 200 || len(lines) != 2 || !strings.Contains(lines[0], "→ c (") || !strings.Contains(lines[1], "→ d (") {
		t.Errorf("status %d, text:\n%s", status, text)
	}
}

func TestRefusedDownstreamIs502NamingTheHop(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close() // nothing listens there any more
	a := startHop(t, "a", time.Second, dead)
	tree, status := getTree(t, a.URL)
	if status != http.StatusBadGateway {
		t.Fatalf("status = %d", status)
	}
	broken := tree.Broken()
	if len(broken) != 1 || broken[0].Error != "connection refused" || broken[0].Service != "127.0.0.1" {
		t.Errorf("broken = %+v", broken[0])
	}
}

func TestUnknownHostIs502(t *testing.T) {
	a := startHop(t, "a", time.Second, "http://no-such-host.invalid:8080")
	text, status := getText(t, a.URL)
	if status != http.StatusBadGateway || !strings.Contains(text, "no-such-host.invalid ✗ no such host") {
		t.Errorf("status %d, text %q", status, text)
	}
}

func TestHangingDownstreamIsCutAtTimeout(t *testing.T) {
	hang := hangingServer(t)
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
	if b := tree.Broken(); len(b) != 1 || !strings.HasPrefix(b[0].Error, "timeout after") {
		t.Errorf("broken = %+v", b)
	}
}

func TestCallerBudgetShrinksDownstreamTimeout(t *testing.T) {
	hang := hangingServer(t)
	// b alone would wait 5s; a's 500ms budget must bound it, and the
	// timeout must be reported by b (the hop that saw it), not by a.
	b := startHop(t, "b", 5*time.Second, hang.URL)
	a := startHop(t, "a", 500*time.Millisecond, b.URL)
	tree, status := getTree(t, a.URL)
	if status != http.StatusGatewayTimeout || tree.Calls[0].Service != "b" || tree.Calls[0].Instance == "" {
		t.Errorf("status %d, tree %+v", status, tree.Calls[0])
	}
}

func TestLoopIs508Quickly(t *testing.T) {
	// a → b → a: give a its NEXT once b's URL is known.
	cfgA := Config{Name: "a", Instance: "a-1", Version: "t", Timeout: 2 * time.Second, MaxHops: 16, Listen: ":0"}
	svcA := New(cfgA, io.Discard)
	a := httptest.NewServer(svcA.Handler())
	t.Cleanup(a.Close)
	b := startHop(t, "b", 2*time.Second, a.URL)
	svcA.cfg.Next = []string{b.URL}
	start := time.Now()
	_, status := getText(t, a.URL)
	if status != http.StatusLoopDetected {
		t.Errorf("status = %d, want 508", status)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("loop took %s", took)
	}
}

func TestHealthAndVersion(t *testing.T) {
	a := startHop(t, "a", time.Second)
	resp, err := http.Get(a.URL + "/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", resp, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(body) != 0 {
		t.Errorf("health body = %q, want empty", body)
	}
	resp, err = http.Get(a.URL + "/health?verbose")
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	if _, ok := v["goroutines"]; !ok {
		t.Errorf("verbose health = %v", v)
	}
	resp, err = http.Get(a.URL + "/version")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(body)) != "test" {
		t.Errorf("version = %q", body)
	}
	if err := Probe(context.Background(), a.URL+"/health", time.Second); err != nil {
		t.Errorf("probe: %v", err)
	}
	if err := Probe(context.Background(), a.URL+"/nope", time.Second); err == nil {
		t.Error("probe of a 404 passed")
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"CHAINCTL_SERVICE": "b", "NEXT": "c:8080, http://d:9000/", "TIMEOUT": "1s"}
	cfg, err := ConfigFromEnv(func(k string) string { return env[k] }, "host123")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "b" || cfg.Instance != "host123" || cfg.Listen != ":8080" || cfg.Version != "dev" || cfg.Timeout != time.Second || cfg.MaxHops != 16 {
		t.Errorf("cfg = %+v", cfg)
	}
	if strings.Join(cfg.Next, ",") != "http://c:8080,http://d:9000" {
		t.Errorf("next = %v", cfg.Next)
	}
	if cfg.HealthURL() != "http://127.0.0.1:8080/health" {
		t.Errorf("health url = %s", cfg.HealthURL())
	}
	env = map[string]string{"TIMEOUT": "soon", "MAX_HOPS": "0", "LISTEN": "8080"}
	if _, err := ConfigFromEnv(func(k string) string { return env[k] }, "h"); err == nil ||
		!strings.Contains(err.Error(), "TIMEOUT") || !strings.Contains(err.Error(), "MAX_HOPS") || !strings.Contains(err.Error(), "LISTEN") {
		t.Errorf("err = %v", err)
	}
}

func TestNoGoroutineLeakWhenClientLeaves(t *testing.T) {
	hang := hangingServer(t)
	a := startHop(t, "a", 10*time.Second, hang.URL)
	before := runtime.NumGoroutine()
	for i := 0; i < 20; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.URL+"/", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		cancel()
	}
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+5 {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d before, %d after the clients left", before, runtime.NumGoroutine())
		}
		runtime.Gosched()
		time.Sleep(20 * time.Millisecond) // polling interval, bounded by the deadline above
	}
}

func TestOversizedHeadersAreRefused(t *testing.T) {
	cfg := Config{Name: "a", Instance: "a", Version: "t", Timeout: time.Second, MaxHops: 16, Listen: "127.0.0.1:0"}
	srv := New(cfg, io.Discard).Server()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	req, _ := http.NewRequest(http.MethodGet, "http://"+l.Addr().String()+"/health", nil)
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

func TestRenderTextShowsWhereItBroke(t *testing.T) {
	n := &Node{Service: "a", Instance: "i1", Version: "v", TookMS: 1.25, Status: 502, Calls: []*Node{
		{Service: "b", Instance: "i2", Version: "v", TookMS: 0.5, Status: 502, Calls: []*Node{{Service: "c", Status: 502, Error: "no such host"}}},
	}}
	var sb strings.Builder
	if err := RenderText(&sb, n); err != nil {
		t.Fatal(err)
	}
	if want := "a (i1, v, 1.25ms) → b (i2, v, 500µs) → c ✗ no such host\n"; sb.String() != want {
		t.Errorf("got %q, want %q", sb.String(), want)
	}
}

func BenchmarkHandler(b *testing.B) {
	a := startHop(b, "a", time.Second)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for b.Loop() {
		resp, err := client.Get(a.URL + "/")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func BenchmarkChain3(b *testing.B) {
	c := startHop(b, "c", time.Second)
	bb := startHop(b, "b", time.Second, c.URL)
	a := startHop(b, "a", time.Second, bb.URL)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for b.Loop() {
		resp, err := client.Get(a.URL + "/")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
