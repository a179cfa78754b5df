// Break on a swarm: kill, pause or disconnect a local task, scale a service to zero or remove it.

package swarm

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/swarm"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/progress"
	"github.com/chainctl/chainctl/internal/topology"
)

// Break injects a fault on a swarm. kill, pause and disconnect act on a
// task's container, so only on tasks that run on this engine's node; kill
// shows the swarm's self-healing (it starts a new task). scale-zero and
// remove act on whole services, anywhere in the swarm.
func (s *Backend) Break(ctx context.Context, project string, targets []engine.Target, opts engine.BreakOptions) (*engine.BreakResult, error) {
	cs, opts, done, err := engine.BeginBreak(ctx, s.c, s, project, opts, s.chaosState)
	if err != nil {
		return nil, err
	}
	defer done()
	t, st := cs.t, cs.st
	if err := checkTargets(t, project, targets); err != nil {
		return nil, err
	}
	if engine.IsNetworkMode(opts.Mode) {
		return s.netBreak(ctx, cs, project, targets, opts)
	}
	res := &engine.BreakResult{AffectedByName: map[string][]string{}}
	var errs []error
	for _, tg := range targets {
		svc, ok := st.services[tg.Service]
		switch {
		case !ok:
			res.AlreadyBroken = append(res.AlreadyBroken, ServiceName(project, tg.Service)+" (removed)")
			continue
		case engine.ReplicasOf(svc) == 0:
			res.AlreadyBroken = append(res.AlreadyBroken, ServiceName(project, tg.Service)+" (scaled-zero)")
			continue
		}
		broken, already, err := s.inject(ctx, st, t, svc, tg, opts)
		if err != nil {
			errs = append(errs, err)
		}
		res.AlreadyBroken = append(res.AlreadyBroken, already...)
		if len(broken) == 0 {
			continue
		}
		res.Broken = append(res.Broken, broken...)
		res.NoteBroken(t, tg.Service)
	}
	return res, errors.Join(errs...)
}

// chaos is what break and heal work from: the recorded topology and one
// snapshot of the swarm.
type chaos struct {
	t  *topology.Topology
	st *swarmState
}

func (s *Backend) chaosState(ctx context.Context, project string) (*chaos, error) {
	t, err := s.storedTopology(ctx, project)
	if err != nil {
		return nil, err
	}
	st, err := s.state(ctx, project)
	if err != nil {
		return nil, err
	}
	return &chaos{t: t, st: st}, nil
}

func checkTargets(t *topology.Topology, project string, targets []engine.Target) error {
	var errs []error
	for _, tg := range targets {
		svc, ok := t.Services[tg.Service]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("no service %q in project %s (services: %s)", tg.Service, project, strings.Join(t.ServiceNames(), ", ")))
		case tg.Replica > svc.Replicas:
			errs = append(errs, fmt.Errorf("%s: service %s has %d replica(s)", tg, tg.Service, svc.Replicas))
		}
	}
	return errors.Join(errs...)
}

// inject breaks one target and returns what it broke and what it found
// broken already ("abc-c.1 (paused)").
func (s *Backend) inject(ctx context.Context, st *swarmState, t *topology.Topology, svc swarm.Service, tg engine.Target, opts engine.BreakOptions) (broken, already []string, err error) {
	name := svc.Spec.Name
	report := func(what string) {
		s.c.Progress.Report(progress.Event{Kind: "service", Resource: what, Status: "broken", Detail: opts.Mode, Done: true})
	}
	switch opts.Mode {
	case engine.ModeScaleZero, engine.ModeRemove:
		if tg.Replica != 0 {
			return nil, nil, fmt.Errorf("%s: %s acts on the whole service on a swarm; name the service without /N", tg, opts.Mode)
		}
		var err error
		if opts.Mode == engine.ModeRemove {
			err = s.api.ServiceRemove(ctx, svc.ID)
		} else {
			err = s.setReplicas(ctx, svc, 0)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s: %w", opts.Mode, name, err)
		}
		report(name)
		return []string{name}, nil, nil
	}
	// kill, pause, disconnect: a running task's container on this node.
	var errs []error
	for slot, task := range st.current(tg.Service) {
		if tg.Replica != 0 && slot != tg.Replica {
			continue
		}
		taskName := fmt.Sprintf("%s.%d", name, slot)
		c, local := st.containers[task.ID]
		if !local {
			errs = append(errs, fmt.Errorf("%s runs on node %s: %s acts on this engine's tasks only; use --mode scale-zero or remove", taskName, st.node(task.NodeID), opts.Mode))
			continue
		}
		if f := engine.Fault(c, t.Network.Name); f != engine.FaultNone {
			already = append(already, fmt.Sprintf("%s (%s)", taskName, f))
			continue
		}
		var err error
		switch opts.Mode {
		case engine.ModeKill:
			err = s.api.ContainerKill(ctx, c.ID, opts.KillSignal())
		case engine.ModePause:
			err = s.api.ContainerPause(ctx, c.ID)
		case engine.ModeDisconnect:
			err = s.api.NetworkDisconnect(ctx, t.Network.Name, c.ID, true)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", opts.Mode, taskName, err))
			continue
		}
		report(taskName)
		broken = append(broken, taskName)
	}
	sort.Strings(broken)
	return broken, already, errors.Join(errs...)
}

func (s *Backend) setReplicas(ctx context.Context, svc swarm.Service, n int) error {
	spec := svc.Spec
	r := uint64(n)
	spec.Mode = swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &r}}
	_, err := s.api.ServiceUpdate(ctx, svc.ID, svc.Version, spec, swarm.ServiceUpdateOptions{})
	return err
}
