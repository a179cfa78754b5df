// One snapshot of a project on a swarm: its services, their tasks, the nodes, and the task containers on this node.

package swarm

import (
	"context"
	"fmt"
	"sort"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
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

func (s *Backend) state(ctx context.Context, project string) (*swarmState, error) {
	st := &swarmState{services: map[string]swarm.Service{}, tasks: map[string][]swarm.Task{}, nodes: map[string]string{}, containers: map[string]container.Summary{}}
	svcs, err := s.services(ctx, project)
	if err != nil || len(svcs) == 0 {
		return st, err
	}
	f := filters.NewArgs()
	byID := map[string]string{}
	for _, svc := range svcs {
		name := svc.Spec.Labels[engine.LabelService]
		st.services[name] = svc
		byID[svc.ID] = name
		f.Add("service", svc.ID)
	}
	tasks, err := s.api.TaskList(ctx, swarm.TaskListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list tasks of project %s: %w", project, err)
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].Meta.CreatedAt.After(tasks[j].Meta.CreatedAt) })
	for _, task := range tasks {
		if name, ok := byID[task.ServiceID]; ok {
			st.tasks[name] = append(st.tasks[name], task)
		}
	}
	nodes, err := s.api.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list swarm nodes: %w", err)
	}
	for _, n := range nodes {
		st.nodes[n.ID] = n.Description.Hostname
	}
	cs, err := engine.Containers(ctx, s.api, project)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		st.containers[c.Labels[swarmTaskLabel]] = c
	}
	return st, nil
}

// current reports whether a task runs the service's present spec, not the
// one a rolling update is replacing.
func current(svc swarm.Service, task swarm.Task) bool {
	cs := task.Spec.ContainerSpec
	return cs != nil && cs.Labels[engine.LabelConfigHash] == svc.Spec.Labels[engine.LabelConfigHash] &&
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
	want, tasks := engine.ReplicasOf(svc), st.tasks[name]
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
