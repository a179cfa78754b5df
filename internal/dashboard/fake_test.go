// Fakes for the dashboard's tests: an engine that records breaks and heals, an events source fed by the test, and a server on httptest.

package dashboard

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

const testToken = "0123456789abcdef0123456789abcdef0123456789abcdef"

type fakeBreak struct {
	targets []engine.Target
	opts    engine.BreakOptions
}

type fakeEngine struct {
	mu     sync.Mutex
	rows   []engine.ContainerStatus
	ps     int // PS calls
	breaks []fakeBreak
	heals  [][]string
	url    string // the entry's
}

func (f *fakeEngine) Kind() string { return engine.KindDocker }

func (f *fakeEngine) PS(context.Context, string) ([]engine.ContainerStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ps++
	return append([]engine.ContainerStatus(nil), f.rows...), nil
}

func (f *fakeEngine) Break(_ context.Context, _ string, targets []engine.Target, opts engine.BreakOptions) (*engine.BreakResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.breaks = append(f.breaks, fakeBreak{targets, opts})
	return &engine.BreakResult{Broken: []string{"p-" + targets[0].Service + "-1"}, Affected: []string{"a"}}, nil
}

func (f *fakeEngine) Heal(_ context.Context, _ string, services []string, _ engine.HealOptions) (*engine.HealResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.heals = append(f.heals, services)
	return &engine.HealResult{Healed: []string{"p-c-1"}}, nil
}

func (f *fakeEngine) Endpoint(context.Context, string, string) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.url == "" {
		return "a", "", &engine.NotServingError{Service: "a"}
	}
	return "a", f.url, nil
}

func (f *fakeEngine) BreakModes() []engine.Mode {
	return append([]engine.Mode{{Name: engine.ModeKill, Help: "SIGKILL"}, {Name: engine.ModePause, Help: "freeze"}}, engine.NetworkModeList...)
}

func (f *fakeEngine) setRows(rows ...engine.ContainerStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rows = rows
}

func (f *fakeEngine) breaksSeen() []fakeBreak {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeBreak(nil), f.breaks...)
}

// fakeEvents hands the dashboard the events the test sends.
type fakeEvents struct{ ch chan engine.Event }

func (f *fakeEvents) Events(ctx context.Context, _ string, _ engine.EventsOptions, emit func(engine.Event) error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-f.ch:
			if err := emit(e); err != nil {
				return err
			}
		}
	}
}

// abc is a→b→c.
func abc() *topology.Topology {
	return &topology.Topology{Name: "p", Services: map[string]*topology.Service{
		"a": {Name: "a", Calls: []topology.Call{{Service: "b"}}},
		"b": {Name: "b", Calls: []topology.Call{{Service: "c"}}},
		"c": {Name: "c"},
	}}
}

func healthy(services ...string) []engine.ContainerStatus {
	var rows []engine.ContainerStatus
	for _, s := range services {
		rows = append(rows, engine.ContainerStatus{Service: s, Replica: 1, Container: "p-" + s + "-1", State: "running", Health: "healthy", Fault: engine.FaultNone})
	}
	return rows
}

// newTestServer is a dashboard on httptest, without Run's watch.
func newTestServer(t *testing.T, fe *fakeEngine, mod func(*Options)) (*Server, *httptest.Server) {
	t.Helper()
	o := Options{Project: "p", Engine: fe, Topology: abc(), Token: testToken}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		s.hub.close()
		ts.Close()
		s.probe.stop()
	})
	return s, ts
}

// do sends one request; hdr is pairs of header names and values.
func do(t *testing.T, method, url, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// poll waits for cond with a deadline.
func poll(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(10 * time.Millisecond) // polling interval under the deadline above
	}
}
