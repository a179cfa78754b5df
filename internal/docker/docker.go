// Package docker is the plain Docker backend: a project as named
// containers on one Docker Engine, on the project's networks, with named
// volumes, everything found again by its labels.
package docker

import (
	"context"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/image"
	"github.com/chainctl/chainctl/internal/progress"
	"github.com/chainctl/chainctl/internal/topology"
)

// api is the slice of the client this backend uses.
type api interface {
	engine.ContainerAPI
	engine.NetworkAPI
	engine.VolumeAPI
	engine.ImageAPI
	DaemonHost() string
	ClientVersion() string // the negotiated API version
}

// Backend runs chainctl projects as containers on one Docker Engine.
type Backend struct {
	c      *engine.Conn
	api    api
	images *image.Images // builds and pulls, in up's preflight and for chainctl build
	limits limits
}

// limits bound the heavy engine calls in flight at once, each kind on its
// own measured latency: a dockerd on a small machine given 200 starts at
// once only queues them until the last run out of time (issue 17).
type limits struct {
	creates, starts, removes *engine.Limiter
}

func newLimits() limits {
	return limits{
		creates: engine.NewLimiter(16, 4, 128),
		starts:  engine.NewLimiter(8, 2, 64),
		removes: engine.NewLimiter(16, 4, 128),
	}
}

// New is the docker backend on the connection c; it pulls anonymously
// until WithCredentials.
func New(c *engine.Conn) *Backend {
	b := &Backend{c: c, api: c.API, limits: newLimits()}
	b.images = image.New(image.ClientOf(c.API), connProgress{c}, nil).WithLock(c.Lock)
	return b
}

// WithCredentials makes pulls and builds use the registry credentials of
// the Docker config directory dir ($DOCKER_CONFIG, else ~/.docker): none
// when dir or its config.json is missing; a config.json that cannot be
// read fails the first pull or build, naming the file.
func (b *Backend) WithCredentials(dockerConfigDir string) *Backend {
	b.images.WithCredentials(dockerConfigDir)
	return b
}

// Build builds the images of the named services (every service with a
// build when none is named), even when they are there: `chainctl build`.
func (b *Backend) Build(ctx context.Context, t *topology.Topology, services []string) error {
	return b.images.Build(ctx, t, services)
}

// connProgress reports to the connection's reporter of the moment.
type connProgress struct{ c *engine.Conn }

func (p connProgress) Report(e progress.Event) { p.c.Progress.Report(e) }

// Kind names the backend: docker.
func (b *Backend) Kind() string { return engine.KindDocker }

// Modes are what break can inject here, each one Engine API call.
var Modes = append([]engine.Mode{
	{Name: engine.ModeKill, Help: "SIGKILL, an abrupt crash (--signal for another signal)"},
	{Name: engine.ModeStop, Help: "graceful stop with the service's grace period"},
	{Name: engine.ModePause, Help: "freeze the processes: callers hang until their timeout"},
	{Name: engine.ModeDisconnect, Help: "cut the container off every project network it is on (a partition)"},
	{Name: engine.ModeRemove, Help: "delete the container, as kubectl delete deployment does"},
	{Name: engine.ModeRestart, Help: "a crash and a come-back"},
}, engine.NetworkModeList...)

// BreakModes lists what break can inject here.
func (b *Backend) BreakModes() []engine.Mode { return Modes }
