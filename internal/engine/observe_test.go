// Tests of how events and stats read: the human event line, the stats table's cells, and the --since/--until window.

package engine

import (
	"strings"
	"testing"
	"time"
)

func TestEventsLineIsTimeKindNameActionDetail(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 120e6, time.Local)
	e := Event{Time: at, Kind: EventContainer, Name: "abc-c-1", Action: "die", Detail: "exit code 137"}
	want := "2024-05-06 07:08:09.120  container  abc-c-1                   die            exit code 137"
	if got := e.Line(); got != want {
		t.Errorf("line\n got %q\nwant %q", got, want)
	}
	e = Event{Time: at, Kind: EventChainctl, Name: "abc-c-1", Action: ActionHeal}
	if got := e.Line(); strings.HasSuffix(got, " ") || !strings.HasSuffix(got, "chainctl   abc-c-1                   heal") {
		t.Errorf("no detail: %q", got)
	}
}

func TestStatsCellsAndTable(t *testing.T) {
	cpu := 12.345
	run := StatsRow{Service: "a", Container: "abc-a-1", State: "running", CPUPercent: &cpu,
		MemUsage: 6*1024*1024 + 512*1024, MemLimit: 2 << 30, NetRx: 1570, NetTx: 0, BlockRead: 4096, BlockWrite: 12_500_000}
	want := []string{"a", "abc-a-1", "12.35%", "6.5MiB / 2GiB", "1.57kB / 0B", "4.1kB / 12.5MB"}
	if got := run.Cells(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("running: %q, want %q", got, want)
	}
	first := run
	first.CPUPercent = nil
	if got := first.Cells()[2]; got != "--" {
		t.Errorf("no CPU yet: %q", got)
	}
	stopped := StatsRow{Service: "c", Container: "abc-c-1", State: "exited"}
	if got := strings.Join(stopped.Cells(), "|"); got != "c|abc-c-1|--|-- (exited)|--|--" {
		t.Errorf("exited: %q", got)
	}
	var b strings.Builder
	if err := WriteStatsTable(&b, []StatsRow{run, stopped}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "SERVICE   CONTAINER   CPU %    MEM USAGE / LIMIT") ||
		strings.Index(lines[1], "12.35%") != strings.Index(lines[0], "CPU %") {
		t.Errorf("table:\n%s", b.String())
	}
}

func TestEventsWindow(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	since, until, err := EventWindow(EventsOptions{Since: "10m", Until: "2024-05-06T07:05:00Z"}, now)
	if err != nil || !since.Equal(now.Add(-10*time.Minute)) || !until.Equal(time.Date(2024, 5, 6, 7, 5, 0, 0, time.UTC)) {
		t.Errorf("10m .. 07:05Z: %s %s %v", since, until, err)
	}
	since, until, err = EventWindow(EventsOptions{Since: "1714979000.5"}, now)
	if err != nil || !since.Equal(time.Unix(1714979000, 5e8)) || !until.IsZero() {
		t.Errorf("unix seconds: %s %s %v", since, until, err)
	}
	if s, u, err := EventWindow(EventsOptions{}, now); err != nil || !s.IsZero() || !u.IsZero() {
		t.Errorf("no window: %s %s %v", s, u, err)
	}
	for _, o := range []EventsOptions{{Since: "yesterday"}, {Until: "2024-13-01"}, {Since: "1m", Until: "5m"}} {
		if _, _, err := EventWindow(o, now); err == nil {
			t.Errorf("%+v: no error", o)
		} else if !strings.Contains(err.Error(), "--") {
			t.Errorf("%+v: the error names no flag: %v", o, err)
		}
	}
}
