package engine

import (
	"context"
	"fmt"
	"io"

	"github.com/chainctl/chainctl/internal/topology"
)

// Backend runs a project on one kind of engine: plain containers on one
// Docker Engine (*Engine) or services on a Docker Swarm (*Swarm). The CLI
// holds a Backend and never knows which one it drives.
type Backend interface {
	Kind() string
	Up(ctx context.Context, t *topology.Topology, opts UpOptions) (*UpResult, error)
	Down(ctx context.Context, project string, opts DownOptions) (*DownResult, error)
	PS(ctx context.Context, project string) ([]ContainerStatus, error)
	Logs(ctx context.Context, project string, opts LogsOptions, w io.Writer) error
	Break(ctx context.Context, project string, targets []Target, opts BreakOptions) (*BreakResult, error)
	Heal(ctx context.Context, project string, services []string, opts HealOptions) (*HealResult, error)
	Endpoint(ctx context.Context, project, service string) (string, string, error)
	BreakModes() []string
}

// Backend kinds, as `--engine` names them.
const (
	KindDocker = "docker"
	KindSwarm  = "swarm"
)

// Kinds lists the backends `--engine` accepts.
var Kinds = []string{KindDocker, KindSwarm}

// Kind names the backend: docker.
func (e *Engine) Kind() string { return KindDocker }

// Backend returns the backend a project runs on. kind "" finds out from the
// engine: a project whose network is a swarm overlay runs on swarm, any
// other (or a new one) on plain docker. Asking for one kind while the
// project runs on the other is an error: the two never share a project.
func (e *Engine) Backend(ctx context.Context, project, kind string) (Backend, error) {
	onSwarm, err := e.projectOnSwarm(ctx, project)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "":
		if onSwarm {
			return e.swarm(ctx)
		}
		return e, nil
	case KindDocker:
		if onSwarm {
			return nil, fmt.Errorf("project %s runs on swarm: use --engine swarm, or `chainctl down -p %s` first", project, project)
		}
		return e, nil
	case KindSwarm:
		if !onSwarm {
			if err := e.projectOnDocker(ctx, project); err != nil {
				return nil, err
			}
		}
		return e.swarm(ctx)
	}
	return nil, fmt.Errorf("unknown engine %q (engines: docker, swarm)", kind)
}

// projectOnSwarm reports whether the project's network is a swarm one.
func (e *Engine) projectOnSwarm(ctx context.Context, project string) (bool, error) {
	ns, err := e.networks(ctx, project)
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

// projectOnDocker refuses swarm for a project that has plain containers.
func (e *Engine) projectOnDocker(ctx context.Context, project string) error {
	cs, err := e.containers(ctx, project)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.Labels[LabelEngine] != KindSwarm {
			return fmt.Errorf("project %s runs on plain docker: `chainctl down -p %s` before moving it to swarm", project, project)
		}
	}
	return nil
}
