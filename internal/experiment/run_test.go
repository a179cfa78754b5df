// Unit tests of the runner with a fake backend and a fake load: the timeline, healing on Ctrl-C, and seeded campaigns.

package experiment

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/engine"
)

// fakeBackend records the calls the runner makes.
type fakeBackend struct {
	engine.Backend
	mu    sync.Mutex
	calls []string
}

func (f *fakeBackend) note(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeBackend) Break(_ context.Context, _ string, tgs []engine.Target, o engine.BreakOptions) (*engine.BreakResult, error) {
	f.note(fmt.Sprintf("break %s %s", tgs[0], o.Mode))
	return &engine.BreakResult{}, nil
}

func (f *fakeBackend) Heal(_ context.Context, _ string, svcs []string, o engine.HealOptions) (*engine.HealResult, error) {
	f.note(fmt.Sprintf("heal %s partition=%v", strings.Join(svcs, ","), o.Partition))
	return &engine.HealResult{}, nil
}

func (f *fakeBackend) Partition(_ context.Context, _ string, groups [][]string, oneWay bool) (*engine.PartitionResult, error) {
	f.note(fmt.Sprintf("partition %v", groups))
	return &engine.PartitionResult{}, nil
}

// steadyLoad answers every 10 ms until ctx ends.
func steadyLoad(ctx context.Context, start time.Time, record func(Request)) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			record(Request{SentMS: msSince(start, now), LatencyMS: 1, Status: 200, OK: true})
		}
	}
}

func TestRunFollowsTheTimelineAndHealsEverything(t *testing.T) {
	e := &Experiment{Name: "t", Duration: 600 * time.Millisecond, Load: LoadSpec{Rate: 100},
		SteadyState: []Check{ratio99},
		Method: []Step{
			{At: 100 * time.Millisecond, For: 100 * time.Millisecond, Break: "c", Mode: "kill"},
			{At: 250 * time.Millisecond, For: 100 * time.Millisecond, Partition: [][]string{{"a"}, {"b", "c"}}},
		}}
	b := &fakeBackend{}
	j, err := Run(context.Background(), e, Options{Backend: b, Project: "p", Load: steadyLoad})
	if err != nil {
		t.Fatal(err)
	}
	want := "break c kill; heal c partition=false; partition [[a] [b c]]; heal  partition=true"
	if got := strings.Join(b.calls, "; "); got != want {
		t.Errorf("calls: %s\nwant:  %s", got, want)
	}
	if len(j.Timeline) != 4 || j.Faults[0].StartMS < 100 || j.Faults[0].EndMS < 200 || j.Faults[1].Text != "partition {a}|{b,c}" {
		t.Errorf("timeline %+v, faults %+v", j.Timeline, j.Faults)
	}
	if len(j.Requests) < 30 || j.Verdict == "" {
		t.Errorf("%d requests, verdict %q", len(j.Requests), j.Verdict)
	}
}

func TestCtrlCHealsWhatIsInForce(t *testing.T) {
	e := &Experiment{Name: "t", Duration: 10 * time.Second, Load: LoadSpec{Rate: 100}, SteadyState: []Check{ratio99},
		Method: []Step{{At: 50 * time.Millisecond, For: 5 * time.Second, Break: "b", Mode: "delay", Delay: 100 * time.Millisecond}}}
	b := &fakeBackend{}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			b.mu.Lock()
			n := len(b.calls)
			b.mu.Unlock()
			if n > 0 {
				break
			}
			time.Sleep(5 * time.Millisecond) // polling the fake's calls, with a deadline
		}
		cancel()
	}()
	j, err := Run(ctx, e, Options{Backend: b, Project: "p", Load: steadyLoad})
	if err != context.Canceled {
		t.Errorf("err %v, want the interruption", err)
	}
	if got := strings.Join(b.calls, "; "); got != "break b delay; heal b partition=false" {
		t.Errorf("calls after Ctrl-C: %s", got)
	}
	if j == nil || j.EndMS > 5000 {
		t.Errorf("journal %v", j)
	}
}

func TestSeededCampaignsRepeat(t *testing.T) {
	e := &Experiment{Duration: time.Minute, Method: []Step{{At: time.Second, Random: &Random{
		Services: []string{"b", "c"}, Modes: []string{"kill", "pause", "delay"}, Count: 5, Every: 8 * time.Second}}}}
	text := func(seed int64) string {
		p, err := Plan(e, seed)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, f := range p {
			s = append(s, fmt.Sprintf("%s@%s/%s", f.text, f.at, f.dur))
		}
		return strings.Join(s, ", ")
	}
	a, b, c := text(42), text(42), text(43)
	if a != b {
		t.Errorf("seed 42 twice:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("seeds 42 and 43 drew the same campaign: %s", a)
	}
	if !strings.Contains(a, "@1s/4s") || !strings.Contains(a, "@33s/4s") {
		t.Errorf("times and lengths: %s", a)
	}
}
