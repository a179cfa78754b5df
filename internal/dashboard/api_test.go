// Tests of the changes: the break form mapped as the break verb maps its flags, heal, and the probe load counted into the strip chart.

package dashboard

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/engine"
)

// post sends a change as the page does.
func post(t *testing.T, ts *httptest.Server, path, body string) (int, map[string]any) {
	t.Helper()
	resp, text := do(t, "POST", ts.URL+path, body, HeaderToken, testToken, "Origin", ts.URL, "Content-Type", "application/json")
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("POST %s: %d, not JSON: %q", path, resp.StatusCode, text)
	}
	return resp.StatusCode, m
}

func TestBreakMapsTheFormAsTheVerbMapsItsFlags(t *testing.T) {
	fe := &fakeEngine{}
	_, ts := newTestServer(t, fe, nil)
	status, m := post(t, ts, "/api/break", `{"service":"b","mode":"delay","delay":"300ms","jitter":"50ms","loss":"10%","from":["a"," "]}`)
	if status != 200 || m["text"] != "broke p-b-1 (delay 300ms±50ms loss 10% from a); affected callers: a" {
		t.Errorf("break b delay: %d %v", status, m)
	}
	status, m = post(t, ts, "/api/break", `{"service":"c/2","mode":"kill","signal":"SIGTERM"}`)
	if status != 200 {
		t.Errorf("break c/2: %d %v", status, m)
	}
	b := fe.breaksSeen()
	if len(b) != 2 {
		t.Fatalf("%d breaks, want 2", len(b))
	}
	d := b[0]
	if !reflect.DeepEqual(d.targets, []engine.Target{{Service: "b"}}) || d.opts.Mode != engine.ModeDelay || d.opts.Net == nil ||
		d.opts.Net.Delay != 300*time.Millisecond || d.opts.Net.Jitter != 50*time.Millisecond || d.opts.Net.Loss != 0.1 || !reflect.DeepEqual(d.opts.From, []string{"a"}) {
		t.Errorf("break b: %+v %+v (net %+v)", d.targets, d.opts, d.opts.Net)
	}
	k := b[1]
	if !reflect.DeepEqual(k.targets, []engine.Target{{Service: "c", Replica: 2}}) || k.opts.Mode != engine.ModeKill || k.opts.Signal != "SIGTERM" || k.opts.Net != nil {
		t.Errorf("break c/2: %+v %+v", k.targets, k.opts)
	}

	for body, want := range map[string]string{
		`{"service":"b","mode":"scale-zero"}`:           `break mode "scale-zero" is not supported on docker`,
		`{"service":"b","mode":"delay","delay":"soon"}`: `delay "soon": want a duration`,
		`{"service":"b","mode":"loss","loss":"300%"}`:   "--loss",
		`{"service":"b/x","mode":"kill"}`:               "replica must be a number",
		`{"service":"","mode":"kill"}`:                  "no service name",
		`{"service":"b","mode":"kill","surprise":true}`: "unknown field",
		`not json`: "not the JSON expected",
	} {
		status, m := post(t, ts, "/api/break", body)
		if msg, _ := m["error"].(string); status != http.StatusBadRequest || !strings.Contains(msg, want) {
			t.Errorf("break %s: %d %v, want 400 saying %q", body, status, m, want)
		}
	}
	if n := len(fe.breaksSeen()); n != 2 {
		t.Errorf("refused forms broke anyway: %d breaks", n)
	}
}

func TestHeal(t *testing.T) {
	fe := &fakeEngine{}
	_, ts := newTestServer(t, fe, nil)
	if status, m := post(t, ts, "/api/heal", `{"services":["b"," c ","b"]}`); status != 200 || m["text"] != "healed p-c-1" {
		t.Errorf("heal: %d %v", status, m)
	}
	if status, _ := post(t, ts, "/api/heal", `{}`); status != 200 {
		t.Errorf("heal all: %d", status)
	}
	if !reflect.DeepEqual(fe.heals, [][]string{{"b", "c"}, nil}) {
		t.Errorf("heals %q, want [b c] then the whole project", fe.heals)
	}
}

func TestProbeLoadFillsTheStripChart(t *testing.T) {
	var calls, failing atomic.Int32
	entry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if failing.Load() == 1 {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte(`{"service":"a","status":502,"calls":[{"service":"b","status":502,"calls":[{"service":"c","status":0,"error":"connection refused"}]}]}`))
			return
		}
		_, _ = w.Write([]byte(`{"service":"a","instance":"a-1","status":200}`))
	}))
	defer entry.Close()
	fe := &fakeEngine{}
	s, ts := newTestServer(t, fe, func(o *Options) { o.ProbeRate = 50 })

	if status, m := post(t, ts, "/api/probe", `{"run":true}`); status != http.StatusBadGateway || !strings.Contains(m["error"].(string), "no published port") {
		t.Errorf("a probe without an entry: %d %v, want 502 saying why", status, m)
	}
	fe.mu.Lock()
	fe.url = entry.URL
	fe.mu.Unlock()
	status, m := post(t, ts, "/api/probe", `{"run":true}`)
	if status != 200 || m["running"] != true || m["entry"] != "a" || m["link"] != true {
		t.Fatalf("probe start: %d %v", status, m)
	}
	sum := func() (ok, fail int) {
		for _, b := range s.probe.strip.window(time.Now()) {
			ok, fail = ok+b.OK, fail+b.Fail
		}
		return ok, fail
	}
	poll(t, 5*time.Second, "successes in the strip chart", func() bool { ok, _ := sum(); return ok >= 5 })
	failing.Store(1)
	poll(t, 5*time.Second, "failures in the strip chart", func() bool { _, fail := sum(); return fail >= 5 })
	if e, _ := s.probe.strip.lastFailure(); e != "c: connection refused" {
		t.Errorf("the last failure reads %q, want the hop that broke", e)
	}
	if status, m := post(t, ts, "/api/probe", `{"run":false}`); status != 200 || m["running"] != false {
		t.Errorf("probe stop: %d %v", status, m)
	}
	n := calls.Load()
	time.Sleep(200 * time.Millisecond) // 10 requests' worth at 50/s: none may come once stopped
	if calls.Load() != n {
		t.Errorf("the probe went on after stop: %d requests, then %d", n, calls.Load())
	}
}
