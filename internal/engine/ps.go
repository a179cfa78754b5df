package engine

import (
	"context"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
)

// ContainerStatus is one row of `chainctl ps`.
type ContainerStatus struct {
	Service   string   `json:"service"`
	Replica   int      `json:"replica"`
	Container string   `json:"container"`
	ID        string   `json:"id,omitempty"`
	State     string   `json:"state"`
	Health    string   `json:"health"`
	Ports     []string `json:"ports"`
	Endpoints []string `json:"endpoints,omitempty"` // http://127.0.0.1:8080 for each published TCP port
	Fault     string   `json:"fault"`
	Node      string   `json:"node,omitempty"`  // swarm: the node that runs the task
	Error     string   `json:"error,omitempty"` // swarm: why the last task failed
}

// PS lists the project's containers, from one list call (and one for the
// network that records the topology, to show removed replicas).
func (e *Engine) PS(ctx context.Context, project string) ([]ContainerStatus, error) {
	cs, err := e.containers(ctx, project)
	if err != nil {
		return nil, err
	}
	t, err := e.recordedTopology(ctx, project, cs)
	if err != nil {
		return nil, err
	}
	netName := t.Network.Name
	seen := map[string]bool{}
	var out []ContainerStatus
	for _, c := range cs {
		seen[containerName(c)] = true
		out = append(out, ContainerStatus{
			Service:   c.Labels[LabelService],
			Replica:   replicaOf(c.Labels),
			Container: containerName(c),
			ID:        c.ID[:12],
			State:     c.State,
			Health:    health(c),
			Ports:     ports(c),
			Endpoints: endpoints(c),
			Fault:     fault(c, netName),
		})
	}
	// Replicas the topology has but the engine does not: removed.
	for _, name := range t.ServiceNames() {
		for n := 1; n <= t.Services[name].Replicas; n++ {
			cname := ContainerName(project, name, n)
			if !seen[cname] {
				out = append(out, ContainerStatus{Service: name, Replica: n, Container: cname, State: "missing", Health: "-", Ports: []string{}, Fault: FaultRemoved})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].Replica < out[j].Replica
	})
	return out, nil
}

func health(c container.Summary) string {
	switch {
	case strings.Contains(c.Status, "(healthy)"):
		return "healthy"
	case strings.Contains(c.Status, "(unhealthy)"):
		return "unhealthy"
	case strings.Contains(c.Status, "(health: starting)"):
		return "starting"
	}
	return "-"
}

func ports(c container.Summary) []string {
	out := []string{}
	for _, p := range c.Ports {
		if p.PublicPort == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("%s->%d/%s", net.JoinHostPort(p.IP, strconv.Itoa(int(p.PublicPort))), p.PrivatePort, p.Type))
	}
	sort.Strings(out)
	return dedupe(out)
}

func endpoints(c container.Summary) []string {
	var out []string
	for _, p := range c.Ports {
		if p.PublicPort == 0 || p.Type != "tcp" || strings.Contains(p.IP, ":") {
			continue // one endpoint per port: the IPv4 binding
		}
		ip := p.IP
		if ip == "" || ip == "0.0.0.0" {
			ip = "127.0.0.1"
		}
		out = append(out, "http://"+net.JoinHostPort(ip, strconv.Itoa(int(p.PublicPort))))
	}
	sort.Strings(out)
	return dedupe(out)
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Project is one row of `chainctl ls`.
type Project struct {
	Name       string `json:"name"`
	Services   int    `json:"services"`
	Containers int    `json:"containers"`
	Running    int    `json:"running"`
	State      string `json:"state"`  // running, partial, stopped, empty
	Engine     string `json:"engine"` // docker or swarm
}

// Projects lists every chainctl project on the engine, from its containers
// and networks.
func (e *Engine) Projects(ctx context.Context) ([]Project, error) {
	cs, err := e.api.ContainerList(ctx, container.ListOptions{All: true, Filters: anyProjectFilter()})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	byName := map[string]*Project{}
	services := map[string]map[string]bool{}
	get := func(name string) *Project {
		if p, ok := byName[name]; ok {
			return p
		}
		p := &Project{Name: name}
		byName[name] = p
		services[name] = map[string]bool{}
		return p
	}
	for _, c := range cs {
		p := get(c.Labels[LabelProject])
		p.Containers++
		services[p.Name][c.Labels[LabelService]] = true
		if c.State == container.StateRunning {
			p.Running++
		}
	}
	ns, err := e.api.NetworkList(ctx, networkListAll())
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	var onSwarm []*Project
	for _, n := range ns {
		p := get(n.Labels[LabelProject])
		if n.Scope == "swarm" {
			onSwarm = append(onSwarm, p)
		}
	}
	if len(onSwarm) > 0 {
		if err := e.countSwarmProjects(ctx, onSwarm); err != nil {
			return nil, err
		}
	}
	out := make([]Project, 0, len(byName))
	for _, p := range byName {
		if p.Engine == "" {
			p.Engine = KindDocker
			p.Services = len(services[p.Name])
		}
		switch {
		case p.Containers == 0:
			p.State = "empty"
		case p.Running == p.Containers:
			p.State = "running"
		case p.Running == 0:
			p.State = "stopped"
		default:
			p.State = "partial"
		}
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// countSwarmProjects counts services, desired and running tasks of the
// projects that run on the swarm (their local containers include the
// swarm's history of exited tasks, which would mislead).
func (e *Engine) countSwarmProjects(ctx context.Context, ps []*Project) error {
	svcs, err := e.api.ServiceList(ctx, swarm.ServiceListOptions{Filters: anyProjectFilter()})
	if err != nil {
		return fmt.Errorf("list swarm services: %w", err)
	}
	tasks, err := e.api.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("desired-state", "running"))})
	if err != nil {
		return fmt.Errorf("list swarm tasks: %w", err)
	}
	byName := map[string]*Project{}
	for _, p := range ps {
		p.Engine, p.Services, p.Containers, p.Running = KindSwarm, 0, 0, 0
		byName[p.Name] = p
	}
	project := map[string]*Project{} // service ID → its project
	for _, svc := range svcs {
		if p, ok := byName[svc.Spec.Labels[LabelProject]]; ok {
			p.Services++
			p.Containers += replicasOf(svc)
			project[svc.ID] = p
		}
	}
	for _, task := range tasks {
		if p, ok := project[task.ServiceID]; ok && task.Status.State == swarm.TaskStateRunning {
			p.Running++
		}
	}
	return nil
}

// ErrNoProject is returned when no project can be chosen.
type ErrNoProject struct{ Known []string }

func (e *ErrNoProject) Error() string {
	if len(e.Known) == 0 {
		return "no chainctl project on this engine; start one with `chainctl up FILE`"
	}
	return fmt.Sprintf("several chainctl projects on this engine (%s); choose one with -p", strings.Join(e.Known, ", "))
}

// ResolveProject picks the project a command acts on: the explicit name,
// else CHAINCTL_PROJECT, else the only project on the engine.
func (e *Engine) ResolveProject(ctx context.Context, explicit string) (string, error) {
	if explicit != "" {
		return explicit, nil
	}
	if env := os.Getenv("CHAINCTL_PROJECT"); env != "" {
		return env, nil
	}
	ps, err := e.Projects(ctx)
	if err != nil {
		return "", err
	}
	if len(ps) == 1 {
		return ps[0].Name, nil
	}
	known := make([]string, len(ps))
	for i, p := range ps {
		known[i] = p.Name
	}
	return "", &ErrNoProject{Known: known}
}
