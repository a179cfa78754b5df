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
}

func (r replica) name(project string) string { return engine.ContainerName(project, r.service, r.n) }

// selectReplicas resolves targets to replicas; an unknown service lists the
// known ones.
func (s *chaosState) selectReplicas(targets []engine.Target) ([]replica, error) {
	byName := map[string]*container.Summary{}
	for i := range s.cs {
		byName[engine.NameOf(s.cs[i])] = &s.cs[i]
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
				out = append(out, replica{service: tg.Service, n: n, c: byName[engine.ContainerName(s.project, tg.Service, n)]})
			}
		}
	}
	return out, errors.Join(errs...)
}

func (s *chaosState) fault(r replica) string {
	if r.c == nil {
		return engine.FaultRemoved
	}
	return engine.Fault(*r.c, s.t.Network.Name)
}

// Break injects a fault into the target replicas through the Engine API.
// Replicas that are already broken are left as they are.
func (b *Backend) Break(ctx context.Context, project string, targets []engine.Target, opts engine.BreakOptions) (*engine.BreakResult, error) {
	s, opts, done, err := engine.BeginBreak(ctx, b.c, b, project, opts, b.chaosState)
	if err != nil {
		return nil, err
	}
	defer done()
	reps, err := s.selectReplicas(targets)
	if err != nil {
		return nil, err
	}
	if engine.IsNetworkMode(opts.Mode) {
		if err := opts.CheckNetwork(); err != nil {
			return nil, err
		}
		return b.netBreak(ctx, s, reps, opts)
	}
	res := &engine.BreakResult{AffectedByName: map[string][]string{}}
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
		err = b.api.NetworkDisconnect(ctx, s.t.Network.Name, c.ID, true)
	case engine.ModeRemove:
		err = b.api.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
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
