// Tests of Serve: it prints the URL with the token, serves it, and returns nil soon after Ctrl-C with a page listening and the probe running; it refuses a non-loopback address.

package dashboard

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeUntilCtrlC(t *testing.T) {
	entry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer entry.Close()
	fe := &fakeEngine{rows: healthy("a", "b", "c"), url: entry.URL}
	var out, log syncBuf
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, Options{Project: "p", Engine: fe, Topology: abc(), Out: &out, Log: &log}) }()

	re := regexp.MustCompile(`dashboard of project p: (http://127\.0\.0\.1:\d+/)\?token=([0-9a-f]{48})\n`)
	poll(t, 5*time.Second, "the URL on Out", func() bool {
		select {
		case err := <-served:
			t.Fatalf("Serve returned at once: %v", err)
		default:
		}
		return re.MatchString(out.String())
	})
	m := re.FindStringSubmatch(out.String())
	base, tok := m[1], m[2]
	if resp, _ := do(t, "GET", base, ""); resp.StatusCode != 403 {
		t.Errorf("GET %s without the token: %d, want 403", base, resp.StatusCode)
	}
	if resp, body := do(t, "GET", base+"?token="+tok, ""); resp.StatusCode != 200 || !strings.Contains(body, "chainctl dashboard") {
		t.Fatalf("GET the URL: %d %q", resp.StatusCode, body)
	}
	req, _ := http.NewRequest("GET", base+"api/stream", nil)
	req.Header.Set(HeaderToken, tok)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	origin := strings.TrimSuffix(base, "/")
	if resp, body := do(t, "POST", base+"api/probe", `{"run":true}`, HeaderToken, tok, "Origin", origin, "Content-Type", "application/json"); resp.StatusCode != 200 {
		t.Fatalf("probe start: %d %s", resp.StatusCode, body)
	}

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve after Ctrl-C: %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve still running 5s after Ctrl-C")
	}
	if _, err := http.Get(base); err == nil {
		t.Error("the dashboard still answers after Serve returned")
	}
	if !strings.Contains(log.String(), "probe load stopped") {
		t.Errorf("the log does not say the probe stopped:\n%s", log.String())
	}
}

func TestServeRefusesAnAddressElsewhere(t *testing.T) {
	err := Serve(context.Background(), Options{Project: "p", Engine: &fakeEngine{}, Topology: abc(), Listen: "0.0.0.0:0"})
	var le *ListenError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "--listen-any") {
		t.Errorf("Serve on 0.0.0.0: %v, want a ListenError that names --listen-any", err)
	}
}
