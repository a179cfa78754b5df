// Planning an up: each replica kept, created, recreated, repaired, restarted or removed, by its config hash.

package docker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

// step is what up does to one replica.
type step struct {
	spec   *containerSpec
	old    *container.Summary // the existing container, if any
	action string             // create, recreate, start, repair, restart, keep
	why    string             // what made it so, when its own definition did not change
	id     string             // the container's id once it exists
}

type upPlan struct {
	steps  map[string][]*step // by service, replica 1 first
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

// recreates says whether up makes any new container of the service.
func (p *upPlan) recreates(service string) bool {
	return slices.ContainsFunc(p.steps[service], func(s *step) bool { return s.action == "recreate" || s.action == "create" })
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
	apiVersion := r.b.api.ClientVersion()
	for _, name := range r.t.ServiceNames() {
		svc := r.t.Services[name]
		for n := 1; n <= svc.Replicas; n++ {
			spec, err := buildSpec(r.t, svc, n, r.imageIDs[svc.Image], apiVersion)
			if err != nil {
				return nil, err
			}
			s := &step{spec: spec, action: "create"}
			if old, ok := existing[spec.Name]; ok && old.Labels[engine.LabelService] == name {
				delete(existing, spec.Name)
				s.old, s.id = &old, old.ID
				switch {
				case old.Labels[engine.LabelConfigHash] != spec.Hash:
					s.action = "recreate"
				case old.State == container.StateRunning && len(offNetworks(r.t, old)) == 0:
					s.action = "keep"
				default:
					s.action = "repair"
				}
			}
			p.steps[name] = append(p.steps[name], s)
		}
	}
	if err := r.cascade(p); err != nil {
		return nil, err
	}
	r.removals(p, existing)
	return p, nil
}

// removals are the surplus replicas, and the orphans with RemoveOrphans.
func (r *upRun) removals(p *upPlan, existing map[string]container.Summary) {
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
}

// cascade applies what a service's changes do to others, as compose does:
// a replica in network_mode service:x lives in the namespace of x's
// replica 1, so it is recreated when that container is new or is not the
// one it joined (and restarted when that one starts again from stopped);
// a service whose depends_on.x.restart is true is restarted when up
// recreates x.
func (r *upRun) cascade(p *upPlan) error {
	waves, err := createWaves(r.t)
	if err != nil {
		return err
	}
	for _, wave := range waves {
		for _, name := range wave {
			x := networkModeService(r.t.Services[name])
			if x == "" || len(p.steps[x]) == 0 {
				continue
			}
			parent := p.steps[x][0]
			for _, s := range p.steps[name] {
				if s.old == nil || s.action == "recreate" {
					continue
				}
				switch {
				case parent.action == "create" || parent.action == "recreate":
					s.action, s.why = "recreate", fmt.Sprintf("network_mode service:%s: %s gets a new container", x, x)
				case s.old.HostConfig.NetworkMode != "container:"+parent.id:
					s.action, s.why = "recreate", fmt.Sprintf("network_mode service:%s: it is not in the namespace of %s's container", x, x)
				case s.action == "keep" && parent.action == "repair" && parent.old.State != container.StateRunning && parent.old.State != container.StatePaused:
					s.action, s.why = "restart", fmt.Sprintf("network_mode service:%s: %s starts again, in a new namespace", x, x)
				}
			}
		}
	}
	for _, name := range r.t.ServiceNames() {
		for _, dep := range r.t.Services[name].RestartWith {
			if !p.recreates(dep) {
				continue
			}
			for _, s := range p.steps[name] {
				if s.action == "keep" {
					s.action, s.why = "restart", fmt.Sprintf("depends_on %s with restart: true, and up recreates %s", dep, dep)
				}
			}
		}
	}
	return nil
}

// createWaves orders the services so that each one's containers are
// created after those it needs at create (createAfter): the services of a
// wave need only those of earlier waves.
func createWaves(t *topology.Topology) ([][]string, error) {
	done := map[string]bool{}
	var waves [][]string
	for len(done) < len(t.Services) {
		var wave []string
		for _, name := range t.ServiceNames() {
			if done[name] {
				continue
			}
			ready := true
			for _, dep := range createAfter(t.Services[name]) {
				if t.Services[dep] == nil {
					return nil, fmt.Errorf("service %s needs service %s (network_mode or links), which the project does not have", name, dep)
				}
				ready = ready && done[dep]
			}
			if ready {
				wave = append(wave, name)
			}
		}
		if len(wave) == 0 {
			return nil, fmt.Errorf("services %v need each other's containers to be created first (network_mode service: or links in a cycle)", notDone(t, done))
		}
		for _, name := range wave {
			done[name] = true
		}
		waves = append(waves, wave)
	}
	return waves, nil
}

func notDone(t *topology.Topology, done map[string]bool) []string {
	var out []string
	for _, name := range t.ServiceNames() {
		if !done[name] {
			out = append(out, name)
		}
	}
	return out
}

// apply removes what must go, creates every new container, in parallel
// within each wave of createWaves, then starts them as their depends_on
// allow (startAll).
func (r *upRun) apply(ctx context.Context, p *upPlan) error {
	if err := r.b.removeAll(ctx, p.remove, nil); err != nil {
		return err
	}
	for _, c := range p.remove {
		r.res.Removed = append(r.res.Removed, engine.NameOf(c))
	}
	waves, err := createWaves(r.t)
	if err != nil {
		return err
	}
	for _, wave := range waves {
		var steps []*step
		for _, name := range wave {
			steps = append(steps, p.steps[name]...)
		}
		if err := engine.Parallel(steps, func(s *step) error { return r.prepare(ctx, p, s) }); err != nil {
			return err
		}
	}
	return r.startAll(ctx, p)
}

// prepare brings one replica to "exists, not yet started": create it, or
// remove and create it again when its definition changed.
func (r *upRun) prepare(ctx context.Context, p *upPlan, s *step) error {
	name := s.spec.Name
	switch s.action {
	case "keep", "repair", "restart":
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
	var id string
	err := r.b.limits.creates.Do(ctx, func() error {
		cctx, cancel := r.b.c.Detached(ctx)
		defer cancel()
		var err error
		id, err = r.b.createReplica(cctx, s.spec, func(x string) string {
			if steps := p.steps[x]; len(steps) > 0 {
				return steps[0].id
			}
			return ""
		})
		return err
	})
	if errors.Is(err, context.Canceled) && ctx.Err() != nil && id == "" {
		return err // never sent: the up stopped while it waited for a slot
	}
	if id != "" {
		s.id = id
		r.mu.Lock()
		r.createdContainers = append(r.createdContainers, id)
		r.mu.Unlock()
	}
	if err != nil {
		r.b.c.Fail("container", name, err)
		return fmt.Errorf("create container %s (service %s): %w", name, s.spec.Service, r.b.c.CallErr(err))
	}
	r.mu.Lock()
	if s.action == "recreate" {
		r.res.Recreated = append(r.res.Recreated, name)
	} else {
		r.res.Created = append(r.res.Created, name)
	}
	r.mu.Unlock()
	r.b.c.Report("container", name, "created", false)
	return nil
}
