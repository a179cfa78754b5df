// End-to-end test of the dashboard in headless Chromium: live states after CLI and page breaks, heal, the strip chart's failures, the token and origin refusals, no console errors, a screenshot.

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/chainctl/chainctl/internal/report"
)

// dashboardURL is what `chainctl dashboard` prints.
var dashboardURL = regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/\?token=([0-9a-f]{48})\n`)

// tab is one page in the browser, and the errors its console showed.
type tab struct {
	ctx  context.Context
	mu   sync.Mutex
	errs []string
}

// newBrowser starts headless Chromium; it stops with the test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	exe, err := report.ChromiumPath()
	if err != nil {
		t.Fatalf("the dashboard is tested in headless Chromium: %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(report.ViewportWidth, report.ViewportHeight))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(func() { bcancel(); acancel() })
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	return bctx
}

// openTab opens url in a new tab that records console errors, exceptions
// and error log entries (a refused script or style shows up there).
func openTab(t *testing.T, browser context.Context, url string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	tb := &tab{ctx: ctx}
	if err := chromedp.Listen(ctx, tb.note); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
	return tb
}

func (tb *tab) note(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			tb.errs = append(tb.errs, "console."+string(e.Type)+": "+strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		msg := e.ExceptionDetails.Text
		if x := e.ExceptionDetails.Exception; x != nil {
			msg += " " + x.Description
		}
		tb.errs = append(tb.errs, "exception: "+msg)
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError {
			tb.errs = append(tb.errs, "log "+string(e.Entry.Source)+": "+e.Entry.Text+" "+e.Entry.URL)
		}
	}
}

func (tb *tab) errors() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.errs...)
}

// eval runs a script in the page, bounded.
func eval[T any](t *testing.T, tb *tab, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("in the page: %s: %v", js, err)
	}
	return v
}

func click(t *testing.T, tb *tab, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID(id))); err != nil {
		t.Fatalf("clicking #%s: %v", id, err)
	}
}

// shown is a service as the page shows it: the graph box and the table row.
type shown struct {
	State string `json:"state"` // the box's data-state
	Box   string `json:"box"`   // the box's text
	Row   string `json:"row"`   // the table row's text
}

const shownJS = `Object.fromEntries([...document.querySelectorAll('#graph g.service')].map(g => [g.dataset.service, {
	state: g.dataset.state || '', box: g.textContent,
	row: document.querySelector('#services tr[data-service="' + g.dataset.service + '"]')?.textContent || ''}]))`

// waitShown polls the page until every service named is in its state
// (and its text says so), and returns how long it took.
func waitShown(t *testing.T, tb *tab, within time.Duration, want map[string]string, texts map[string]string) time.Duration {
	t.Helper()
	start := time.Now()
	eventually(t, within, fmt.Sprintf("the page shows %v %v", want, texts), func() (bool, string) {
		got := eval[map[string]shown](t, tb, shownJS)
		for svc, st := range want {
			s := got[svc]
			if s.State != st || !strings.Contains(s.Row, st) || !strings.Contains(s.Box, texts[svc]) || !strings.Contains(s.Row, texts[svc]) {
				return false, fmt.Sprintf("%+v", got)
			}
		}
		return true, ""
	})
	return time.Since(start)
}

// strip is the strip chart's data as the page holds it.
type strip struct {
	Running string `json:"running"`
	OK      int    `json:"ok"`
	Fail    int    `json:"fail"`
	Buckets int    `json:"buckets"`
}

const stripJS = `(() => { const f = document.getElementById('strip');
	return {running: f.dataset.running, ok: +f.dataset.ok, fail: +f.dataset.fail, buckets: f.querySelectorAll('g.bucket').length}; })()`

func TestDashboardInChromium(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	cmd, out, errb := covStart(t, "dashboard", "-p", p)
	eventually(t, 20*time.Second, "the dashboard's URL on stdout", func() (bool, string) {
		return dashboardURL.MatchString(out.String()), out.String() + errb.String()
	})
	m := dashboardURL.FindStringSubmatch(out.String())
	origin, token := m[1], m[2]

	browser := newBrowser(t)
	page := openTab(t, browser, origin+"/?token="+token)
	healthy := map[string]string{"a": "healthy", "b": "healthy", "c": "healthy"}
	waitShown(t, page, 30*time.Second, healthy, nil)
	if u := eval[string](t, page, `location.href`); u != origin+"/" {
		t.Errorf("the address bar still shows %s, want the token gone (%s/)", u, origin)
	}

	// For the README's picture, a longer strip: 15 s of successes, then 10
	// of failures (the probe sends 5 a second).
	docs := os.Getenv("CHAINCTL_UPDATE_DOCS") == "1"
	okBefore, failDuring := 5, 10
	if docs {
		okBefore, failDuring = 75, 50
	}
	click(t, page, "probe-btn")
	eventually(t, 30*time.Second, "the probe's successes in the strip chart", func() (bool, string) {
		s := eval[strip](t, page, stripJS)
		return s.Running == "true" && s.OK >= okBefore && s.Fail == 0 && s.Buckets == 60, fmt.Sprintf("%+v", s)
	})

	// From the command line: c is killed, and the page says so within 2 s.
	mustChainctl(t, "break", "-q", "-p", p, "c")
	took := waitShown(t, page, 10*time.Second, map[string]string{"c": "faulted"}, map[string]string{"c": "killed"})
	if took > 2*time.Second {
		t.Errorf("c turned red %s after `chainctl break c`, want within 2s", took)
	}
	t.Logf("c turned red on the page %s after `chainctl break c` returned", took.Round(time.Millisecond))
	// From the page: b is delayed (a network fault, with its parameter).
	eval[bool](t, page, `(() => { const f = (id, v) => { const e = document.getElementById(id); e.value = v; e.dispatchEvent(new Event('change')); };
		f('b-service', 'b'); f('b-mode', 'delay'); f('b-delay', '400ms'); return true; })()`)
	click(t, page, "break-btn")
	waitShown(t, page, 30*time.Second, map[string]string{"b": "faulted", "c": "faulted"}, map[string]string{"b": "delay 400ms", "c": "killed"})
	eventually(t, 30*time.Second, "the page's own break reported", func() (bool, string) {
		s := eval[string](t, page, `document.getElementById('action-status').textContent`)
		return strings.HasPrefix(s, "broke "+p+"-b-1 (delay 400ms)"), s
	})
	if r := row(t, ps(t, p), p+"-b-1"); !strings.HasPrefix(r.Fault, "delay 400ms") {
		t.Errorf("after the page's break, ps shows b's fault as %q, want delay 400ms", r.Fault)
	}
	eventually(t, 30*time.Second, "failures in the strip chart during the fault", func() (bool, string) {
		s := eval[strip](t, page, stripJS)
		return s.Fail >= failDuring && s.OK >= okBefore, fmt.Sprintf("%+v", s)
	})
	eventually(t, 10*time.Second, "chainctl's break of c in the events", func() (bool, string) {
		n := eval[int](t, page, `document.querySelectorAll('#events li[data-kind="chainctl"][data-action="break"]').length`)
		return n >= 2, fmt.Sprint(n, " break events")
	})
	screenshot(t, page)

	checkRefusals(t, browser, origin, token, p, errb)

	click(t, page, "heal-all-btn")
	waitShown(t, page, 90*time.Second, healthy, nil)
	eventually(t, 10*time.Second, "the heal in the events", func() (bool, string) {
		n := eval[int](t, page, `document.querySelectorAll('#events li[data-kind="chainctl"][data-action="heal"]').length`)
		return n >= 1, fmt.Sprint(n, " heal events")
	})
	for _, e := range page.errors() {
		t.Errorf("the dashboard's console: %s", e)
	}
	if code, took := covInterrupt(t, cmd, 10*time.Second); code != 0 || took > 5*time.Second {
		t.Errorf("dashboard after Ctrl-C: exit %d in %s, want 0 within 5s; stderr:\n%s", code, took, errb.String())
	}
}

// checkRefusals: no token, a wrong one, another origin's POST (from Go and
// from a page on another port) are all refused, and nothing was broken.
func checkRefusals(t *testing.T, browser context.Context, origin, token, project string, errb *syncWriter) {
	t.Helper()
	for _, u := range []string{origin + "/", origin + "/?token=" + strings.Repeat("0", 48), origin + "/api/stream", origin + "/app.js"} {
		if status, _, err := get(u); err != nil || status != http.StatusForbidden {
			t.Errorf("GET %s without the token: %d %v, want 403", u, status, err)
		}
	}
	body := `{"service":"a","mode":"kill"}`
	for _, hdr := range []map[string]string{
		{"X-Chainctl-Token": token, "Origin": "http://127.0.0.1:1", "Content-Type": "application/json"},
		{"X-Chainctl-Token": token, "Referer": "http://evil.example/", "Content-Type": "application/json"},
		{"Origin": origin, "Content-Type": "application/json"},
	} {
		req, _ := http.NewRequest("POST", origin+"/api/break", strings.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST /api/break with %v: %d, want 403", hdr, resp.StatusCode)
		}
	}
	// A page of another origin (only the port differs: the same site, so
	// the SameSite cookie goes along) tries a simple POST and a JSON one.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><title>evil</title><script>
const u = %q, body = %q;
Promise.all([
  fetch(u, {method: 'POST', mode: 'no-cors', credentials: 'include', headers: {'Content-Type': 'text/plain'}, body}).then(() => 'sent', () => 'failed'),
  fetch(u, {method: 'POST', credentials: 'include', headers: {'Content-Type': 'application/json', 'X-Chainctl-Token': 'guess'}, body}).then(() => 'answered', () => 'blocked'),
]).then(r => { document.title = 'done ' + r.join(' '); });
</script>`, origin+"/api/break", body)
	}))
	defer evil.Close()
	other := openTab(t, browser, evil.URL)
	eventually(t, 15*time.Second, "the other origin's page to finish", func() (bool, string) {
		title := eval[string](t, other, `document.title`)
		return strings.HasPrefix(title, "done"), title
	})
	// The simple POST goes out (the dashboard refuses it; its answer is
	// then withheld from that page: Cross-Origin-Resource-Policy); the
	// JSON one never does (its preflight is refused).
	if title := eval[string](t, other, `document.title`); !strings.HasSuffix(title, " blocked") {
		t.Errorf("the other page's POSTs: %q, want the JSON one blocked", title)
	}
	eventually(t, 5*time.Second, "the dashboard logs both refusals", func() (bool, string) {
		s := errb.String()
		return strings.Contains(s, "refused POST /api/break") && strings.Contains(s, "refused OPTIONS /api/break"), s
	})
	if r := row(t, ps(t, project), project+"-a-1"); r.Fault != "-" {
		t.Errorf("a refused request broke a: %+v", r)
	}
}

// screenshot saves the page to the test's temp dir, and to
// docs/dashboard.png with CHAINCTL_UPDATE_DOCS=1.
func screenshot(t *testing.T, tb *tab) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil || len(png) < 10_000 {
		t.Fatalf("screenshot: %d bytes, %v", len(png), err)
	}
	path := filepath.Join(t.TempDir(), "dashboard.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	if os.Getenv("CHAINCTL_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(filepath.Join("..", "docs", "dashboard.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
