// Planning an up: each replica kept, created, recreated, repaired or removed, by its config hash.

package docker

import (
	"context"
	"fmt"
	"sort"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/docker/docker/api/types/container"
)

// step is what up does to one replica.
type step struct {
	spec   *containerSpec
	old    *container.Summary // the existing container, if any
	action string             // create, recreate, start, repair, keep
	id     string             // the container's id once it exists
}

type upPlan struct {
	steps  map[string][]*step // by service
	remove []container.Summary
}

func (p *upPlan) ids() map[string]string {
	ids := map[string]string{}
	for _, steps := range p.steps {
		for _, s := range steps {
			ids[s.id] = s.spec.Name
		}
	}
	return ids
}

// plan compares the desired containers with the project's existing ones by
// their config-hash label (compose's convergence): unchanged ones are kept,
// changed ones recreated, surplus replicas and (with RemoveOrphans) orphans
// removed.
func (r *upRun) plan(all []container.Summary) (*upPlan, error) {
	existing := map[string]container.Summary{}
	for _, c := range all {
		if engine.OwnedBy(c.Labels, r.t.Name) && c.Labels[engine.LabelRole] == "" {
			existing[engine.NameOf(c)] = c
		}
	}
	p := &upPlan{steps: map[string][]*step{}}
	for _, name := range r.t.ServiceNames() {
		svc := r.t.Services[name]
		for n := 1; n <= svc.Replicas; n++ {
			spec, err := buildSpec(r.t, svc, n, r.imageIDs[svc.Image])
			if err != nil {
				return nil, err
			}
			s := &step{spec: spec, action: "create"}
			if old, ok := existing[spec.Name]; ok {
				delete(existing, spec.Name)
				s.old, s.id = &old, old.ID
				switch {
				case old.Labels[engine.LabelConfigHash] != spec.Hash:
					s.action = "recreate"
				case old.State == container.StateRunning && engine.OnNetwork(old, r.t.Network.Name):
					s.action = "keep"
				default:
					s.action = "repair"
				}
			}
			p.steps[name] = append(p.steps[name], s)
		}
	}
	orphans := map[string]bool{}
	for _, c := range existing {
		svc := c.Labels[engine.LabelService]
		if _, inFile := r.t.Services[svc]; inFile {
			p.remove = append(p.remove, c) // a surplus replica
			continue
		}
		orphans[svc] = true
		if r.opts.RemoveOrphans {
			p.remove = append(p.remove, c)
		}
	}
	for svc := range orphans {
		r.res.Orphans = append(r.res.Orphans, svc)
	}
	sort.Strings(r.res.Orphans)
	return p, nil
}

// apply removes what must go, creates every new container in parallel, then
// starts them as their depends_on allow (startAll).
func (r *upRun) apply(ctx context.Context, netID string, p *upPlan) error {
	if err := engine.Parallel(p.remove, func(c container.Summary) error {
		return r.b.removeContainer(ctx, c, nil)
	}); err != nil {
		return err
	}
	for _, c := range p.remove {
		r.res.Removed = append(r.res.Removed, engine.NameOf(c))
	}
	var all []*step
	for _, name := range r.t.ServiceNames() {
		all = append(all, p.steps[name]...)
	}
	if err := engine.Parallel(all, func(s *step) error { return r.prepare(ctx, netID, s) }); err != nil {
		return err
	}
	return r.startAll(ctx, p)
}

// prepare brings one replica to "exists, not yet started": create it, or
// remove and create it again when its definition changed.
func (r *upRun) prepare(ctx context.Context, netID string, s *step) error {
	name := s.spec.Name
	switch s.action {
	case "keep", "repair":
		return nil
	case "recreate":
		r.b.c.Report("container", name, "recreating", false)
		if err := r.setAside(ctx, s); err != nil {
			return err
		}
	default:
		r.b.c.Report("container", name, "creating", false)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cctx, cancel := r.b.c.Detached(ctx)
	defer cancel()
	resp, err := r.b.api.ContainerCreate(cctx, s.spec.Config, s.spec.Host, s.spec.Net, nil, name)
	if err != nil {
		r.b.c.Fail("container", name, err)
		return fmt.Errorf("create container %s (service %s): %w", name, s.spec.Service, r.b.c.CallErr(err))
	}
	s.id = resp.ID
	r.mu.Lock()
	r.createdContainers = append(r.createdContainers, resp.ID)
	if s.action == "recreate" {
		r.res.Recreated = append(r.res.Recreated, name)
	} else {
		r.res.Created = append(r.res.Created, name)
	}
	r.mu.Unlock()
	r.b.c.Report("container", name, "created", false)
	return nil
}
