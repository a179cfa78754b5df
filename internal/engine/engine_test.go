// Unit tests of what every backend shares: faults, targets, policy, polling, heal-after, and the connection's refusal.

package engine_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/enginetest"
	"github.com/chainctl/chainctl/internal/topology"
)

func TestFaultFromEngineState(t *testing.T) {
	on := &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{"p-net": {}}}
	off := &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{}}
	cases := []struct {
		c    container.Summary
		want string
	}{
		{container.Summary{State: "running", NetworkSettings: on}, engine.FaultNone},
		{container.Summary{State: "running", NetworkSettings: off}, engine.FaultDisconnected},
		{container.Summary{State: "paused", NetworkSettings: on}, engine.FaultPaused},
		{container.Summary{State: "exited", Status: "Exited (137) 2 seconds ago"}, engine.FaultKilled},
		{container.Summary{State: "exited", Status: "Exited (0) 2 seconds ago"}, engine.FaultStopped},
		{container.Summary{State: "exited", Status: "Exited (2) 2 seconds ago"}, engine.FaultExited},
	}
	for _, c := range cases {
		if got := engine.Fault(c.c, "p-net"); got != c.want {
			t.Errorf("Fault(%s %q) = %s, want %s", c.c.State, c.c.Status, got, c.want)
		}
	}
}

func TestHealthFromStatus(t *testing.T) {
	for status, want := range map[string]string{
		"Up 2 seconds (healthy)": "healthy", "Up 1 second (health: starting)": "starting",
		"Up 40 seconds (unhealthy)": "unhealthy", "Up 3 seconds": "-",
	} {
		if got := engine.Health(container.Summary{Status: status}); got != want {
			t.Errorf("Health(%q) = %s, want %s", status, got, want)
		}
	}
}

func TestParseTarget(t *testing.T) {
	if tg, err := engine.ParseTarget("b/2"); err != nil || tg != (engine.Target{Service: "b", Replica: 2}) {
		t.Errorf("ParseTarget(b/2) = %+v, %v", tg, err)
	}
	if tg, err := engine.ParseTarget("c"); err != nil || tg != (engine.Target{Service: "c"}) {
		t.Errorf("ParseTarget(c) = %+v, %v", tg, err)
	}
	for _, bad := range []string{"b/0", "b/x", "/1"} {
		if _, err := engine.ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q) accepted", bad)
		}
	}
	if _, err := engine.ParseTargets([]string{"a", "b/0"}); err == nil || !strings.Contains(err.Error(), `"b/0"`) {
		t.Errorf("ParseTargets with a bad one: %v", err)
	}
}

func TestPolicyAsksForExplicitPermission(t *testing.T) {
	top := enginetest.Topology()
	top.Services["a"].Privileged = true
	top.Services["b"].CapAdd = []string{"cap_sys_admin"}
	top.Services["c"].Volumes = append(top.Services["c"].Volumes, topology.Mount{Type: "bind", Source: "/", Target: "/host"})
	if errs := (engine.Policy{}).Check(top); len(errs) != 3 {
		t.Errorf("default policy: %v, want 3 refusals", errs)
	}
	if errs := (engine.Policy{AllowPrivileged: true, AllowHostAccess: true}).Check(top); len(errs) != 0 {
		t.Errorf("permissive policy: %v", errs)
	}
}

func TestCheckModeNamesTheEngine(t *testing.T) {
	modes := []engine.Mode{{Name: engine.ModeKill}, {Name: engine.ModeScaleZero}}
	err := engine.CheckMode(engine.KindSwarm, engine.ModeStop, modes)
	if err == nil || !strings.Contains(err.Error(), `"stop" is not supported on swarm (modes there: kill, scale-zero)`) {
		t.Errorf("err = %v", err)
	}
	if err := engine.CheckMode(engine.KindSwarm, engine.ModeKill, modes); err != nil {
		t.Errorf("kill refused: %v", err)
	}
}

func TestNoteBrokenUnionsTheCallers(t *testing.T) {
	top := enginetest.Topology() // a calls b and c
	res := &engine.BreakResult{}
	res.NoteBroken(top, "b")
	res.NoteBroken(top, "c")
	res.NoteBroken(top, "a")
	if strings.Join(res.Affected, ",") != "a" || len(res.AffectedByName["a"]) != 0 || strings.Join(res.AffectedByName["c"], ",") != "a" {
		t.Errorf("affected %v, by name %v", res.Affected, res.AffectedByName)
	}
}

func TestNoteBrokenFromOnlyTheScopedCallers(t *testing.T) {
	top := &topology.Topology{Services: map[string]*topology.Service{
		"a": {Name: "a", Calls: []topology.Call{{Service: "b"}, {Service: "c"}}},
		"b": {Name: "b", Calls: []topology.Call{{Service: "d"}}},
		"c": {Name: "c", Calls: []topology.Call{{Service: "d"}}},
		"d": {Name: "d"},
	}}
	res := &engine.BreakResult{}
	res.NoteBroken(top, "d", "b")
	if strings.Join(res.Affected, ",") != "a,b" {
		t.Errorf("d broken from b: affected %v, want a and b (not c)", res.Affected)
	}
}

