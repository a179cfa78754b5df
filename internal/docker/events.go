// Events: the engine's events of one project's containers, networks and volumes, with chainctl's own breaks and heals from their records.

package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"

	"github.com/chainctl/chainctl/internal/engine"
)

// eventWatch is what Events knows while it reads the engine's events. The
// engine puts a container's labels on its events, so a container event is
// the project's when its io.chainctl.project says so. Network and volume
// events carry no labels: they are the project's when the object is one
// the project owns (listed by label at the start, or inspected when its
// create event comes), or when they name one of the project's containers.
type eventWatch struct {
	b          *Backend
	project    string
	containers map[string]string // id → name
	networks   map[string]bool   // ids
	volumes    map[string]bool   // names
	records    map[string]bool   // record volumes already shown or left to the replay
	past       []engine.Event    // records from before the start, for the replay
}

// Events streams the project's events (see engine.Observer): the past ones
// from opts.Since, merged with the breaks and heals recorded then, then
// the live ones until opts.Until or ctx ends.
func (b *Backend) Events(ctx context.Context, project string, opts engine.EventsOptions, emit func(engine.Event) error) error {
	start := time.Now()
	since, until, err := engine.EventWindow(opts, start)
	if err != nil {
		return err
	}
	w := &eventWatch{b: b, project: project, containers: map[string]string{}, networks: map[string]bool{}, volumes: map[string]bool{}, records: map[string]bool{}}
	if err := w.load(ctx, start); err != nil {
		return err
	}
	from := start
	if !since.IsZero() && since.Before(start) {
		end := start
		if !until.IsZero() && until.Before(end) {
			end = until
		}
		if err := w.replay(ctx, since, end, emit); err != nil {
			return err
		}
	} else if since.After(start) {
		from = since
	}
	if !until.IsZero() && !until.After(start) {
		return nil
	}
	// From the start, not from now: what happened while the replay ran
	// comes back from the engine's buffer.
	return w.read(ctx, from, until, emit)
}

// load learns what the project owns now: its containers (helpers too),
// networks and volumes, and the records made before start.
func (w *eventWatch) load(ctx context.Context, start time.Time) error {
	cs, err := w.b.api.ContainerList(ctx, container.ListOptions{All: true, Filters: engine.ProjectFilter(w.project)})
	if err != nil {
		return fmt.Errorf("list containers of project %s: %w", w.project, err)
	}
	for _, c := range cs {
		if engine.OwnedBy(c.Labels, w.project) {
			w.containers[c.ID] = engine.NameOf(c)
		}
	}
	ns, err := engine.Networks(ctx, w.b.api, w.project)
	if err != nil {
		return err
	}
	for _, n := range ns {
		if engine.OwnedBy(n.Labels, w.project) {
			w.networks[n.ID] = true
		}
	}
	vs, err := engine.Volumes(ctx, w.b.api, w.project)
	if err != nil {
		return err
	}
	for _, v := range vs {
		switch e, ok := recordEvent(v.Name, v.Labels); {
		case !engine.OwnedBy(v.Labels, w.project):
		case !isRecord(v):
			w.volumes[v.Name] = true
		case ok && e.Time.Before(start):
			// Shown by the replay, from its labels; a later one is left
			// to its create event.
			w.records[v.Name] = true
			w.past = append(w.past, e)
		}
	}
	return nil
}

