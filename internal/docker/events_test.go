// Tests of events: engine events as the project's, ownership of networks and volumes, and the records of break and heal on the real daemon.

package docker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/enginetest"
	"github.com/chainctl/chainctl/internal/netfault/spec"
)

func message(typ events.Type, action, id string, attrs map[string]string) events.Message {
	return events.Message{Type: typ, Action: events.Action(action), Actor: events.Actor{ID: id, Attributes: attrs}, TimeNano: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC).UnixNano()}
}

func TestEventsEngineEventSaysWhatHappened(t *testing.T) {
	names := func(id string) string { return map[string]string{"c1": "p-c-1"}[id] }
	ctr := map[string]string{"name": "p-c-1", engine.LabelService: "c", engine.LabelProject: "p"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range ctr {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for _, c := range []struct {
		m                   events.Message
		kind, name, action  string
		detail, service, id string
	}{
		{message(events.ContainerEventType, "die", "c1", with(map[string]string{"exitCode": "137"})), "container", "p-c-1", "die", "exit code 137", "c", "c1"},
		{message(events.ContainerEventType, "kill", "c1", with(map[string]string{"signal": "9"})), "container", "p-c-1", "kill", "SIGKILL", "c", "c1"},
		{message(events.ContainerEventType, "kill", "c1", with(map[string]string{"signal": "28"})), "container", "p-c-1", "kill", "signal 28", "c", "c1"},
		{message(events.ContainerEventType, "health_status: unhealthy", "c1", ctr), "container", "p-c-1", "health_status", "unhealthy", "c", "c1"},
		{message(events.ContainerEventType, "pause", "c1", ctr), "container", "p-c-1", "pause", "", "c", "c1"},
		{message(events.NetworkEventType, "disconnect", "n1", map[string]string{"name": "p-net", "container": "c1"}), "network", "p-net", "disconnect", "p-c-1", "", "n1"},
		{message(events.NetworkEventType, "connect", "n1", map[string]string{"name": "p-net", "container": "0123456789abcdef"}), "network", "p-net", "connect", "0123456789ab", "", "n1"},
		{message(events.VolumeEventType, "mount", "p-data", map[string]string{"container": "c1", "destination": "/data"}), "volume", "p-data", "mount", "p-c-1:/data", "", ""},
		{message(events.VolumeEventType, "destroy", "p-data", nil), "volume", "p-data", "destroy", "", "", ""},
	} {
		e, ok := engineEvent(c.m, (&eventWatch{containers: map[string]string{"c1": names("c1")}}).containerName)
		if !ok {
			t.Errorf("%s %s: hidden", c.m.Type, c.m.Action)
			continue
		}
		got := []string{e.Kind, e.Name, e.Action, e.Detail, e.Service, e.ID}
		want := []string{c.kind, c.name, c.action, c.detail, c.service, c.id}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s %s: got %q, want %q", c.m.Type, c.m.Action, got, want)
		}
		if !e.Time.Equal(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)) {
			t.Errorf("%s %s: time %s", c.m.Type, c.m.Action, e.Time)
		}
	}
	for _, action := range []string{"exec_create: /link -health", "exec_start: /link -health", "exec_die", "attach", "resize"} {
		if e, ok := engineEvent(message(events.ContainerEventType, action, "c1", ctr), names); ok {
			t.Errorf("%s shown: %+v", action, e)
		}
	}
}

// ownAPI answers the inspects of accept: n-mine and v-mine are project
// p's, n-other and v-other project q's, v-rec is p's record of a break.
type ownAPI struct {
	api
	inspected []string
}

func (f *ownAPI) NetworkInspect(_ context.Context, id string, _ network.InspectOptions) (network.Inspect, error) {
	f.inspected = append(f.inspected, id)
	return network.Inspect{ID: id, Labels: map[string]string{engine.LabelProject: map[string]string{"n-mine": "p", "n-other": "q"}[id]}}, nil
}

