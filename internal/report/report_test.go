// The page as HTML: well formed, self-contained, escaped, and showing the journal's own figures.

package report

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/chainctl/chainctl/internal/experiment"
	"golang.org/x/net/html"
)

// renderDoc renders the journal, checks the page is well formed and
// stands alone, and returns its text and tree.
func renderDoc(t *testing.T, j *experiment.Journal) (string, *html.Node) {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, j); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	checkWellFormed(t, page)
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	checkSelfContained(t, doc)
	return page, doc
}

func TestRenderShowsTheJournal(t *testing.T) {
	j := sampleJournal()
	_, doc := renderDoc(t, j)

	if got := text(byID(t, doc, "verdict")); !strings.Contains(got, j.Verdict) {
		t.Errorf("verdict shows %q, want %q", got, j.Verdict)
	}
	for id, want := range map[string]string{
		"name": j.Experiment.Name, "project": j.Project, "seed": "42",
		"rate": Rate(200), "version": j.Version, "started": "2026-03-14 15:09:26 UTC",
	} {
		if got := text(byID(t, doc, id)); got != want {
			t.Errorf("#%s shows %q, want %q", id, got, want)
		}
	}

	windows := all(doc, class("fault-window"))
	if len(windows) != len(j.Faults) {
		t.Fatalf("%d fault windows, want one per fault (%d)", len(windows), len(j.Faults))
	}
	for i, w := range windows {
		if w.Data != "rect" || attr(w, "data-fault") != strconv.Itoa(i) {
			t.Errorf("window %d is <%s data-fault=%q>", i, w.Data, attr(w, "data-fault"))
		}
		sameFloat(t, w, "data-start-ms", j.Faults[i].StartMS)
		sameFloat(t, w, "data-end-ms", j.Faults[i].EndMS)
	}
	checkMarkNodes(t, j, doc)
	checkFaultRows(t, j, doc)
	checkPhaseRows(t, j, doc)

	errs := all(doc, class("hop-error"))
	if len(errs) != len(j.Errors) {
		t.Errorf("%d hop errors shown, journal has %d", len(errs), len(j.Errors))
	}
	if n := len(all(doc, class("service"))); n != 4 {
		t.Errorf("%d services drawn, want 4", n)
	}
	if f := all(doc, class("faulted")); len(f) != 1 || attr(f[0], "data-service") != "c" {
		t.Errorf("faulted services drawn: %d, want c alone", len(f))
	}
	if n := len(all(doc, class("edge"))); n != 3 {
		t.Errorf("%d calls drawn, want 3", n)
	}
	checks := all(doc, class("check"))
	if len(checks) != 2 || !hasClass(checks[0], "held") || !hasClass(checks[1], "broken") ||
		!strings.Contains(text(checks[1]), "✗") || !strings.Contains(text(checks[1]), "131ms") {
		t.Errorf("hypothesis lines shown wrong: %d lines", len(checks))
	}
}

// checkMarkNodes: one detect mark per detected fault, one recover mark
// per fault, each with the journal's figure, raw and formatted.
func checkMarkNodes(t *testing.T, j *experiment.Journal, doc *html.Node) {
	t.Helper()
	detects, recovers := all(doc, class("detect-mark")), all(doc, class("recover-mark"))
	if len(detects) != 2 || len(recovers) != 2 {
		t.Fatalf("%d detect and %d recover marks, want 2 and 2", len(detects), len(recovers))
	}
	for _, m := range detects {
		f := j.Faults[atoi(t, attr(m, "data-fault"))]
		sameFloat(t, m, "data-detect-ms", *f.DetectMS)
		if got, want := text(first(m, class("mark-label"))), "detected "+Ms(*f.DetectMS); got != want {
			t.Errorf("detect mark says %q, want %q", got, want)
		}
	}
	if got := text(first(recovers[0], class("mark-label"))); got != "recovered 1.4s" {
		t.Errorf("recover mark says %q, want %q", got, "recovered 1.4s")
	}
	sameFloat(t, recovers[0], "data-recover-ms", 1400)
	if got := text(first(recovers[1], class("mark-label"))); got != "did not recover" || !hasClass(recovers[1], "never") {
		t.Errorf("the second fault's mark says %q, want %q", got, "did not recover")
	}
}

