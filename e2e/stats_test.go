// End-to-end tests of stats: one sample of every container as JSON rows and as a table, and the stream ended by Ctrl-C.

package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// statsLine is one object of `chainctl stats --json`.
type statsLine struct {
	Service    string   `json:"service"`
	Container  string   `json:"container"`
	State      string   `json:"state"`
	CPUPercent *float64 `json:"cpu_percent"`
	MemUsage   uint64   `json:"mem_usage"`
	MemLimit   uint64   `json:"mem_limit"`
	NetRx      uint64   `json:"net_rx"`
}

func TestStatsNoStreamOneRowPerContainer(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	r := mustChainctl(t, "stats", "--no-stream", "--json", "-p", p)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	seen := map[string]bool{}
	for _, line := range lines {
		var s statsLine
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("stats --json line %q: %v", line, err)
		}
		seen[s.Container] = true
		if s.State != "running" || s.MemUsage == 0 || s.MemLimit < s.MemUsage || s.CPUPercent == nil || *s.CPUPercent < 0 || s.NetRx == 0 {
			t.Errorf("row of %s: %+v", s.Container, s)
		}
	}
	if len(lines) != 3 || !seen[p+"-a-1"] || !seen[p+"-b-1"] || !seen[p+"-c-1"] {
		t.Errorf("want one row each for a, b and c:\n%s", r.stdout)
	}

	table := mustChainctl(t, "stats", "--no-stream", "-p", p)
	rows := strings.Split(strings.TrimSpace(table.stdout), "\n")
	if len(rows) != 4 || !strings.HasPrefix(rows[0], "SERVICE") || !strings.Contains(rows[0], "MEM USAGE / LIMIT") ||
		!strings.HasPrefix(rows[3], "c ") || !strings.Contains(rows[3], "iB / ") {
		t.Errorf("table:\n%s", table.stdout)
	}

	// Piped, the stream prints one block per sample until Ctrl-C; a
	// killed container stays in the table with its state.
	cmd, out, errb := covStart(t, "stats", "-p", p)
	eventually(t, 15*time.Second, "a first block of stats", func() (bool, string) {
		return strings.Count(out.String(), "SERVICE") >= 1, out.String()
	})
	mustChainctl(t, "break", "-q", "-p", p, "c")
	eventually(t, 15*time.Second, "c shown exited", func() (bool, string) {
		return strings.Contains(out.String(), "-- (exited)"), out.String()
	})
	code, took := covInterrupt(t, cmd, 5*time.Second)
	if code != 0 || took > 2*time.Second {
		t.Errorf("stats after SIGINT: exit %d in %s, want 0 within 2s; stderr: %s", code, took, errb.String())
	}
	if n := strings.Count(out.String(), "SERVICE"); n < 2 || strings.Count(out.String(), "\n\nSERVICE") != n-1 {
		t.Errorf("want blocks a blank line apart:\n%s", out.String())
	}
}