// replay emits the events between since and end in time order: the
// engine's, merged with the records of that window.
func (w *eventWatch) replay(ctx context.Context, since, end time.Time, emit func(engine.Event) error) error {
	var all []engine.Event
	if err := w.read(ctx, since, end, func(e engine.Event) error { all = append(all, e); return nil }); err != nil {
		return err
	}
	for _, e := range w.past {
		if !e.Time.Before(since) && !e.Time.After(end) {
			all = append(all, e)
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	for _, e := range all {
		if err := emit(e); err != nil {
			return err
		}
	}
	return nil
}

// eventTypes are the engine's events a project has.
func eventTypes() filters.Args {
	return filters.NewArgs(filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("type", string(events.NetworkEventType)), filters.Arg("type", string(events.VolumeEventType)))
}

// read emits the project's engine events from since until until (zero:
// until ctx ends). The engine ends the stream at until: nil.
func (w *eventWatch) read(ctx context.Context, since, until time.Time, emit func(engine.Event) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts := events.ListOptions{Since: unixStamp(since), Filters: eventTypes()}
	if !until.IsZero() {
		opts.Until = unixStamp(until)
	}
	msgs, errs := w.b.c.API.Events(ctx, opts)
	for {
		select {
		case m := <-msgs:
			if e, ok := w.accept(ctx, m); ok {
				if err := emit(e); err != nil {
					return err
				}
			}
		case err := <-errs:
			switch {
			case err == nil || errors.Is(err, io.EOF):
				return nil
			case ctx.Err() != nil:
				return ctx.Err()
			}
			return fmt.Errorf("read the engine's events: %w", err)
		}
	}
}

// unixStamp is t as the engine's events API takes it.
func unixStamp(t time.Time) string {
	return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
}

// accept turns an engine event into the project's Event, or says it is
// not the project's (or not shown: the exec of a health probe).
func (w *eventWatch) accept(ctx context.Context, m events.Message) (engine.Event, bool) {
	attrs := m.Actor.Attributes
	switch m.Type {
	case events.ContainerEventType:
		if attrs[engine.LabelProject] != w.project {
			return engine.Event{}, false
		}
		if name := attrs["name"]; name != "" {
			w.containers[m.Actor.ID] = name
		}
	case events.NetworkEventType:
		if !w.networks[m.Actor.ID] && m.Action == events.ActionCreate {
			n, err := w.b.api.NetworkInspect(ctx, m.Actor.ID, network.InspectOptions{})
			w.networks[m.Actor.ID] = err == nil && engine.OwnedBy(n.Labels, w.project)
		}
		if !w.networks[m.Actor.ID] && !w.ownContainer(attrs["container"]) {
			return engine.Event{}, false
		}
	case events.VolumeEventType:
		return w.volume(ctx, m)
	default:
		return engine.Event{}, false
	}
	return engineEvent(m, w.containerName)
}

// volume is accept for a volume event: a record's create is the record's
// event; its other events, like those of volumes not the project's, are
// not shown.
func (w *eventWatch) volume(ctx context.Context, m events.Message) (engine.Event, bool) {
	name := m.Actor.ID
	if w.records[name] {
		return engine.Event{}, false
	}
	if !w.volumes[name] && m.Action == events.ActionCreate {
		if v, err := w.b.api.VolumeInspect(ctx, name); err == nil && engine.OwnedBy(v.Labels, w.project) {
			if e, ok := recordEvent(name, v.Labels); ok {
				w.records[name] = true
				return e, true
			}
			w.volumes[name] = true
		}
	}
	if !w.volumes[name] && !w.ownContainer(m.Actor.Attributes["container"]) {
		return engine.Event{}, false
	}
	return engineEvent(m, w.containerName)
}

func (w *eventWatch) ownContainer(id string) bool {
	_, ok := w.containers[id]
	return id != "" && ok
}

// containerName is the name of one of the project's containers, else the
// id's first 12 digits.
func (w *eventWatch) containerName(id string) string {
	if n := w.containers[id]; n != "" {
		return n
	}
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// hiddenActions are engine events that say nothing about the project's
// health: the exec of every health probe, and terminal traffic.
var hiddenActions = []string{"exec_create", "exec_start", "exec_die", "exec_detach", "attach", "detach", "resize", "top", "archive-path", "extract-to-dir"}

// engineEvent is an engine event as the project's Event: "health_status:
// healthy" becomes the action health_status with the detail healthy, and
// the detail says what the action's attributes add (an exit code, a
// signal, the container a network or volume event is about).
func engineEvent(m events.Message, containerName func(id string) string) (engine.Event, bool) {
	action, detail, _ := strings.Cut(string(m.Action), ": ")
	for _, h := range hiddenActions {
		if action == h {
			return engine.Event{}, false
		}
	}
	attrs := m.Actor.Attributes
	e := engine.Event{Time: eventTime(m), Kind: string(m.Type), Action: action, Detail: detail, ID: m.Actor.ID}
	switch m.Type {
	case events.ContainerEventType:
		e.Name, e.Service = attrs["name"], attrs[engine.LabelService]
		switch {
		case action == "die" && attrs["exitCode"] != "":
			e.Detail = "exit code " + attrs["exitCode"]
		case action == "kill" && attrs["signal"] != "":
			e.Detail = signalName(attrs["signal"])
		case action == "oom":
			e.Detail = "out of memory"
		case action == "rename" && attrs["oldName"] != "":
			e.Detail = "was " + strings.TrimPrefix(attrs["oldName"], "/")
		}
	case events.NetworkEventType:
		e.Name = attrs["name"]
		if id := attrs["container"]; id != "" {
			e.Detail = containerName(id)
		}
	case events.VolumeEventType:
		e.Name = m.Actor.ID
		e.ID = ""
		if id := attrs["container"]; id != "" {
			e.Detail = containerName(id)
			if d := attrs["destination"]; d != "" {
				e.Detail += ":" + d
			}
		}
	}
	return e, true
}

// eventTime is when the engine says the event happened.
func eventTime(m events.Message) time.Time {
	if m.TimeNano != 0 {
		return time.Unix(0, m.TimeNano)
	}
	return time.Unix(m.Time, 0)
}

// signalName names the signal a kill event gives as a number.
func signalName(n string) string {
	names := map[string]string{"1": "SIGHUP", "2": "SIGINT", "3": "SIGQUIT", "6": "SIGABRT", "9": "SIGKILL", "10": "SIGUSR1", "12": "SIGUSR2", "15": "SIGTERM"}
	if s := names[n]; s != "" {
		return s
	}
	return "signal " + n
}