func (f *ownAPI) VolumeInspect(_ context.Context, name string) (volume.Volume, error) {
	f.inspected = append(f.inspected, name)
	switch name {
	case "v-rec":
		return volume.Volume{Name: name, Labels: map[string]string{engine.LabelProject: "p", engine.LabelRole: engine.RoleEvent,
			labelEvent: engine.ActionBreak, labelEventTime: "2024-05-06T07:08:09.5Z", labelEventNames: "p-c-1", labelEventDetail: "kill SIGKILL"}}, nil
	case "v-mine":
		return volume.Volume{Name: name, Labels: map[string]string{engine.LabelProject: "p"}}, nil
	}
	return volume.Volume{Name: name, Labels: map[string]string{engine.LabelProject: "q"}}, nil
}

func TestEventsAcceptOnlyTheProjectsOwn(t *testing.T) {
	f := &ownAPI{}
	w := &eventWatch{b: &Backend{api: f}, project: "p", containers: map[string]string{}, networks: map[string]bool{}, volumes: map[string]bool{}, records: map[string]bool{}}
	ctx := context.Background()
	type step struct {
		m    events.Message
		want string // "": not shown
	}
	for i, s := range []step{
		{message(events.ContainerEventType, "create", "c1", map[string]string{"name": "p-c-1", engine.LabelProject: "p"}), "container p-c-1 create"},
		{message(events.ContainerEventType, "die", "c9", map[string]string{"name": "q-c-1", engine.LabelProject: "q"}), ""},
		{message(events.ContainerEventType, "die", "c8", map[string]string{"name": "pp-c-1", engine.LabelProject: "pp"}), ""},
		{message(events.NetworkEventType, "create", "n-mine", map[string]string{"name": "p-net"}), "network p-net create"},
		{message(events.NetworkEventType, "create", "n-other", map[string]string{"name": "q-net"}), ""},
		{message(events.NetworkEventType, "connect", "n-other", map[string]string{"name": "q-net", "container": "c9"}), ""},
		// p's container on a network that is not p's: still p's event.
		{message(events.NetworkEventType, "connect", "n-other", map[string]string{"name": "q-net", "container": "c1"}), "network q-net connect"},
		{message(events.NetworkEventType, "destroy", "n-mine", map[string]string{"name": "p-net"}), "network p-net destroy"},
		{message(events.VolumeEventType, "create", "v-mine", nil), "volume v-mine create"},
		{message(events.VolumeEventType, "create", "v-other", nil), ""},
		{message(events.VolumeEventType, "create", "v-rec", nil), "chainctl p-c-1 break"},
		{message(events.VolumeEventType, "destroy", "v-rec", nil), ""},
		{message(events.VolumeEventType, "destroy", "v-other", nil), ""},
		{message(events.VolumeEventType, "destroy", "v-mine", nil), "volume v-mine destroy"},
		{message(events.ImageEventType, "pull", "img", nil), ""},
	} {
		e, ok := w.accept(ctx, s.m)
		got := ""
		if ok {
			got = e.Kind + " " + e.Name + " " + e.Action
		}
		if got != s.want {
			t.Errorf("step %d (%s %s %s): got %q, want %q", i, s.m.Type, s.m.Action, s.m.Actor.ID, got, s.want)
		}
	}
	// Each object is inspected once, at its create.
	if strings.Join(f.inspected, ",") != "n-mine,n-other,v-mine,v-other,v-rec" {
		t.Errorf("inspected %v", f.inspected)
	}
}

func TestEventsRecordTexts(t *testing.T) {
	delay := &spec.Fault{Delay: 200 * time.Millisecond}
	for _, c := range []struct {
		o    engine.BreakOptions
		want string
	}{
		{engine.BreakOptions{Mode: engine.ModeKill}, "kill SIGKILL"},
		{engine.BreakOptions{Mode: engine.ModeKill, Signal: "SIGTERM"}, "kill SIGTERM"},
		{engine.BreakOptions{Mode: engine.ModePause}, "pause"},
		{engine.BreakOptions{Mode: engine.ModeDelay, Net: delay, From: []string{"a"}}, "delay 200ms from a"},
	} {
		if got := faultText(c.o); got != c.want {
			t.Errorf("%+v: %q, want %q", c.o, got, c.want)
		}
	}
	names, detail := healedText([]string{"p-c-1 (killed)"})
	if strings.Join(names, ",") != "p-c-1" || detail != "killed" {
		t.Errorf("one healed: %v %q", names, detail)
	}
	names, detail = healedText([]string{"p-b-1 (paused)", "p-c-1 (removed; the image moved)"})
	if strings.Join(names, ",") != "p-b-1,p-c-1" || detail != "p-b-1 (paused), p-c-1 (removed; the image moved)" {
		t.Errorf("two healed: %v %q", names, detail)
	}
	if _, ok := recordEvent("v", map[string]string{engine.LabelProject: "p", labelEvent: "break", labelEventTime: "yesterday", engine.LabelRole: engine.RoleEvent}); ok {
		t.Error("a record with no readable time was read")
	}
}

