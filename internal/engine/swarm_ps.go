package engine

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"

	"github.com/chainctl/chainctl/internal/topology"
)

// swarmState is one snapshot of a project on a swarm: its services, their
// tasks, the nodes, and the task containers that run on this engine. Four
// list calls, whatever the project's size.
type swarmState struct {
	services   map[string]swarm.Service // by topology service name
	tasks      map[string][]swarm.Task  // by topology service name, newest first
	nodes      map[string]string        // node ID → hostname
	containers map[string]container.Summary
}

// noIPVS explains "no route to host" between services on a swarm.
const noIPVS = "virtual IP without IPVS in this kernel: callers time out or get \"no route to host\" (use endpoint_mode dnsrr)"

// swarmTaskLabel is the label the swarm puts on a task's container.
const swarmTaskLabel = "com.docker.swarm.task.id"

func (s *Swarm) state(ctx context.Context, project string) (*swarmState, error) {
	st := &swarmState{services: map[string]swarm.Service{}, tasks: map[string][]swarm.Task{}, nodes: map[string]string{}, containers: map[string]container.Summary{}}
	svcs, err := s.services(ctx, project)
	if err != nil || len(svcs) == 0 {
		return st, err
	}
	f := filters.NewArgs()
	byID := map[string]string{}
	for _, svc := range svcs {
		name := svc.Spec.Labels[LabelService]
		st.services[name] = svc
		byID[svc.ID] = name
		f.Add("service", svc.ID)
	}
	tasks, err := s.e.api.TaskList(ctx, swarm.TaskListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list tasks of project %s: %w", project, err)
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].Meta.CreatedAt.After(tasks[j].Meta.CreatedAt) })
	for _, task := range tasks {
		if name, ok := byID[task.ServiceID]; ok {
			st.tasks[name] = append(st.tasks[name], task)
		}
	}
	nodes, err := s.e.api.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list swarm nodes: %w", err)
	}
	for _, n := range nodes {
		st.nodes[n.ID] = n.Description.Hostname
	}
	cs, err := s.e.containers(ctx, project)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		st.containers[c.Labels[swarmTaskLabel]] = c
	}
	return st, nil
}

func replicasOf(svc swarm.Service) int {
	if svc.Spec.Mode.Replicated == nil || svc.Spec.Mode.Replicated.Replicas == nil {
		return 0
	}
	return int(*svc.Spec.Mode.Replicated.Replicas)
}

// current reports whether a task runs the service's present spec, not the
// one a rolling update is replacing.
func current(svc swarm.Service, task swarm.Task) bool {
	cs := task.Spec.ContainerSpec
	return cs != nil && cs.Labels[LabelConfigHash] == svc.Spec.Labels[LabelConfigHash] &&
		task.Spec.ForceUpdate == svc.Spec.TaskTemplate.ForceUpdate
}

// running counts the tasks of the present spec that should run and do.
func running(svc swarm.Service, tasks []swarm.Task) int {
	n := 0
	for _, task := range tasks {
		if task.DesiredState == swarm.TaskStateRunning && task.Status.State == swarm.TaskStateRunning && current(svc, task) {
			n++
		}
	}
	return n
}

// notReady says why a service is not converged yet, or "".
func (st *swarmState) notReady(t *topology.Topology, name string) string {
	svc, ok := st.services[name]
	if !ok {
		return name + ": no such service on the swarm"
	}
	if u := svc.UpdateStatus; u != nil && u.State != swarm.UpdateStateCompleted {
		return fmt.Sprintf("%s: update %s: %s", name, u.State, u.Message)
	}
	want, tasks := replicasOf(svc), st.tasks[name]
	got := running(svc, tasks)
	if got >= want {
		return ""
	}
	msg := fmt.Sprintf("%s: %d/%d tasks running", name, got, want)
	for _, task := range tasks {
		if task.Status.State != swarm.TaskStateRunning {
			msg += fmt.Sprintf("; last: task %d %s on %s", task.Slot, task.Status.State, st.node(task.NodeID))
			if task.Status.Err != "" {
				msg += ": " + task.Status.Err
			}
			break
		}
	}
	return msg
}

func (st *swarmState) node(id string) string {
	if h, ok := st.nodes[id]; ok {
		return h
	}
	if id == "" {
		return "no node yet"
	}
	return id
}

// current returns, for each slot of a service, its newest task.
func (st *swarmState) current(name string) map[int]swarm.Task {
	out := map[int]swarm.Task{}
	for _, task := range st.tasks[name] { // newest first
		if _, seen := out[task.Slot]; !seen {
			out[task.Slot] = task
		}
	}
	return out
}

// PS lists the project's tasks, one row per replica slot: its node, state,
// ports and fault; a removed or scaled-down service shows as such.
func (s *Swarm) PS(ctx context.Context, project string) ([]ContainerStatus, error) {
	t, err := s.storedTopology(ctx, project)
	if err != nil {
		return nil, err
	}
	st, err := s.state(ctx, project)
	if err != nil {
		return nil, err
	}
	ipvs := hasIPVS(s.e.api.DaemonHost())
	var out []ContainerStatus
	for _, name := range t.ServiceNames() {
		rows := st.rows(project, t, name, s.nodeID)
		// Say why callers fail, where the engine cannot: a virtual IP
		// without IPVS in the kernel routes nowhere.
		if svc, ok := st.services[name]; ok && !ipvs && svc.Spec.EndpointSpec != nil &&
			svc.Spec.EndpointSpec.Mode == swarm.ResolutionModeVIP && len(t.Callers(name)) > 0 {
			for i := range rows {
				if rows[i].Error == "" {
					rows[i].Error = noIPVS
				}
			}
		}
		out = append(out, rows...)
	}
	return out, nil
}

