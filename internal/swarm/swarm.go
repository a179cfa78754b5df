// Package swarm is the Docker Swarm backend: a project as swarm services on
// the manager the client talks to, one overlay network, one service per
// topology service, the topology recorded as a swarm config. It never
// creates, joins or leaves a swarm.
package swarm

import (
	"context"
	"errors"
	"fmt"

	"github.com/docker/docker/api/types/swarm"

	"github.com/chainctl/chainctl/internal/engine"
)

// api is the slice of the client this backend uses: services, tasks and
// configs, and the containers, networks and volumes of tasks on this node.
type api interface {
	engine.SwarmAPI
	engine.ContainerAPI
	engine.NetworkAPI
	engine.VolumeAPI
	engine.ImageAPI
	DaemonHost() string
	ClientVersion() string
}

// Backend runs chainctl projects as services on a swarm.
type Backend struct {
	c      *engine.Conn
	api    api
	nodeID string // this engine's node: kill, pause and disconnect act on its tasks
}

// New is the swarm backend on c, after checking that c's engine is a swarm
// manager.
func New(ctx context.Context, c *engine.Conn) (*Backend, error) {
	ctx, cancel := context.WithTimeout(ctx, c.CallTimeout)
	defer cancel()
	info, err := c.API.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("engine info: %w", err)
	}
	sw := info.Swarm
	switch {
	case sw.LocalNodeState == swarm.LocalNodeStateActive && sw.ControlAvailable:
		return &Backend{c: c, api: c.API, nodeID: sw.NodeID}, nil
	case sw.LocalNodeState == swarm.LocalNodeStateActive:
		return nil, errors.New("this engine is a swarm worker, not a manager: point DOCKER_HOST at a manager of the swarm")
	}
	state := string(sw.LocalNodeState)
	if state == "" {
		state = "inactive"
	}
	return nil, fmt.Errorf("this engine is not a swarm manager (swarm: %s): make it one with `docker swarm init` (chainctl never creates or leaves a swarm for you), or use --engine docker", state)
}

// Kind names the backend: swarm.
func (s *Backend) Kind() string { return engine.KindSwarm }

// Modes are what break can inject on a swarm. stop and restart are
// docker-only: the swarm would restart the task.
var Modes = append([]engine.Mode{
	{Name: engine.ModeKill, Help: "SIGKILL one task's container: the swarm starts a new task"},
	{Name: engine.ModeScaleZero, Help: "set the service's replicas to 0"},
	{Name: engine.ModeRemove, Help: "remove the service"},
	{Name: engine.ModePause, Help: "freeze a task's processes" + onThisNode},
	{Name: engine.ModeDisconnect, Help: "cut a task off the project network" + onThisNode},
}, engine.NetworkModeList...)

// onThisNode says where the modes that act on a task's container work.
const onThisNode = " (tasks on this engine's node)"

// BreakModes lists what break can inject on a swarm.
func (s *Backend) BreakModes() []engine.Mode { return Modes }

// ServiceName is the swarm service of a topology service: <project>-<svc>.
func ServiceName(project, service string) string { return project + "-" + service }