// watch runs Events in the background; its events come on the channel,
// which is closed when it returns. It ends with the test.
func watch(t *testing.T, b *Backend, project string, opts engine.EventsOptions) <-chan engine.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan engine.Event, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		err := b.Events(ctx, project, opts, func(e engine.Event) error { out <- e; return nil })
		if err != nil && ctx.Err() == nil {
			t.Errorf("events of %s: %v", project, err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return out
}

// next is the next event of kind chainctl, failing the test on another
// project's event or after the deadline.
func nextRecord(t *testing.T, es <-chan engine.Event, other string) engine.Event {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e, ok := <-es:
			if !ok {
				t.Fatal("events ended before the record came")
			}
			if strings.Contains(e.Name, other) || strings.Contains(e.ID, other) {
				t.Errorf("project %s's event shown: %+v", other, e)
			}
			if e.Kind == engine.EventChainctl {
				return e
			}
		case <-deadline:
			t.Fatal("no record within 20s")
		}
	}
}

// A record is on the engine: a live Events sees it come, a later one
// replays it from its labels, another project's never shows, and down
// removes it.
func TestEventsRecordsLiveReplayedAndRemovedByDown(t *testing.T) {
	b, cli := daemon(t)
	p, q := enginetest.Project(t), enginetest.Project(t)+"q"
	t.Cleanup(func() {
		for _, p := range []string{p, q} {
			_, _ = b.Down(context.Background(), p, engine.DownOptions{})
			enginetest.AssertNothingLeft(t, cli, p)
		}
	})
	ctx := context.Background()
	since := time.Now().Add(-time.Second).Format(time.RFC3339Nano)
	live := watch(t, b, p, engine.EventsOptions{Since: since})
	b.record(ctx, q, engine.ActionBreak, []string{q + "-c-1"}, "kill SIGKILL")
	b.record(ctx, p, engine.ActionBreak, []string{p + "-c-1"}, "kill SIGKILL")
	got := []engine.Event{nextRecord(t, live, q)}
	// The break was shown, so the watch had started: the heal comes live.
	b.record(ctx, q, engine.ActionHeal, []string{q + "-c-1"}, "killed")
	b.record(ctx, p, engine.ActionHeal, []string{p + "-c-1"}, "killed")
	got = append(got, nextRecord(t, live, q))
	replayed := watch(t, b, p, engine.EventsOptions{Since: since, Until: "0s"})
	again := []engine.Event{nextRecord(t, replayed, q), nextRecord(t, replayed, q)}
	want := "break " + p + "-c-1 kill SIGKILL,heal " + p + "-c-1 killed"
	for name, es := range map[string][]engine.Event{"live": got, "replayed": again} {
		var seen []string
		for _, e := range es {
			seen = append(seen, e.Action+" "+e.Name+" "+e.Detail)
		}
		if strings.Join(seen, ",") != want {
			t.Errorf("%s: records %q, want %q", name, seen, want)
		}
	}
	for e := range replayed {
		t.Errorf("replayed after the heal: %+v", e) // --until 0s: nothing after, and the channel closes
	}
	if _, err := b.Down(ctx, p, engine.DownOptions{}); err != nil {
		t.Fatal(err)
	}
	if recs, err := b.records(ctx, p); err != nil || len(recs) != 0 {
		t.Errorf("records of %s after down: %v %v", p, recs, err)
	}
	if recs, err := b.records(ctx, q); err != nil || len(recs) != 2 {
		t.Errorf("records of %s after %s's down: %v %v", q, p, recs, err)
	}
}
