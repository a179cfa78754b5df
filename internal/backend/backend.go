// Package backend is the one door into an engine: it connects, resolves
// the project a command means, and picks the backend that project runs on
// (plain docker or swarm). It sits above both backends, so neither knows
// the other.
package backend

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/docker/docker/client"

	"github.com/chainctl/chainctl/internal/docker"
	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/progress"
	"github.com/chainctl/chainctl/internal/swarm"
)

// Options are everything a command tells the door. The command line fills
// them from its flags and the environment, once.
type Options struct {
	Project    string            // "": the only project on the engine
	Kind       string            // "", docker or swarm; "" finds out from the engine
	Progress   progress.Reporter // nil: none
	APITimeout time.Duration     // one engine call that must not be cut short (0: the default)
	Client     []client.Opt      // how to reach the engine, e.g. client.FromEnv
	LockDir    string            // where project locks live
	// DockerConfig is the directory of the Docker config.json whose
	// registry credentials pulls and builds use ("": anonymous).
	DockerConfig string
}

// Session is one project on the backend it runs on.
type Session struct {
	engine.Backend
	Project string
	conn    *engine.Conn
}

// Close releases the connection.
func (s *Session) Close() error { return s.conn.Close() }

func connect(ctx context.Context, o Options) (*engine.Conn, error) {
	return engine.Connect(ctx, engine.ConnectOptions{
		Client: o.Client, Progress: o.Progress, CallTimeout: o.APITimeout, LockDir: o.LockDir,
	})
}

// Open connects, resolves the project and returns the backend it runs on.
// Kind "" finds out from the engine: a project whose network is a swarm
// overlay runs on swarm, any other (or a new one) on plain docker. Asking
// for one kind while the project runs on the other is an error: the two
// never share a project.
func Open(ctx context.Context, o Options) (*Session, error) {
	c, err := connect(ctx, o)
	if err != nil {
		return nil, err
	}
	s, err := open(ctx, c, o)
	if err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

func open(ctx context.Context, c *engine.Conn, o Options) (*Session, error) {
	project := o.Project
	if project == "" {
		var err error
		if project, err = c.OnlyProject(ctx); err != nil {
			return nil, err
		}
	}
	b, err := pick(ctx, c, project, o.Kind, o.DockerConfig)
	if err != nil {
		return nil, err
	}
	return &Session{Backend: b, Project: project, conn: c}, nil
}

func pick(ctx context.Context, c *engine.Conn, project, kind, dockerConfig string) (engine.Backend, error) {
	onSwarm, err := c.RunsOnSwarm(ctx, project)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "":
		if onSwarm {
			return swarm.New(ctx, c)
		}
		return docker.New(c).WithCredentials(dockerConfig), nil
	case engine.KindDocker:
		if onSwarm {
			return nil, fmt.Errorf("project %s runs on swarm: use --engine swarm, or `chainctl down -p %s` first", project, project)
		}
		return docker.New(c).WithCredentials(dockerConfig), nil
	case engine.KindSwarm:
		if !onSwarm {
			if err := c.HasPlainContainers(ctx, project); err != nil {
				return nil, err
			}
		}
		return swarm.New(ctx, c)
	}
	return nil, fmt.Errorf("unknown engine %q (engines: docker, swarm)", kind)
}

// Projects lists every chainctl project on the engine (`chainctl ls`).
func Projects(ctx context.Context, o Options) ([]engine.Project, error) {
	c, err := connect(ctx, o)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.Projects(ctx)
}

// Modes lists what break can inject on a kind of engine.
func Modes(kind string) []engine.Mode {
	if kind == engine.KindSwarm {
		return swarm.Modes
	}
	return docker.Modes
}

// ModeNames lists every mode some backend has, docker's first.
func ModeNames() []string {
	var out []string
	for _, kind := range engine.Kinds {
		for _, m := range Modes(kind) {
			if !slices.Contains(out, m.Name) {
				out = append(out, m.Name)
			}
		}
	}
	return out
}
