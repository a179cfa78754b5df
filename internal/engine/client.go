// Package engine is everything that talks to the Docker Engine: networks,
// volumes, containers, ports, labels, health waits, faults and logs. Every
// call takes a context; every lookup goes through the project's labels.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/chainctl/chainctl/internal/lock"
	"github.com/chainctl/chainctl/internal/progress"
)

// API is the narrow slice of the Docker client that chainctl uses.
type API interface {
	Ping(ctx context.Context) (types.Ping, error)
	DaemonHost() string

	ImageInspect(ctx context.Context, ref string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImagePull(ctx context.Context, ref string, opts image.PullOptions) (io.ReadCloser, error)

	NetworkCreate(ctx context.Context, name string, opts network.CreateOptions) (network.CreateResponse, error)
	NetworkList(ctx context.Context, opts network.ListOptions) ([]network.Summary, error)
	NetworkRemove(ctx context.Context, id string) error
	NetworkInspect(ctx context.Context, id string, opts network.InspectOptions) (network.Inspect, error)
	NetworkConnect(ctx context.Context, networkID, containerID string, cfg *network.EndpointSettings) error
	NetworkDisconnect(ctx context.Context, networkID, containerID string, force bool) error

	VolumeCreate(ctx context.Context, opts volume.CreateOptions) (volume.Volume, error)
	VolumeList(ctx context.Context, opts volume.ListOptions) (volume.ListResponse, error)
	VolumeRemove(ctx context.Context, id string, force bool) error

	ContainerCreate(ctx context.Context, cfg *container.Config, host *container.HostConfig, net *network.NetworkingConfig, platform *ocispec.Platform, name string) (container.CreateResponse, error)
	ContainerList(ctx context.Context, opts container.ListOptions) ([]container.Summary, error)
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
	ContainerStart(ctx context.Context, id string, opts container.StartOptions) error
	ContainerStop(ctx context.Context, id string, opts container.StopOptions) error
	ContainerKill(ctx context.Context, id, signal string) error
	ContainerRestart(ctx context.Context, id string, opts container.StopOptions) error
	ContainerPause(ctx context.Context, id string) error
	ContainerUnpause(ctx context.Context, id string) error
	ContainerRemove(ctx context.Context, id string, opts container.RemoveOptions) error
	ContainerWait(ctx context.Context, id string, cond container.WaitCondition) (<-chan container.WaitResponse, <-chan error)
	ContainerLogs(ctx context.Context, id string, opts container.LogsOptions) (io.ReadCloser, error)

	Events(ctx context.Context, opts events.ListOptions) (<-chan events.Message, <-chan error)
	Close() error

	// Swarm mode, for the swarm backend.
	Info(ctx context.Context) (system.Info, error)
	ClientVersion() string
	NodeList(ctx context.Context, opts swarm.NodeListOptions) ([]swarm.Node, error)
	ServiceCreate(ctx context.Context, spec swarm.ServiceSpec, opts swarm.ServiceCreateOptions) (swarm.ServiceCreateResponse, error)
	ServiceList(ctx context.Context, opts swarm.ServiceListOptions) ([]swarm.Service, error)
	ServiceUpdate(ctx context.Context, id string, version swarm.Version, spec swarm.ServiceSpec, opts swarm.ServiceUpdateOptions) (swarm.ServiceUpdateResponse, error)
	ServiceRemove(ctx context.Context, id string) error
	ServiceLogs(ctx context.Context, id string, opts container.LogsOptions) (io.ReadCloser, error)
	TaskList(ctx context.Context, opts swarm.TaskListOptions) ([]swarm.Task, error)
	ConfigCreate(ctx context.Context, spec swarm.ConfigSpec) (swarm.ConfigCreateResponse, error)
	ConfigList(ctx context.Context, opts swarm.ConfigListOptions) ([]swarm.Config, error)
	ConfigRemove(ctx context.Context, id string) error
}

// Engine runs chainctl projects on one Docker Engine.
type Engine struct {
	api         API
	progress    progress.Reporter
	callTimeout time.Duration
}

// pingTimeout bounds how long an unreachable daemon can make us wait.
const pingTimeout = 5 * time.Second

// ErrDaemonUnreachable marks errors caused by a daemon that does not answer.
var ErrDaemonUnreachable = errors.New("docker daemon unreachable")

// Connect opens a client from the environment (DOCKER_HOST, DOCKER_CERT_PATH,
// ...), negotiates the API version and checks that the daemon answers.
func Connect(ctx context.Context, rep progress.Reporter) (*Engine, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	e := New(cli, rep)
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if _, err := cli.Ping(pctx); err != nil {
		cli.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, unreachable(cli.DaemonHost(), err)
	}
	return e, nil
}

// New wraps an existing API client (tests use it with a proxied client).
func New(api API, rep progress.Reporter) *Engine {
	if rep == nil {
		rep = progress.Discard
	}
	timeout := DefaultCallTimeout
	if d, err := time.ParseDuration(os.Getenv("CHAINCTL_API_TIMEOUT")); err == nil && d > 0 {
		timeout = d
	}
	return &Engine{api: api, progress: rep, callTimeout: timeout}
}

// Close releases the client's connections.
func (e *Engine) Close() error { return e.api.Close() }

func unreachable(host string, err error) error {
	hint := "start it (e.g. `sudo systemctl start docker` or `dockerd &`)"
	if os.Getenv("DOCKER_HOST") != "" {
		hint += " or check DOCKER_HOST"
	}
	return fmt.Errorf("%w at %s: %v\n%s", ErrDaemonUnreachable, host, err, hint)
}

// lockProject keeps a second chainctl on this machine from changing the
// same project at the same time.
// When the last holder died holding the lock, the engine may still be
// finishing calls it had sent; wait until the project stops changing.
func (e *Engine) lockProject(ctx context.Context, project string) (func(), error) {
	release, abandoned, err := e.lockProjectAbandoned(project)
	if err != nil {
		return nil, err
	}
	if abandoned {
		e.progress.Report(progress.Event{Kind: "project", Resource: project, Status: "settling", Detail: "the last chainctl on this project was killed; waiting for its engine calls to land"})
		if err := e.settle(ctx, project); err != nil {
			release()
			return nil, err
		}
	}
	return release, nil
}

// lockProjectAbandoned also says whether the last holder died holding it.
func (e *Engine) lockProjectAbandoned(project string) (func(), bool, error) {
	l, err := lock.Acquire(e.api.DaemonHost(), project)
	if err != nil {
		return nil, false, err
	}
	return func() { _ = l.Release() }, l.Abandoned, nil
}
