// Package docker is the plain Docker backend: a project as named
// containers on one Docker Engine, on the project's networks, with named
// volumes, everything found again by its labels.
package docker

import (
	"github.com/chainctl/chainctl/internal/engine"
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
	c   *engine.Conn
	api api
}

// New is the docker backend on the connection c.
func New(c *engine.Conn) *Backend { return &Backend{c: c, api: c.API} }

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
