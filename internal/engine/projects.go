// Projects on the engine: the rows of `chainctl ls`, the project a command means, and which backend a project runs on.

package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
)

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
// and networks (and, for projects on a swarm, its services and tasks).
func (c *Conn) Projects(ctx context.Context) ([]Project, error) {
	cs, err := c.API.ContainerList(ctx, container.ListOptions{All: true, Filters: AnyProjectFilter()})
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
	for _, ct := range cs {
		if ct.Labels[LabelRole] != "" {
			continue // a helper, not a service's container
		}
		p := get(ct.Labels[LabelProject])
		p.Containers++
		services[p.Name][ct.Labels[LabelService]] = true
		if ct.State == container.StateRunning {
			p.Running++
		}
	}
	ns, err := c.API.NetworkList(ctx, network.ListOptions{Filters: AnyProjectFilter()})
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
		if err := c.countSwarmProjects(ctx, onSwarm); err != nil {
			return nil, err
		}
	}
	out := make([]Project, 0, len(byName))
	for _, p := range byName {
		if p.Engine == "" {
			p.Engine = KindDocker
			p.Services = len(services[p.Name])
		}
		p.State = projectState(p)
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func projectState(p *Project) string {
	switch {
	case p.Containers == 0:
		return "empty"
	case p.Running == p.Containers:
		return "running"
	case p.Running == 0:
		return "stopped"
	}
	return "partial"
}

// countSwarmProjects counts services, desired and running tasks of the
// projects that run on the swarm (their local containers include the
// swarm's history of exited tasks, which would mislead).
func (c *Conn) countSwarmProjects(ctx context.Context, ps []*Project) error {
	svcs, err := c.API.ServiceList(ctx, swarm.ServiceListOptions{Filters: AnyProjectFilter()})
	if err != nil {
		return fmt.Errorf("list swarm services: %w", err)
	}
	tasks, err := c.API.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("desired-state", "running"))})
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
			p.Containers += ReplicasOf(svc)
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

// ReplicasOf is how many tasks a replicated swarm service asks for.
func ReplicasOf(svc swarm.Service) int {
	if svc.Spec.Mode.Replicated == nil || svc.Spec.Mode.Replicated.Replicas == nil {
		return 0
	}
	return int(*svc.Spec.Mode.Replicated.Replicas)
}

// ErrNoProject is returned when no project can be chosen.
type ErrNoProject struct{ Known []string }

func (e *ErrNoProject) Error() string {
	if len(e.Known) == 0 {
		return "no chainctl project on this engine; start one with `chainctl up FILE`"
	}
	return fmt.Sprintf("several chainctl projects on this engine (%s); choose one with -p", strings.Join(e.Known, ", "))
}

// OnlyProject is the project a command acts on when none was named: the
// only one on the engine.
func (c *Conn) OnlyProject(ctx context.Context) (string, error) {
	ps, err := c.Projects(ctx)
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

// RunsOnSwarm reports whether the project's network is a swarm one.
func (c *Conn) RunsOnSwarm(ctx context.Context, project string) (bool, error) {
	ns, err := Networks(ctx, c.API, project)
	if err != nil {
		return false, err
	}
	for _, n := range ns {
		if n.Scope == "swarm" {
			return true, nil
		}
	}
	return false, nil
}

// HasPlainContainers refuses swarm for a project that has plain containers.
func (c *Conn) HasPlainContainers(ctx context.Context, project string) error {
	cs, err := Containers(ctx, c.API, project)
	if err != nil {
		return err
	}
	for _, ct := range cs {
		if ct.Labels[LabelEngine] != KindSwarm {
			return fmt.Errorf("project %s runs on plain docker: `chainctl down -p %s` before moving it to swarm", project, project)
		}
	}
	return nil
}