func TestTopologyRecordRoundTrips(t *testing.T) {
	top := enginetest.Topology()
	raw, hash, err := engine.EncodeTopology(top)
	if err != nil || len(hash) != 12 {
		t.Fatalf("encode: hash %q, %v", hash, err)
	}
	back, err := engine.DecodeTopology(raw)
	if err != nil || back.Name != "p" || back.Services["b"].Replicas != 2 {
		t.Fatalf("decode: %+v, %v", back, err)
	}
	_, again, _ := engine.EncodeTopology(back)
	if again != hash {
		t.Errorf("hash changed on a round trip: %s → %s", hash, again)
	}
	if got := engine.RecordName("p", hash); got != "p-spec-"+hash {
		t.Errorf("record name %s", got)
	}
}

func TestPollStopsWhenDoneAtDeadlineAndOnCancel(t *testing.T) {
	n := 0
	err := engine.Poll(context.Background(), time.Millisecond, time.Now().Add(time.Minute), func() (bool, error) {
		n++
		return n == 3, nil
	})
	if err != nil || n != 3 {
		t.Errorf("done on the third look: n=%d err=%v", n, err)
	}
	boom := errors.New("boom")
	if err := engine.Poll(context.Background(), time.Millisecond, time.Now().Add(time.Minute), func() (bool, error) { return false, boom }); err != boom {
		t.Errorf("check error: %v", err)
	}
	n = 0
	err = engine.Poll(context.Background(), time.Millisecond, time.Now().Add(20*time.Millisecond), func() (bool, error) { n++; return false, nil })
	if !errors.Is(err, engine.ErrPollDeadline) || n < 2 {
		t.Errorf("deadline: n=%d err=%v", n, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = engine.Poll(ctx, time.Hour, time.Now().Add(time.Hour), func() (bool, error) { return false, nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// healer is a Backend that only heals, and counts how.
type healer struct {
	engine.Backend
	heals   atomic.Int32
	healCtx error // the heal context's error when it was called
}

func (h *healer) Heal(ctx context.Context, project string, services []string, _ engine.HealOptions) (*engine.HealResult, error) {
	h.heals.Add(1)
	h.healCtx = ctx.Err()
	return &engine.HealResult{Healed: services}, nil
}

func TestHealAfterWaitsThenHeals(t *testing.T) {
	h := &healer{}
	start := time.Now()
	res, err := engine.HealAfter(context.Background(), h, "p", []string{"c"}, 50*time.Millisecond)
	if err != nil || h.heals.Load() != 1 || strings.Join(res.Healed, ",") != "c" {
		t.Fatalf("res %+v, err %v, heals %d", res, err, h.heals.Load())
	}
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Errorf("healed after %s, before the 50ms were up", waited)
	}
}

func TestHealAfterCtrlCHealsAtOnceAndSaysInterrupted(t *testing.T) {
	h := &healer{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_, err := engine.HealAfter(ctx, h, "p", []string{"c"}, time.Hour)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want the interruption", err)
	}
	if h.heals.Load() != 1 || h.healCtx != nil {
		t.Errorf("heals %d, heal context error %v: want one heal on a live context", h.heals.Load(), h.healCtx)
	}
	if time.Since(start) > time.Second {
		t.Errorf("took %s", time.Since(start))
	}
}

func TestConnectToMissingDaemonSaysSo(t *testing.T) {
	start := time.Now()
	_, err := engine.Connect(context.Background(), engine.ConnectOptions{Client: []client.Opt{client.WithHost("unix:///nonexistent/docker.sock")}})
	if err == nil || !strings.Contains(err.Error(), engine.ErrDaemonUnreachable.Error()) || !strings.Contains(err.Error(), "check DOCKER_HOST") {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 6*time.Second {
		t.Errorf("took %s", time.Since(start))
	}
}

func TestLineWriterKeepsLinesWhole(t *testing.T) {
	var b strings.Builder
	w := engine.NewLineWriter(&b)
	pr, pw := io.Pipe()
	go func() {
		// A log stream as the engine sends it: 8-byte header, then the payload.
		payload := []byte("one\ntwo\n")
		hdr := []byte{1, 0, 0, 0, 0, 0, 0, byte(len(payload))}
		_, _ = pw.Write(append(hdr, payload...))
		pw.Close()
	}()
	if err := engine.CopyLines(pr, "c-1 | ", w); err != nil {
		t.Fatal(err)
	}
	if b.String() != "c-1 | one\nc-1 | two\n" {
		t.Errorf("got %q", b.String())
	}
	opts := engine.LogsOptions{Color: true}
	if p := opts.Prefix(1, 4, "b-1"); p != "\x1b[32mb-1  | \x1b[0m" {
		t.Errorf("coloured prefix %q", p)
	}
}
