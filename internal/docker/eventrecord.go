// The records of chainctl's own breaks and heals: one empty labelled volume each, for events to show, removed by down.

package docker

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/volume"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/progress"
)

// A record is an empty volume chainctl-event-<project>-<unix ns> whose
// labels say what chainctl did. It is on the engine, not in chainctl: it
// outlives a chainctl that is killed, other machines see it, its create
// is an engine event that a live `events` reads, and a later `events
// --since` finds it by its labels long after the engine forgot the event.
// It carries the project's label and the role event, so down removes it
// with the project, and nothing else is ever touched.
const (
	labelEvent       = "io.chainctl.event"        // what chainctl did: break, heal
	labelEventTime   = "io.chainctl.event-time"   // when, RFC 3339 with nanoseconds
	labelEventNames  = "io.chainctl.event-names"  // the containers it changed, comma-separated
	labelEventDetail = "io.chainctl.event-detail" // the fault (as ps shows it), or what heal undid
	// maxRecords bounds the records a project keeps: the oldest go first.
	maxRecords = 200
)

// recordBreak records a break that changed something. It is deferred by
// Break, with its results.
func (b *Backend) recordBreak(ctx context.Context, project string, opts engine.BreakOptions, res *engine.BreakResult, err error) {
	if res == nil || len(res.Broken) == 0 {
		return
	}
	detail := faultText(opts)
	if err != nil {
		detail += "; failed: " + err.Error()
	}
	b.record(ctx, project, engine.ActionBreak, res.Broken, detail)
}

// recordHeal records a heal that repaired something. It is deferred by
// Heal, with its results.
func (b *Backend) recordHeal(ctx context.Context, project string, res *engine.HealResult, err error) {
	if res == nil || len(res.Healed) == 0 {
		return
	}
	names, detail := healedText(res.Healed)
	if err != nil {
		detail += "; failed: " + err.Error()
	}
	b.record(ctx, project, engine.ActionHeal, names, detail)
}

// faultText is the fault of a break as ps shows it: "kill SIGKILL",
// "pause", "delay 200ms from a".
func faultText(o engine.BreakOptions) string {
	switch {
	case engine.IsNetworkMode(o.Mode) && o.Net != nil:
		f := *o.Net
		f.FromNames = o.From
		return f.String()
	case o.Mode == engine.ModeKill:
		return "kill " + o.KillSignal()
	}
	return o.Mode
}

// healedText reads heal's "abc-c-1 (killed)" entries: the containers, and
// what was undone ("killed"; with several containers, each entry).
func healedText(healed []string) ([]string, string) {
	names := make([]string, len(healed))
	for i, h := range healed {
		names[i], _, _ = strings.Cut(h, " (")
	}
	if len(healed) == 1 {
		_, fault, _ := strings.Cut(healed[0], " (")
		return names, strings.TrimSuffix(fault, ")")
	}
	return names, strings.Join(healed, ", ")
}

// record makes one record, on a context a Ctrl-C cannot cut (the change
// it records happened), and drops the oldest beyond maxRecords. A record
// that cannot be made does not fail the change: it is said on stderr.
func (b *Backend) record(ctx context.Context, project, action string, names []string, detail string) {
	ctx, cancel := b.c.Detached(ctx)
	defer cancel()
	now := time.Now()
	_, err := b.api.VolumeCreate(ctx, volume.CreateOptions{
		Name: fmt.Sprintf("chainctl-event-%s-%d", project, now.UnixNano()),
		Labels: map[string]string{
			engine.LabelProject: project, engine.LabelRole: engine.RoleEvent, labelEvent: action,
			labelEventTime: now.UTC().Format(time.RFC3339Nano), labelEventNames: strings.Join(names, ","), labelEventDetail: detail,
		},
	})
	if err == nil {
		err = b.pruneRecords(ctx, project)
	}
	if err != nil {
		b.c.Progress.Report(progress.Event{Kind: "project", Resource: project, Status: "not recorded", Done: true,
			Detail: fmt.Sprintf("the %s, for chainctl events: %v", action, err)})
	}
}

// recordEvent reads a record's labels as its event; ok is false for a
// volume that is not a record.
func recordEvent(name string, labels map[string]string) (engine.Event, bool) {
	t, err := time.Parse(time.RFC3339Nano, labels[labelEventTime])
	if labels[engine.LabelRole] != engine.RoleEvent || labels[labelEvent] == "" || err != nil {
		return engine.Event{}, false
	}
	return engine.Event{Time: t, Kind: engine.EventChainctl, Name: labels[labelEventNames], Action: labels[labelEvent],
		Detail: labels[labelEventDetail], ID: name}, true
}

// records lists the project's records, oldest first.
func (b *Backend) records(ctx context.Context, project string) ([]engine.Event, error) {
	vs, err := b.api.VolumeList(ctx, volume.ListOptions{Filters: engine.ProjectFilter(project, filters.Arg("label", engine.LabelRole+"="+engine.RoleEvent))})
	if err != nil {
		return nil, fmt.Errorf("list the event records of project %s: %w", project, err)
	}
	var out []engine.Event
	for _, v := range vs.Volumes {
		if e, ok := recordEvent(v.Name, v.Labels); ok && engine.OwnedBy(v.Labels, project) {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, nil
}

// pruneRecords removes the oldest records beyond maxRecords.
func (b *Backend) pruneRecords(ctx context.Context, project string) error {
	recs, err := b.records(ctx, project)
	if err != nil || len(recs) <= maxRecords {
		return err
	}
	for _, r := range recs[:len(recs)-maxRecords] {
		if err := b.removeRecord(ctx, r.ID); err != nil {
			return err
		}
	}
	return nil
}

// isRecord reports whether a volume of the project is one of its records:
// chainctl's own bookkeeping, not one of the project's volumes (down
// removes it whatever --keep-volumes says, and does not count it).
func isRecord(v *volume.Volume) bool {
	return v.Labels[engine.LabelRole] == engine.RoleEvent
}

// removeRecord removes one record; one already gone is fine.
func (b *Backend) removeRecord(ctx context.Context, name string) error {
	if err := b.api.VolumeRemove(ctx, name, true); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove the event record %s: %w", name, err)
	}
	return nil
}
