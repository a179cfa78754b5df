// Package report renders what people look at from an experiment's
// journal: one self-contained HTML page (inline CSS and SVG, nothing
// fetched) with the verdict, the timeline of throughput, success ratio and
// latency with the fault windows and their detect/recover marks, the
// phases, the faults, the errors by hop, the topology graph and the
// hypothesis. The page is a view of the journal and of nothing else.
package report

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strconv"

	"github.com/chainctl/chainctl/internal/experiment"
)

//go:embed templates/*.html
var templates embed.FS

var pageTmpl = template.Must(template.New("page.html").Funcs(template.FuncMap{
	"n":   num,
	"add": func(a, b float64) float64 { return a + b },
	"sub": func(a, b float64) float64 { return a - b },
	"div": func(a, b float64) float64 { return a / b },
}).ParseFS(templates, "templates/*.html"))

// Render writes the report of the journal as one HTML page. It writes
// nothing when the page cannot be made.
func Render(w io.Writer, j *experiment.Journal) error {
	if j == nil {
		return errors.New("report: no journal to render")
	}
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, newPage(j)); err != nil {
		return fmt.Errorf("report: rendering the page: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// page is everything the template shows, formatted.
type page struct {
	Name, File           string
	Verdict, VerdictCls  string
	VerdictNote          string
	Project, URL, Seed   string
	Started, Version     string
	Rate, Duration       string
	Requests, Success    string
	SuccessRaw           string
	FaultCount, Failures string
	Timeline             timeline
	Checks               []checkRow
	Phases               []phaseRow
	Faults               []faultRow
	Errors               []errorRow
	Graph                graph
	Actions              []actionRow
}

// newPage formats the journal for the template.
func newPage(j *experiment.Journal) page {
	p := page{
		Name: "experiment", Verdict: j.Verdict, Project: orDash(j.Project), URL: orDash(j.URL),
		Seed: strconv.FormatInt(j.Seed, 10), Version: orDash(j.Version), Rate: "–",
		Duration: Ms(j.EndMS), Started: "–", FaultCount: strconv.Itoa(len(j.Faults)),
	}
	if e := j.Experiment; e != nil {
		p.Name, p.File = orDefault(e.Name, p.Name), e.File
		if e.Load.Rate > 0 {
			p.Rate = Rate(e.Load.Rate)
		}
	}
	if !j.Started.IsZero() {
		p.Started = j.Started.Format("2006-01-02 15:04:05 MST")
	}
	p.VerdictCls, p.VerdictNote = verdictLook(j.Verdict)
	if p.Verdict == "" {
		p.Verdict = "no verdict"
	}
	total, ok := 0, 0
	for _, b := range j.Buckets {
		total, ok = total+b.Requests, ok+b.OK
	}
	p.Requests, p.Failures, p.Success = Count(total), Count(total-ok), "–"
	if total > 0 {
		share := float64(ok) / float64(total)
		p.Success, p.SuccessRaw = Percent(share), raw(share)
	}
	p.Timeline = newTimeline(j)
	p.Checks = checkRows(j.Checks)
	p.Phases = phaseRows(j.Phases)
	p.Faults = faultRows(j.Faults)
	p.Errors = errorRows(j.Errors)
	p.Graph = layoutGraph(j.Graph)
	p.Actions = actionRows(j)
	return p
}

// verdictLook is the verdict's CSS class and what it means in a sentence.
func verdictLook(v string) (class, note string) {
	switch v {
	case experiment.VerdictHeld:
		return "held", "the steady-state hypothesis held before, during and after the faults"
	case experiment.VerdictBroken:
		return "broken", "the steady-state hypothesis was broken"
	case experiment.VerdictDidNotRecover:
		return "norecover", "the system did not return to the steady state after the faults"
	}
	return "unknown", "the journal holds no verdict"
}

func orDash(s string) string { return orDefault(s, "–") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