func (st *swarmState) rows(project string, t *topology.Topology, name, localNode string) []ContainerStatus {
	svc, ok := st.services[name]
	svcName := ServiceName(project, name)
	missing := func(n int, fault string) ContainerStatus {
		return ContainerStatus{Service: name, Replica: n, Container: fmt.Sprintf("%s.%d", svcName, n), State: "missing", Health: "-", Ports: []string{}, Fault: fault}
	}
	var out []ContainerStatus
	if !ok {
		for n := 1; n <= t.Services[name].Replicas; n++ {
			out = append(out, missing(n, FaultRemoved))
		}
		return out
	}
	if replicasOf(svc) == 0 {
		for n := 1; n <= t.Services[name].Replicas; n++ {
			out = append(out, missing(n, FaultScaledZero))
		}
		return out
	}
	cur := st.current(name)
	for n := 1; n <= replicasOf(svc); n++ {
		task, ok := cur[n]
		if !ok {
			out = append(out, missing(n, FaultConverging))
			continue
		}
		row := ContainerStatus{
			Service: name, Replica: n, Container: fmt.Sprintf("%s.%d", svcName, n),
			ID: shortID(task.ID), State: string(task.Status.State), Health: "-",
			Node: st.node(task.NodeID), Error: task.Status.Err, Fault: FaultNone,
		}
		if task.Status.ContainerStatus != nil && task.Status.ContainerStatus.ContainerID != "" {
			row.ID = shortID(task.Status.ContainerStatus.ContainerID)
		}
		row.Ports, row.Endpoints = taskPorts(svc, task, task.NodeID == localNode)
		switch c, local := st.containers[task.ID]; {
		case task.Status.State != swarm.TaskStateRunning || task.DesiredState != swarm.TaskStateRunning:
			row.Fault = FaultConverging
		case local:
			row.Fault = fault(c, t.Network.Name)
			row.Health = health(c)
		}
		out = append(out, row)
	}
	return out
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
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
	return dedupe(ports), dedupe(endpoints)
}

// Logs copies the logs of the project's services, each line prefixed with
// the service name (the swarm merges the logs of all its tasks).
func (s *Swarm) Logs(ctx context.Context, project string, opts LogsOptions, w io.Writer) error {
	svcs, err := s.services(ctx, project)
	if err != nil {
		return err
	}
	wanted := map[string]bool{}
	for _, name := range opts.Services {
		wanted[name] = true
	}
	var targets []swarm.Service
	width := 0
	for _, svc := range sortedServices(mapValues(svcs)) {
		name := svc.Spec.Labels[LabelService]
		if len(wanted) > 0 && !wanted[name] {
			continue
		}
		targets = append(targets, svc)
		width = max(width, len(name))
	}
	if len(targets) == 0 {
		return fmt.Errorf("no services %s in project %s", strings.Join(opts.Services, ", "), project)
	}
	out := &lockedWriter{w: w}
	return parallel(indexes(len(targets)), func(i int) error {
		svc := targets[i]
		prefix := fmt.Sprintf("%-*s | ", width, svc.Spec.Labels[LabelService])
		if opts.Color {
			prefix = fmt.Sprintf("\x1b[%dm%s\x1b[0m", 31+i%6, prefix)
		}
		rc, err := s.e.api.ServiceLogs(ctx, svc.ID, container.LogsOptions{
			ShowStdout: true, ShowStderr: true, Follow: opts.Follow, Tail: opts.Tail, Since: opts.Since,
		})
		if err != nil {
			return fmt.Errorf("logs of service %s: %w", svc.Spec.Name, err)
		}
		defer rc.Close()
		if err := copyLines(rc, prefix, out); err != nil && ctx.Err() == nil {
			return fmt.Errorf("logs of service %s: %w", svc.Spec.Name, err)
		}
		return nil
	})
}

func mapValues[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// Endpoint returns the URL of a service's first published TCP port that
// answers from here (the entry service when service is "").
func (s *Swarm) Endpoint(ctx context.Context, project, service string) (string, string, error) {
	t, err := s.storedTopology(ctx, project)
	if err != nil {
		return "", "", err
	}
	if service == "" {
		if service = entryService(t); service == "" {
			return "", "", fmt.Errorf("project %s has no service with a published port that nobody calls; name the service to call", project)
		}
	} else if _, ok := t.Services[service]; !ok {
		return "", "", fmt.Errorf("no service %q in project %s (services: %s)", service, project, strings.Join(t.ServiceNames(), ", "))
	}
	st, err := s.state(ctx, project)
	if err != nil {
		return "", "", err
	}
	for _, row := range st.rows(project, t, service, s.nodeID) {
		if len(row.Endpoints) > 0 {
			return service, row.Endpoints[0], nil
		}
	}
	return service, "", &NotServingError{Service: service}
}
