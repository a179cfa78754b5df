// What the terminal shows of a journal: the phases, the faults, one line per hypothesis line, the verdict.

package experiment

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/chainctl/chainctl/internal/netfault/spec"
)

// Ms writes milliseconds as people read them: 850ms, 1.42s.
func Ms(ms float64) string {
	if ms >= 1000 {
		return fmt.Sprintf("%.2fs", ms/1000)
	}
	if ms >= 10 {
		return fmt.Sprintf("%.0fms", ms)
	}
	return fmt.Sprintf("%.1fms", ms)
}

// OptMs writes an optional time, or what its absence means.
func OptMs(ms *float64, none string) string {
	if ms == nil {
		return none
	}
	return Ms(*ms)
}

// WriteSummary prints the journal for a terminal.
func WriteSummary(w io.Writer, j *Journal) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tREQUESTS\tOK\tP50\tP95\tP99")
	for _, p := range j.Phases {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", p.Name, p.Requests, spec.Percent(p.SuccessRatio), Ms(p.P50MS), Ms(p.P95MS), Ms(p.P99MS))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(j.Faults) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(tw, "FAULT\tWINDOW\tDETECTED\tRECOVERED\tERRORS")
		for _, f := range j.Faults {
			fmt.Fprintf(tw, "%s\t%s–%s\t%s\t%s\t%s\n", f.Text, Ms(f.StartMS), Ms(f.EndMS),
				OptMs(f.DetectMS, "no failure"), OptMs(f.RecoverMS, "did not recover"), errorsText(f.Errors))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	for _, r := range j.Checks {
		mark, word := "✓", "held"
		if !r.Held {
			mark, word = "✗", "broken"
		}
		fig := ""
		if r.Figure != "" {
			fig = ": " + r.Figure
		}
		fmt.Fprintf(w, "%s %s  %s%s (%s)\n", mark, r.Check.Text, word, fig, r.Where)
	}
	_, err := fmt.Fprintf(w, "verdict: %s\n", j.Verdict)
	return err
}

// errorsText is a fault's errors, most first: "c no such host ×38".
func errorsText(errs []HopErr) string {
	if len(errs) == 0 {
		return "-"
	}
	var parts []string
	for i, e := range errs {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("+%d more", len(errs)-3))
			break
		}
		hop := e.Hop
		if hop == "" {
			hop = "entry"
		}
		parts = append(parts, fmt.Sprintf("%s %s ×%d", hop, e.Kind, e.Count))
	}
	return strings.Join(parts, ", ")
}
