// The page's tables: hypothesis lines, phases, faults, errors by hop and the actions taken, each figure formatted once.

package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/chainctl/chainctl/internal/experiment"
)

type checkRow struct {
	Held                bool
	Text, Figure, Where string
}

type phaseRow struct {
	Name, Window               string
	Requests                   string
	Success, P50, P95, P99     string
	RequestsRaw                int
	SuccessRaw, P50Raw, P95Raw string
	P99Raw, StartRaw, EndRaw   string
	Bad                        bool // not every request succeeded
}

type faultRow struct {
	Index                 int
	Text, Window, Length  string
	Detect, Recover       string
	DetectRaw, RecoverRaw string
	HasDetect, Recovered  bool
	StartRaw, EndRaw      string
	Errors                string
}

type errorRow struct {
	Hop, Kind, Count string
	CountRaw         int
	BarPct           float64
}

type actionRow struct {
	Action, Fault            string
	Asked, Done, Late, Error string
	AskedRaw, DoneRaw        string
}

func checkRows(rs []experiment.Result) []checkRow {
	out := make([]checkRow, 0, len(rs))
	for _, r := range rs {
		out = append(out, checkRow{Held: r.Held, Text: r.Check.Text, Figure: r.Figure, Where: r.Where})
	}
	return out
}

func phaseRows(ps []experiment.Phase) []phaseRow {
	out := make([]phaseRow, 0, len(ps))
	for _, p := range ps {
		r := phaseRow{
			Name: p.Name, Window: window2(p.StartMS, p.EndMS), Requests: Count(p.Requests), RequestsRaw: p.Requests,
			Success: "–", P50: "–", P95: "–", P99: "–",
			StartRaw: raw(p.StartMS), EndRaw: raw(p.EndMS),
		}
		if p.Requests > 0 {
			r.Success, r.P50, r.P95, r.P99 = Percent(p.SuccessRatio), Ms(p.P50MS), Ms(p.P95MS), Ms(p.P99MS)
			r.SuccessRaw, r.P50Raw, r.P95Raw, r.P99Raw = raw(p.SuccessRatio), raw(p.P50MS), raw(p.P95MS), raw(p.P99MS)
			r.Bad = p.SuccessRatio < 1
		}
		out = append(out, r)
	}
	return out
}

func faultRows(fs []experiment.Fault) []faultRow {
	out := make([]faultRow, 0, len(fs))
	for i, f := range fs {
		r := faultRow{
			Index: i, Text: faultText(f), Window: window2(f.StartMS, f.EndMS), Length: Ms(f.EndMS - f.StartMS),
			Detect: "no request failed", Recover: "did not recover",
			StartRaw: raw(f.StartMS), EndRaw: raw(f.EndMS), Errors: topErrors(f.Errors, 3),
		}
		if f.DetectMS != nil {
			r.HasDetect, r.Detect, r.DetectRaw = true, Ms(*f.DetectMS), raw(*f.DetectMS)
		}
		if f.RecoverMS != nil {
			r.Recovered, r.Recover, r.RecoverRaw = true, Ms(*f.RecoverMS), raw(*f.RecoverMS)
		}
		out = append(out, r)
	}
	return out
}

// window2 is a stretch of the run: "10s → 15s".
func window2(start, end float64) string {
	return Sec(start) + " → " + Sec(end)
}

// sortErrors orders errors by count, most first, then by hop and kind.
func sortErrors(es []experiment.HopErr) []experiment.HopErr {
	es = slices.Clone(es)
	slices.SortStableFunc(es, func(a, b experiment.HopErr) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Hop, b.Hop), cmp.Compare(a.Kind, b.Kind))
	})
	return es
}

// topErrors is the n most frequent errors in a line: "c: connection refused ×312".
func topErrors(es []experiment.HopErr, n int) string {
	es = sortErrors(es)
	var parts []string
	for i, e := range es {
		if i == n {
			parts = append(parts, fmt.Sprintf("+%d more", len(es)-n))
			break
		}
		parts = append(parts, fmt.Sprintf("%s: %s ×%s", orDash(e.Hop), orDash(e.Kind), Count(e.Count)))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

func errorRows(es []experiment.HopErr) []errorRow {
	es = sortErrors(es)
	peak := 1
	for _, e := range es {
		peak = max(peak, e.Count)
	}
	out := make([]errorRow, 0, len(es))
	for _, e := range es {
		out = append(out, errorRow{
			Hop: orDash(e.Hop), Kind: orDash(e.Kind), Count: Count(e.Count), CountRaw: e.Count,
			BarPct: float64(max(e.Count, 0)) * 100 / float64(peak),
		})
	}
	return out
}

func actionRows(j *experiment.Journal) []actionRow {
	out := make([]actionRow, 0, len(j.Timeline))
	for _, ev := range j.Timeline {
		name := fmt.Sprintf("fault %d", ev.Fault)
		if ev.Fault >= 0 && ev.Fault < len(j.Faults) {
			name = faultText(j.Faults[ev.Fault])
		}
		out = append(out, actionRow{
			Action: ev.Action, Fault: name, Asked: At(ev.RequestedMS), Done: At(ev.ActualMS),
			Late: Ms(ev.ActualMS - ev.RequestedMS), Error: ev.Error,
			AskedRaw: raw(ev.RequestedMS), DoneRaw: raw(ev.ActualMS),
		})
	}
	return out
}
