// Heal on a swarm: restore each service to its recorded spec, resume or redeploy its local tasks, and wait.

package swarm

import (
	"context"
	"fmt"
	"sort"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/netfault"
	"github.com/chainctl/chainctl/internal/topology"
	"github.com/docker/docker/api/types/swarm"
)

// Heal restores the recorded spec of the services (all when none is
// named): a removed service is recreated, a scaled-down one scaled back,
// a paused or disconnected task on this node resumed or reconnected; a
// killed task needs nothing, the swarm has replaced it. Then it waits.
func (s *Backend) Heal(ctx context.Context, project string, services []string, opts engine.HealOptions) (*engine.HealResult, error) {
	cs, opts, done, err := engine.BeginHeal(ctx, s.c, project, opts, s.chaosState)
	if err != nil {
		return nil, err
	}
	defer done()
	t, st := cs.t, cs.st
	netHealed, err := s.netHeal(ctx, project, services, opts.Partition)
	if err != nil || opts.Partition {
		return &engine.HealResult{Healed: netHealed}, err
	}
	if len(services) == 0 {
		services = t.ServiceNames()
	}
	targets, err := engine.ParseTargets(services)
	if err != nil {
		return nil, err
	}
	for i := range targets {
		targets[i].Replica = 0 // a swarm heals whole services
	}
	if err := checkTargets(t, project, targets); err != nil {
		return nil, err
	}
	netID, err := s.ensureNetwork(ctx, t)
	if err != nil {
		return nil, err
	}
	res := &engine.HealResult{Healed: netHealed}
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

func (s *Backend) healService(ctx context.Context, st *swarmState, t *topology.Topology, name, netID string) ([]string, error) {
	svcName := ServiceName(t.Name, name)
	cur, ok := st.services[name]
	if !ok {
		spec, err := swarmServiceSpec(t, t.Services[name], netID, engine.UpOptions{}, s.api.ClientVersion())
		if err != nil {
			return nil, err
		}
		if _, err := s.converge(ctx, spec, swarm.Service{}); err != nil {
			return nil, err
		}
		return []string{svcName + " (removed)"}, nil
	}
	if want := t.Services[name].Replicas; engine.ReplicasOf(cur) != want {
		if err := s.setReplicas(ctx, cur, want); err != nil {
			return nil, fmt.Errorf("scale %s back to %d: %w", svcName, want, err)
		}
		return []string{fmt.Sprintf("%s (%s)", svcName, engine.FaultScaledZero)}, nil
	}
	var healed, cut []string
	for slot, task := range st.current(name) {
		c, local := st.containers[task.ID]
		if !local {
			continue
		}
		taskName := fmt.Sprintf("%s.%d", svcName, slot)
		var err error
		switch f := engine.Fault(c, t.Network.Name); f {
		case engine.FaultPaused:
			err = s.api.ContainerUnpause(ctx, c.ID)
		case engine.FaultDisconnected:
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
		healed = append(healed, fmt.Sprintf("%s (%s)", taskName, engine.Fault(c, t.Network.Name)))
	}
	if len(cut) > 0 {
		spec := cur.Spec
		spec.TaskTemplate.ForceUpdate++
		if _, err := s.api.ServiceUpdate(ctx, cur.ID, cur.Version, spec, swarm.ServiceUpdateOptions{}); err != nil {
			return healed, fmt.Errorf("redeploy %s: %w", svcName, err)
		}
		for _, c := range cut {
			healed = append(healed, c+" ("+engine.FaultDisconnected+", redeployed)")
		}
	}
	sort.Strings(healed)
	return healed, nil
}

// netHeal removes the helpers heal asks for (see netfault.Injector.Heal).
func (s *Backend) netHeal(ctx context.Context, project string, services []string, partitionOnly bool) ([]string, error) {
	helpers, err := netfault.Helpers(ctx, s.api, project)
	if err != nil {
		return nil, err
	}
	return s.injector().Heal(ctx, helpers, services, partitionOnly)
}
