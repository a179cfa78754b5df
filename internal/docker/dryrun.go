// up --dry-run: the plan, said and not done.

package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/volume"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

// dryRun fills the result's plan from what the engine holds and changes
// nothing: the images it would build or pull first, as up does them.
func (r *upRun) dryRun(ctx context.Context, all []container.Summary) error {
	images, err := r.b.images.Plan(ctx, r.t, r.opts)
	if err != nil {
		return err
	}
	r.res.Plan = append(r.res.Plan, images.Steps()...)
	if err := r.planResources(ctx); err != nil {
		return err
	}
	p, err := r.plan(all)
	if err != nil {
		return err
	}
	for _, name := range r.t.ServiceNames() {
		for _, s := range p.steps[name] {
			ps := engine.PlanStep{Action: s.action, Kind: "container", Resource: s.spec.Name, Detail: s.why}
			if s.action == "recreate" && s.why == "" {
				ps.Changed = changedFields(engine.ServiceSpec(*s.old), r.t.Services[name])
				if len(ps.Changed) == 0 {
					ps.Detail = "the image or the engine settings changed"
				}
			}
			r.res.Plan = append(r.res.Plan, ps)
		}
	}
	for _, c := range p.remove {
		r.res.Plan = append(r.res.Plan, engine.PlanStep{Action: "remove", Kind: "container", Resource: engine.NameOf(c), Detail: "not in the file"})
	}
	for _, svc := range r.res.Orphans {
		if !r.opts.RemoveOrphans {
			r.res.Plan = append(r.res.Plan, engine.PlanStep{Action: "keep", Kind: "service", Resource: svc, Detail: "an orphan: --remove-orphans removes it"})
		}
	}
	return nil
}

// planResources says whether each network and volume would be created,
// kept, or is external (used as it is; preflight has checked it exists).
func (r *upRun) planResources(ctx context.Context) error {
	for _, n := range usedNetworks(r.t) {
		action := "create"
		if n.External {
			action = "external"
		} else if _, ok, err := r.b.findNetwork(ctx, n.Name); err != nil {
			return err
		} else if ok {
			action = "keep"
		}
		r.res.Plan = append(r.res.Plan, engine.PlanStep{Action: action, Kind: "network", Resource: n.Name})
	}
	vs, err := r.b.api.VolumeList(ctx, volume.ListOptions{})
	if err != nil {
		return fmt.Errorf("list volumes: %w", err)
	}
	have := map[string]bool{}
	for _, v := range vs.Volumes {
		have[v.Name] = true
	}
	keys := slices.Sorted(maps.Keys(r.t.Volumes))
	for _, k := range keys {
		action := "create"
		switch {
		case r.t.Volumes[k].External:
			action = "external"
		case have[r.t.Volumes[k].Name]:
			action = "keep"
		}
		r.res.Plan = append(r.res.Plan, engine.PlanStep{Action: action, Kind: "volume", Resource: r.t.Volumes[k].Name})
	}
	return nil
}

// changedFields names the service's fields that differ, as the topology
// (and `chainctl config --json`) spells them.
func changedFields(old, cur *topology.Service) []string {
	if old == nil {
		return []string{"(the previous definition is not recorded)"}
	}
	a, b := fieldsOf(old), fieldsOf(cur)
	var out []string
	for k := range a {
		if !reflect.DeepEqual(a[k], b[k]) {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func fieldsOf(s *topology.Service) map[string]any {
	raw, _ := json.Marshal(s)
	m := map[string]any{}
	_ = json.Unmarshal(raw, &m)
	return m
}