func checkFaultRows(t *testing.T, j *experiment.Journal, doc *html.Node) {
	t.Helper()
	rows := all(doc, class("fault"))
	if len(rows) != len(j.Faults) {
		t.Fatalf("%d fault rows, want %d", len(rows), len(j.Faults))
	}
	for i, r := range rows {
		f := j.Faults[i]
		d := first(r, class("detect"))
		sameFloat(t, d, "data-detect-ms", *f.DetectMS)
		if text(d) != Ms(*f.DetectMS) {
			t.Errorf("fault %d: detect shows %q, want %q", i, text(d), Ms(*f.DetectMS))
		}
		rc := first(r, class("recover"))
		want := "did not recover"
		if f.RecoverMS != nil {
			want = Ms(*f.RecoverMS)
			sameFloat(t, rc, "data-recover-ms", *f.RecoverMS)
		}
		if text(rc) != want {
			t.Errorf("fault %d: recover shows %q, want %q", i, text(rc), want)
		}
	}
}

func checkPhaseRows(t *testing.T, j *experiment.Journal, doc *html.Node) {
	t.Helper()
	rows := all(doc, class("phase"))
	if len(rows) != len(j.Phases) {
		t.Fatalf("%d phase rows, want %d", len(rows), len(j.Phases))
	}
	for i, r := range rows {
		p := j.Phases[i]
		cells := map[string]struct {
			v    float64
			show string
		}{
			"data-requests": {float64(p.Requests), Count(p.Requests)}, "data-success-ratio": {p.SuccessRatio, Percent(p.SuccessRatio)},
			"data-p50-ms": {p.P50MS, Ms(p.P50MS)}, "data-p95-ms": {p.P95MS, Ms(p.P95MS)}, "data-p99-ms": {p.P99MS, Ms(p.P99MS)},
		}
		for key, want := range cells {
			c := first(r, func(n *html.Node) bool { _, ok := attrOK(n, key); return ok })
			sameFloat(t, c, key, want.v)
			if text(c) != want.show {
				t.Errorf("phase %q %s shows %q, want %q", p.Name, key, text(c), want.show)
			}
		}
	}
}

func TestRenderEscapes(t *testing.T) {
	j := sampleJournal()
	evil := `<script>alert(1)</script>`
	j.Experiment.Name = `<b>bold</b> & "quoted"`
	j.Graph.Services[2].Name = evil
	j.Graph.Services[1].Calls[0] = evil
	j.Faults[0].Text = `"><svg onload=alert(1)>`
	j.Errors[0].Kind = `<img src=x onerror=alert(2)>`
	j.Checks[0].Where = `</li><script>alert(3)</script>`
	page, doc := renderDoc(t, j)
	for _, raw := range []string{evil, "<svg onload", "<img src=x", "<b>bold"} {
		if strings.Contains(page, raw) {
			t.Errorf("the page holds %q unescaped", raw)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the service name is not shown escaped")
	}
	walk(doc, func(n *html.Node) {
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s> got an event handler %s=%q", n.Data, a.Key, a.Val)
			}
		}
	})
	s := first(doc, func(n *html.Node) bool { return attr(n, "data-service") == evil })
	if s == nil || text(first(s, tag("text"))) != evil[:nameMax-1]+"…" {
		t.Errorf("the service %q is not drawn with its name as text", evil)
	}
	if got := text(byID(t, doc, "name")); got != j.Experiment.Name {
		t.Errorf("the name shows %q, want %q", got, j.Experiment.Name)
	}
}

func TestRenderEmptyJournal(t *testing.T) {
	page, doc := renderDoc(t, &experiment.Journal{})
	if n := len(all(doc, class("fault-window"))); n != 0 {
		t.Errorf("%d fault windows in an empty journal", n)
	}
	for _, want := range []string{"no requests were recorded", "No fault was injected", "no verdict", "The journal holds no topology"} {
		if !strings.Contains(page, want) {
			t.Errorf("the empty report does not say %q", want)
		}
	}
	// Faults but no requests, a graph but no experiment.
	j := &experiment.Journal{Faults: []experiment.Fault{{Service: "c", Mode: "kill", StartMS: 0, EndMS: 0}},
		Buckets: []experiment.Bucket{{StartMS: 0}}, Phases: []experiment.Phase{{Name: "before"}},
		Graph: experiment.Graph{Services: []experiment.GraphService{{Name: "a", Calls: []string{"a"}}}}}
	_, doc = renderDoc(t, j)
	if n := len(all(doc, class("fault-window"))); n != 1 {
		t.Errorf("%d fault windows, want 1", n)
	}
}

func TestRenderNilJournal(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, nil); err == nil || b.Len() != 0 {
		t.Errorf("Render(nil) = %v and wrote %d bytes; want an error and nothing", err, b.Len())
	}
}

func TestRenderStress(t *testing.T) {
	j := stressJournal()
	page, doc := renderDoc(t, j)
	if n := len(all(doc, class("fault-window"))); n != len(j.Faults) {
		t.Errorf("%d fault windows, want %d", n, len(j.Faults))
	}
	if len(page) > 1<<20 {
		t.Errorf("a 10-minute run makes a %d KiB page", len(page)>>10)
	}
}
