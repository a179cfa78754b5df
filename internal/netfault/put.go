// What both backends do with helpers: put a fault on a target in place of its last one, show the faults in force, heal the ones asked for.

package netfault

import (
	"context"
	"fmt"
	"slices"

	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/netfault/spec"
)

// Put puts job on the target in place of the target's helper of the same
// kind, if any (a new delay replaces the old one; a fault and a partition
// live side by side). It returns what it replaced, as "abc-c-1 (delay
// 200ms)", and the new helper's status.
func (in Injector) Put(ctx context.Context, helpers []Helper, tg Target, job spec.Job) ([]string, Status, error) {
	var replaced []string
	for _, h := range helpers {
		if h.Target == tg.ID && h.Job.Kind() == job.Kind() {
			if err := in.Remove(ctx, h); err != nil {
				return replaced, Status{}, err
			}
			replaced = append(replaced, fmt.Sprintf("%s (%s)", tg.Name, h.Job))
		}
	}
	ins, err := in.API.ContainerInspect(ctx, tg.ID)
	if err != nil {
		return replaced, Status{}, fmt.Errorf("inspect %s: %w", tg.Name, err)
	}
	if ins.State == nil || !ins.State.Running {
		return replaced, Status{}, fmt.Errorf("network fault on %s: it is not running", tg.Name)
	}
	tg.StartedAt = ins.State.StartedAt
	st, err := in.Inject(ctx, tg, job)
	return replaced, st, err
}

// InForce describes, by target container ID, the network faults in force
// and, where it varies, the mechanism that holds them: "delay 300ms
// (relay)". A helper whose target restarted since holds nothing any more,
// and is not shown.
func (in Injector) InForce(ctx context.Context, helpers []Helper) map[string][]string {
	out := map[string][]string{}
	inspected := map[string]container.InspectResponse{}
	for _, h := range helpers {
		ins, ok := inspected[h.Target]
		if !ok {
			ins, _ = in.API.ContainerInspect(ctx, h.Target)
			inspected[h.Target] = ins
		}
		if !InForce(h, ins) {
			continue
		}
		text := h.Job.String()
		if st, err := in.status(ctx, h.Container.ID); err == nil && st.Short() != "" {
			text += " (" + st.Short() + ")"
		}
		out[h.Target] = append(out[h.Target], text)
	}
	return out
}

// Heal removes the helpers heal asks for: the network faults of the
// services named (every one when none is), and the partitions when the
// whole project is healed or with partitionOnly. It returns what it
// healed, as "abc-c-1 (delay 200ms)".
func (in Injector) Heal(ctx context.Context, helpers []Helper, services []string, partitionOnly bool) ([]string, error) {
	named := map[string]bool{}
	for _, s := range services {
		tg, _ := engine.ParseTarget(s)
		named[tg.Service] = true
	}
	var todo []Helper
	for _, h := range helpers {
		isPartition := h.Job.Kind() == "partition"
		switch {
		case partitionOnly && !isPartition:
		case !partitionOnly && len(services) > 0 && (isPartition || !named[h.Container.Labels[engine.LabelService]]):
		default:
			todo = append(todo, h)
		}
	}
	healed := make([]string, len(todo))
	err := engine.Parallel(engine.Indexes(len(todo)), func(i int) error {
		h := todo[i]
		healed[i] = fmt.Sprintf("%s (%s)", h.TargetName(), h.Job)
		return in.Remove(ctx, h)
	})
	return healed, err
}

// TargetName is the helper's target as people know it: abc-c-1.
func (h Helper) TargetName() string {
	if n := h.Container.Labels[LabelName]; n != "" {
		return n
	}
	return engine.ShortID(h.Target)
}

// RemoveAll removes helpers at once, without clearing: for down, whose
// targets go away with their namespaces. It returns the helpers' names.
func (in Injector) RemoveAll(ctx context.Context, helpers []Helper) ([]string, error) {
	names := make([]string, len(helpers))
	err := engine.Parallel(engine.Indexes(len(helpers)), func(i int) error {
		names[i] = helpers[i].Name()
		err := in.API.ContainerRemove(ctx, helpers[i].Container.ID, container.RemoveOptions{Force: true})
		if !engine.Gone(err) {
			return fmt.Errorf("remove network-fault helper %s: %w", names[i], err)
		}
		return nil
	})
	return names, err
}

// FreeOthers removes the partition helpers of every target but keep: a
// new partition frees what the last one cut and this one does not. It
// returns what it freed.
func (in Injector) FreeOthers(ctx context.Context, helpers []Helper, keep []string) ([]string, error) {
	var freed []string
	for _, h := range helpers {
		if h.Job.Kind() != "partition" || slices.Contains(keep, h.Target) {
			continue
		}
		if err := in.Remove(ctx, h); err != nil {
			return freed, err
		}
		freed = append(freed, fmt.Sprintf("%s (%s)", h.TargetName(), h.Job))
	}
	return freed, nil
}
