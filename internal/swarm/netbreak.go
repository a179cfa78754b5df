// Network faults on a swarm: helpers in the namespaces of the tasks that run on this engine's node; tasks elsewhere are refused by node.

package swarm

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/netfault"
	"github.com/chainctl/chainctl/internal/netfault/spec"
	"github.com/chainctl/chainctl/internal/topology"
)

func (s *Backend) injector() netfault.Injector { return netfault.Injector{API: s.api, Conn: s.c} }

// localTasks are the running tasks of the targets on this node; a task on
// another node is an error that names the node, one that is down is
// listed as already broken.
func (st *swarmState) localTasks(t *topology.Topology, project string, targets []engine.Target) (tasks []netfault.Target, already []string, errs []error) {
	for _, tg := range targets {
		svc, ok := st.services[tg.Service]
		if !ok || engine.ReplicasOf(svc) == 0 {
			already = append(already, ServiceName(project, tg.Service)+" (removed or scaled-zero)")
			continue
		}
		for slot, task := range st.current(tg.Service) {
			if tg.Replica != 0 && slot != tg.Replica {
				continue
			}
			name := fmt.Sprintf("%s.%d", ServiceName(project, tg.Service), slot)
			c, local := st.containers[task.ID]
			switch {
			case !local:
				errs = append(errs, fmt.Errorf("%s runs on node %s: network faults act on this engine's tasks only", name, st.node(task.NodeID)))
			case engine.Fault(c, t.Network.Name) != engine.FaultNone:
				already = append(already, fmt.Sprintf("%s (%s)", name, engine.Fault(c, t.Network.Name)))
			default:
				tasks = append(tasks, netfault.Target{Project: project, Service: tg.Service, Replica: slot, ID: c.ID, Name: name})
			}
		}
	}
	return tasks, already, errs
}

// netBreak puts the network fault of opts on the targets' tasks on this node.
func (s *Backend) netBreak(ctx context.Context, cs *chaos, project string, targets []engine.Target, opts engine.BreakOptions) (*engine.BreakResult, error) {
	if err := opts.CheckNetwork(); err != nil {
		return nil, err
	}
	if err := engine.CheckFrom(cs.t, project, opts.From); err != nil {
		return nil, err
	}
	f := *opts.Net
	f.FromNames = opts.From
	if len(opts.From) > 0 {
		if f.From = cs.st.addrs(cs.t, opts.From); len(f.From) == 0 {
			return nil, fmt.Errorf("--from %v: no running task of those services has an address on %s", opts.From, cs.t.Network.Name)
		}
	}
	helpers, err := netfault.Helpers(ctx, s.api, project)
	if err != nil {
		return nil, err
	}
	tasks, already, errs := cs.st.localTasks(cs.t, project, targets)
	res := &engine.BreakResult{AffectedByName: map[string][]string{}, AlreadyBroken: already}
	var mu sync.Mutex
	err = engine.Parallel(tasks, func(tg netfault.Target) error {
		replaced, st, err := s.injector().Put(ctx, helpers, tg, spec.Job{Fault: &f})
		mu.Lock()
		defer mu.Unlock()
		res.Replaced = append(res.Replaced, replaced...)
		if err == nil {
			res.Broken = append(res.Broken, tg.Name)
			res.Mechanisms = append(res.Mechanisms, tg.Name+": "+st.String())
			res.NoteBroken(cs.t, tg.Service, opts.From...)
		}
		return err
	})
	return res, errors.Join(append(errs, err)...)
}

// addrs are the addresses of the services' running tasks on the project
// network, and the services' virtual IPs (what a caller dials in vip mode).
func (st *swarmState) addrs(t *topology.Topology, services []string) []netip.Addr {
	var out []netip.Addr
	for _, name := range services {
		svc, ok := st.services[name]
		if !ok {
			continue
		}
		for _, vip := range svc.Endpoint.VirtualIPs {
			out = append(out, prefixAddr(vip.Addr)...)
		}
		for _, task := range st.current(name) {
			for _, na := range task.NetworksAttachments {
				if na.Network.Spec.Name != t.Network.Name {
					continue
				}
				for _, a := range na.Addresses {
					out = append(out, prefixAddr(a)...)
				}
			}
		}
	}
	return spec.Addrs(out)
}

// prefixAddr reads "10.0.1.5/24" (or a bare address).
func prefixAddr(s string) []netip.Addr {
	if p, err := netip.ParsePrefix(s); err == nil {
		return []netip.Addr{p.Addr()}
	}
	if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
		return []netip.Addr{a}
	}
	return nil
}

// Partition splits the project into groups that cannot reach each other,
// on the tasks of this node (see the docker backend's Partition); a group
// with a task on another node is refused, naming the node.
func (s *Backend) Partition(ctx context.Context, project string, named [][]string, oneWay bool) (*engine.PartitionResult, error) {
	cs, done, err := engine.Begin(ctx, s.c, project, s.chaosState)
	if err != nil {
		return nil, err
	}
	defer done()
	groups, err := engine.PartitionGroups(cs.t, project, named)
	if err != nil {
		return nil, err
	}
	helpers, err := netfault.Helpers(ctx, s.api, project)
	if err != nil {
		return nil, err
	}
	var cuts []netfault.Cut
	var errs []error
	addrs := func(services []string) []netip.Addr { return cs.st.addrs(cs.t, services) }
	for i, block := range netfault.Blocks(groups, oneWay, addrs) {
		if len(block) == 0 {
			continue
		}
		targets := make([]engine.Target, len(groups[i]))
		for j, svc := range groups[i] {
			targets[j] = engine.Target{Service: svc}
		}
		tasks, _, terrs := cs.st.localTasks(cs.t, project, targets)
		errs = append(errs, terrs...)
		for _, tg := range tasks {
			cuts = append(cuts, netfault.Cut{Target: tg, Block: block})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s.injector().Partition(ctx, helpers, cuts, groups, oneWay)
}

// netFaults describes, by short container ID, the network faults in force
// on this node's tasks.
func (s *Backend) netFaults(ctx context.Context, project string) (map[string][]string, error) {
	helpers, err := netfault.Helpers(ctx, s.api, project)
	if err != nil || len(helpers) == 0 {
		return nil, err
	}
	out := map[string][]string{}
	for id, faults := range s.injector().InForce(ctx, helpers) {
		out[engine.ShortID(id)] = faults
	}
	return out, nil
}
