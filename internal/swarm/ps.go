// PS on a swarm: one row per replica slot, from one snapshot of services, tasks and nodes.

package swarm

import (
	"context"
	"fmt"
	"strconv"

	"github.com/docker/docker/api/types/swarm"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

// PS lists the project's tasks, one row per replica slot: its node, state,
// ports and fault; a removed or scaled-down service shows as such.
func (s *Backend) PS(ctx context.Context, project string) ([]engine.ContainerStatus, error) {
	cs, err := s.chaosState(ctx, project)
	if err != nil {
		return nil, err
	}
	t, st := cs.t, cs.st
	ipvs := hasIPVS(s.api.DaemonHost())
	nets, err := s.netFaults(ctx, project)
	if err != nil {
		return nil, err
	}
	var out []engine.ContainerStatus
	for _, name := range t.ServiceNames() {
		rows := st.rows(project, t, name, s.nodeID)
		// Say why callers fail, where the engine cannot: a virtual IP
		// without IPVS in the kernel routes nowhere.
		if svc, ok := st.services[name]; ok && !ipvs && svc.Spec.EndpointSpec != nil &&
			svc.Spec.EndpointSpec.Mode == swarm.ResolutionModeVIP && len(t.Callers(name)) > 0 {
			for i := range rows {
				rows[i].Unroutable = true
				if rows[i].Error == "" {
					rows[i].Error = noIPVS
				}
			}
		}
		for i := range rows {
			rows[i].Fault = engine.WithNetFaults(rows[i].Fault, nets[rows[i].ID])
		}
		out = append(out, rows...)
	}
	return out, nil
}

func (st *swarmState) rows(project string, t *topology.Topology, name, localNode string) []engine.ContainerStatus {
	svc, ok := st.services[name]
	svcName := ServiceName(project, name)
	missing := func(n int, fault string) engine.ContainerStatus {
		return engine.ContainerStatus{Service: name, Replica: n, Container: fmt.Sprintf("%s.%d", svcName, n), State: "missing", Health: "-", Ports: []string{}, Fault: fault}
	}
	var out []engine.ContainerStatus
	if !ok {
		for n := 1; n <= t.Services[name].Replicas; n++ {
			out = append(out, missing(n, engine.FaultRemoved))
		}
		return out
	}
	if engine.ReplicasOf(svc) == 0 {
		for n := 1; n <= t.Services[name].Replicas; n++ {
			out = append(out, missing(n, engine.FaultScaledZero))
		}
		return out
	}
	cur := st.current(name)
	for n := 1; n <= engine.ReplicasOf(svc); n++ {
		task, ok := cur[n]
		if !ok {
			out = append(out, missing(n, engine.FaultConverging))
			continue
		}
		row := engine.ContainerStatus{
			Service: name, Replica: n, Container: fmt.Sprintf("%s.%d", svcName, n),
			ID: engine.ShortID(task.ID), State: string(task.Status.State), Health: "-",
			Node: st.node(task.NodeID), Error: task.Status.Err, Fault: engine.FaultNone,
		}
		if task.Status.ContainerStatus != nil && task.Status.ContainerStatus.ContainerID != "" {
			row.ID = engine.ShortID(task.Status.ContainerStatus.ContainerID)
		}
		row.Ports, row.Endpoints = taskPorts(svc, task, task.NodeID == localNode)
		switch c, local := st.containers[task.ID]; {
		case task.Status.State != swarm.TaskStateRunning || task.DesiredState != swarm.TaskStateRunning:
			row.Fault = engine.FaultConverging
		case local:
			row.Fault = engine.Fault(c, t.Network.Name)
			row.Health = engine.Health(c)
		}
		out = append(out, row)
	}
	return out
}

// taskPorts are the ports a task publishes: its own in host mode, the
// service's through the routing mesh in ingress mode. Endpoints are the
// URLs that reach it from here: host-mode ports only on this node.
func taskPorts(svc swarm.Service, task swarm.Task, local bool) (ports, endpoints []string) {
	ports = []string{}
	add := func(p swarm.PortConfig, reachable bool) {
		ports = append(ports, fmt.Sprintf("*:%d->%d/%s (%s)", p.PublishedPort, p.TargetPort, p.Protocol, p.PublishMode))
		if reachable && p.Protocol == swarm.PortConfigProtocolTCP {
			endpoints = append(endpoints, "http://127.0.0.1:"+strconv.Itoa(int(p.PublishedPort)))
		}
	}
	if task.Status.PortStatus.Ports != nil {
		for _, p := range task.Status.PortStatus.Ports {
			add(p, local)
		}
	}
	for _, p := range svc.Endpoint.Ports {
		if p.PublishMode == swarm.PortConfigPublishModeIngress {
			add(p, true)
		}
	}
	return engine.Dedupe(ports), engine.Dedupe(endpoints)
}

func mapValues[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
