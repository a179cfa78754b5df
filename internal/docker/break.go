// Break: inject a lifecycle fault into replicas through the Engine API.

package docker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/progress"
	"github.com/chainctl/chainctl/internal/topology"
)

// chaosState is what break, heal and endpoint work from: the project's
// containers and the topology recorded on the engine, no file needed.
type chaosState struct {
	project string
	t       *topology.Topology
	cs      []container.Summary
	healed  map[string]string // by service: the container heal made or started again as its replica 1
}

func (b *Backend) chaosState(ctx context.Context, project string) (*chaosState, error) {
	cs, t, err := b.snapshot(ctx, project)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 && len(t.Services) == 0 {
		return nil, fmt.Errorf("project %s not found on this engine (see `chainctl ls`)", project)
	}
	return &chaosState{project: project, t: t, cs: cs}, nil
}

// replica is one container slot: the container if it exists, else nil
// (removed).
type replica struct {
	service string
	n       int
	c       *container.Summary
	cname   string
}

// name is the replica's container name: its container's, else the one it
// is created with (container_name included).
func (r replica) name(project string) string {
	if r.cname != "" {
		return r.cname
	}
	return engine.ContainerName(project, r.service, r.n)
}

// selectReplicas resolves targets to replicas, finding each replica's
// container by its labels and the name it is created with (the service's
// container_name, if any); an unknown service lists the known ones.
func (s *chaosState) selectReplicas(targets []engine.Target) ([]replica, error) {
	type slot struct {
		service string
		n       int
	}
	bySlot := map[slot]*container.Summary{}
	for i := range s.cs {
		c := &s.cs[i]
		k := slot{c.Labels[engine.LabelService], engine.ReplicaOf(c.Labels)}
		// Only the replica's own name: a -prev- left by a killed up is not it.
		if svc := s.t.Services[k.service]; svc != nil && engine.NameOf(*c) == engine.ReplicaName(s.project, svc, k.n) {
			bySlot[k] = c
		}
	}
	var out []replica
	var errs []error
	for _, tg := range targets {
		svc, ok := s.t.Services[tg.Service]
		if !ok {
			errs = append(errs, engine.UnknownService(s.t, s.project, tg.Service))
			continue
		}
		if tg.Replica > svc.Replicas {
			errs = append(errs, fmt.Errorf("%s: service %s has %d replica(s)", tg, tg.Service, svc.Replicas))
			continue
		}
		for n := 1; n <= svc.Replicas; n++ {
			if tg.Replica == 0 || tg.Replica == n {
				r := replica{service: tg.Service, n: n, c: bySlot[slot{tg.Service, n}], cname: engine.ReplicaName(s.project, svc, n)}
				if r.c != nil {
					r.cname = engine.NameOf(*r.c)
				}
				out = append(out, r)
			}
		}
	}
	return out, errors.Join(errs...)
}

func (s *chaosState) fault(r replica) string {
	if r.c == nil {
		return engine.FaultRemoved
	}
	return faultOf(s.t, *r.c)
}

// refuseNetworkModes refuses a break that needs the target's own project
// network (disconnect and the network modes) on a service with a
// network_mode.
func (s *chaosState) refuseNetworkModes(reps []replica, mode string) error {
	var errs []error
	seen := map[string]bool{}
	for _, r := range reps {
		if seen[r.service] {
			continue
		}
		seen[r.service] = true
		if err := networkModeRefused(s.t.Services[r.service], mode); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Break injects a fault into the target replicas through the Engine API.
// Replicas that are already broken are left as they are.
func (b *Backend) Break(ctx context.Context, project string, targets []engine.Target, opts engine.BreakOptions) (res *engine.BreakResult, err error) {
	s, opts, done, err := engine.BeginBreak(ctx, b.c, b, project, opts, b.chaosState)
	if err != nil {
		return nil, err
	}
	defer done()
	defer func() { b.recordBreak(ctx, project, opts, res, err) }() // for chainctl events
	reps, err := s.selectReplicas(targets)
	if err != nil {
		return nil, err
	}
	if engine.IsNetworkMode(opts.Mode) || opts.Mode == engine.ModeDisconnect {
		if err := s.refuseNetworkModes(reps, opts.Mode); err != nil {
			return nil, err
		}
	}
	if engine.IsNetworkMode(opts.Mode) {
		if err := opts.CheckNetwork(); err != nil {
			return nil, err
		}
		return b.netBreak(ctx, s, reps, opts)
	}
	res = &engine.BreakResult{AffectedByName: map[string][]string{}}
	var todo []replica
	for _, r := range reps {
		if f := s.fault(r); f != engine.FaultNone {
			res.AlreadyBroken = append(res.AlreadyBroken, fmt.Sprintf("%s (%s)", r.name(project), f))
			continue
		}
		todo = append(todo, r)
	}
	err = engine.Parallel(todo, func(r replica) error { return b.inject(ctx, s, r, opts) })
	for _, r := range todo {
		res.Broken = append(res.Broken, r.name(project))
		res.NoteBroken(s.t, r.service)
	}
	return res, err
}

func (b *Backend) inject(ctx context.Context, s *chaosState, r replica, opts engine.BreakOptions) error {
	c := *r.c
	name := engine.NameOf(c)
	b.c.Progress.Report(progress.Event{Kind: "container", Resource: name, Status: "breaking", Detail: opts.Mode})
	var err error
	switch opts.Mode {
	case engine.ModeKill:
		err = b.api.ContainerKill(ctx, c.ID, opts.KillSignal())
	case engine.ModeStop:
		secs := int(graceFor(c, nil) / time.Second)
		err = b.api.ContainerStop(ctx, c.ID, container.StopOptions{Timeout: &secs})
	case engine.ModePause:
		err = b.api.ContainerPause(ctx, c.ID)
	case engine.ModeDisconnect:
		err = b.disconnectAll(ctx, s, c)
	case engine.ModeRemove:
		err = b.removeNow(ctx, c)
	case engine.ModeRestart:
		zero := 0 // a crash and a come-back, not a graceful restart
		err = b.api.ContainerRestart(ctx, c.ID, container.StopOptions{Timeout: &zero})
	}
	if err != nil {
		b.c.Fail("container", name, err)
		return fmt.Errorf("break %s (%s): %w", name, opts.Mode, err)
	}
	b.c.Progress.Report(progress.Event{Kind: "container", Resource: name, Status: "broken", Detail: opts.Mode, Done: true})
	return nil
}

// disconnectAll cuts the container off every network of its service it is
// on; heal (repair) connects it again to each, as it was created.
func (b *Backend) disconnectAll(ctx context.Context, s *chaosState, c container.Summary) error {
	svc := serviceOf(s.t, c)
	if svc == nil {
		return fmt.Errorf("service %s is not in the recorded topology", c.Labels[engine.LabelService])
	}
	var errs []error
	for _, a := range s.t.NetworksOf(svc) {
		if !engine.OnNetwork(c, a.Name) {
			continue
		}
		if err := b.api.NetworkDisconnect(ctx, a.Name, c.ID, true); err != nil && !engine.Gone(err) {
			errs = append(errs, fmt.Errorf("disconnect from %s: %w", a.Name, err))
		}
	}
	return errors.Join(errs...)
}
