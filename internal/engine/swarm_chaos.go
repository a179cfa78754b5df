package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/swarm"

	"github.com/chainctl/chainctl/internal/progress"
	"github.com/chainctl/chainctl/internal/topology"
)

// Break injects a fault on a swarm. kill, pause and disconnect act on a
// task's container, so only on tasks that run on this engine's node; kill
// shows the swarm's self-healing (it starts a new task). scale-zero and
// remove act on whole services, anywhere in the swarm.
func (s *Swarm) Break(ctx context.Context, project string, targets []Target, opts BreakOptions) (*BreakResult, error) {
	if opts.Mode == "" {
		opts.Mode = ModeKill
	}
	if err := checkMode(KindSwarm, opts.Mode, swarmBreakModes); err != nil {
		return nil, err
	}
	unlock, err := s.e.lockProject(ctx, project)
	if err != nil {
		return nil, err
	}
	defer unlock()
	t, err := s.storedTopology(ctx, project)
	if err != nil {
		return nil, err
	}
	st, err := s.state(ctx, project)
	if err != nil {
		return nil, err
	}
	if err := checkTargets(t, project, targets); err != nil {
		return nil, err
	}
	res := &BreakResult{AffectedByName: map[string][]string{}}
	var errs []error
	for _, tg := range targets {
		svc, ok := st.services[tg.Service]
		switch {
		case !ok:
			res.AlreadyBroken = append(res.AlreadyBroken, ServiceName(project, tg.Service)+" (removed)")
			continue
		case replicasOf(svc) == 0:
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
		res.AffectedByName[tg.Service] = t.Callers(tg.Service)
	}
	affected := map[string]bool{}
	for _, callers := range res.AffectedByName {
		for _, c := range callers {
			affected[c] = true
		}
	}
	for c := range affected {
		res.Affected = append(res.Affected, c)
	}
	sort.Strings(res.Affected)
	return res, errors.Join(errs...)
}

func checkTargets(t *topology.Topology, project string, targets []Target) error {
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
func (s *Swarm) inject(ctx context.Context, st *swarmState, t *topology.Topology, svc swarm.Service, tg Target, opts BreakOptions) (broken, already []string, err error) {
	name := svc.Spec.Name
	report := func(what string) {
		s.e.progress.Report(progress.Event{Kind: "service", Resource: what, Status: "broken", Detail: opts.Mode, Done: true})
	}
	switch opts.Mode {
	case ModeScaleZero, ModeRemove:
		if tg.Replica != 0 {
			return nil, nil, fmt.Errorf("%s: %s acts on the whole service on a swarm; name the service without /N", tg, opts.Mode)
		}
		var err error
		if opts.Mode == ModeRemove {
			err = s.e.api.ServiceRemove(ctx, svc.ID)
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
		if f := fault(c, t.Network.Name); f != FaultNone {
			already = append(already, fmt.Sprintf("%s (%s)", taskName, f))
			continue
		}
		var err error
		switch opts.Mode {
		case ModeKill:
			sig := opts.Signal
			if sig == "" {
				sig = "SIGKILL"
			}
			err = s.e.api.ContainerKill(ctx, c.ID, sig)
		case ModePause:
			err = s.e.api.ContainerPause(ctx, c.ID)
		case ModeDisconnect:
			err = s.e.api.NetworkDisconnect(ctx, t.Network.Name, c.ID, true)
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

func (s *Swarm) setReplicas(ctx context.Context, svc swarm.Service, n int) error {
	spec := svc.Spec
	r := uint64(n)
	spec.Mode = swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &r}}
	_, err := s.e.api.ServiceUpdate(ctx, svc.ID, svc.Version, spec, swarm.ServiceUpdateOptions{})
	return err
}

// Heal restores the recorded spec of the services (all when none is
// named): a removed service is recreated, a scaled-down one scaled back,
// a paused or disconnected task on this node resumed or reconnected; a
// killed task needs nothing, the swarm has replaced it. Then it waits.
func (s *Swarm) Heal(ctx context.Context, project string, services []string, opts HealOptions) (*HealResult, error) {
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = DefaultWaitTimeout
	}
	unlock, err := s.e.lockProject(ctx, project)
	if err != nil {
		return nil, err
	}
	defer unlock()
	t, err := s.storedTopology(ctx, project)
	if err != nil {
		return nil, err
	}
	if len(services) == 0 {
		services = t.ServiceNames()
	}
	var targets []Target
	for _, name := range services {
		tg, err := ParseTarget(name)
		if err != nil {
			return nil, err
		}
		targets = append(targets, Target{Service: tg.Service})
	}
	if err := checkTargets(t, project, targets); err != nil {
		return nil, err
	}
	st, err := s.state(ctx, project)
	if err != nil {
		return nil, err
	}
	netID, err := s.ensureNetwork(ctx, t)
	if err != nil {
		return nil, err
	}
	res := &HealResult{}
	var names []string
	for _, tg := range targets {
		healed, err := s.healService(ctx, st, t, tg.Service, netID)
		if err != nil {
			return res, err
		}
		if len(healed) == 0 {
			res.Healthy = append(res.Healthy, ServiceName(project, tg.Service))
		}
		res.Healed = append(res.Healed, healed...)
		names = append(names, tg.Service)
	}
	if opts.NoWait {
		return res, nil
	}
	return res, s.waitServices(ctx, t, names, opts.WaitTimeout)
}

func (s *Swarm) healService(ctx context.Context, st *swarmState, t *topology.Topology, name, netID string) ([]string, error) {
	svcName := ServiceName(t.Name, name)
	cur, ok := st.services[name]
	if !ok {
		spec, err := swarmServiceSpec(t, t.Services[name], netID, UpOptions{}, s.e.api.ClientVersion())
		if err != nil {
			return nil, err
		}
		if _, err := s.converge(ctx, spec, swarm.Service{}); err != nil {
			return nil, err
		}
		return []string{svcName + " (removed)"}, nil
	}
	if want := t.Services[name].Replicas; replicasOf(cur) != want {
		if err := s.setReplicas(ctx, cur, want); err != nil {
			return nil, fmt.Errorf("scale %s back to %d: %w", svcName, want, err)
		}
		return []string{fmt.Sprintf("%s (%s)", svcName, FaultScaledZero)}, nil
	}
	var healed, cut []string
	for slot, task := range st.current(name) {
		c, local := st.containers[task.ID]
		if !local {
			continue
		}
		taskName := fmt.Sprintf("%s.%d", svcName, slot)
		var err error
		switch f := fault(c, t.Network.Name); f {
		case FaultPaused:
			err = s.e.api.ContainerUnpause(ctx, c.ID)
		case FaultDisconnected:
			// Reconnecting the container would not bring back the swarm's
			// DNS entry for the task: replace the service's tasks instead.
			cut = append(cut, taskName)
			continue
		default:
			continue // running, or a killed task the swarm replaces
		}
		if err != nil {
			return healed, fmt.Errorf("heal %s: %w", taskName, err)
		}
		healed = append(healed, fmt.Sprintf("%s (%s)", taskName, fault(c, t.Network.Name)))
	}
	if len(cut) > 0 {
		spec := cur.Spec
		spec.TaskTemplate.ForceUpdate++
		if _, err := s.e.api.ServiceUpdate(ctx, cur.ID, cur.Version, spec, swarm.ServiceUpdateOptions{}); err != nil {
			return healed, fmt.Errorf("redeploy %s: %w", svcName, err)
		}
		for _, c := range cut {
			healed = append(healed, c+" ("+FaultDisconnected+", redeployed)")
		}
	}
	sort.Strings(healed)
	return healed, nil
}
