// Package image gets the images a topology needs onto the engine: it
// plans, image by image, whether to build, pull or use what is there (by
// compose's rules), then builds through ImageBuild and pulls through
// ImagePull with the Docker config's credentials, reporting progress as
// it goes. It creates nothing else: up runs it before anything of the
// project exists.
package image

import (
	"context"
	"errors"
	"io"

	"github.com/docker/docker/api/types/build"
	imagetypes "github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/progress"
	"github.com/chainctl/chainctl/internal/registryauth"
)

// API is what the images package calls of the Engine API.
type API interface {
	ImageInspect(ctx context.Context, ref string, opts ...client.ImageInspectOption) (imagetypes.InspectResponse, error)
	ImagePull(ctx context.Context, ref string, opts imagetypes.PullOptions) (io.ReadCloser, error)
	ImageBuild(ctx context.Context, buildContext io.Reader, opts build.ImageBuildOptions) (build.ImageBuildResponse, error)
}

// ClientOf is api as an API: a client that cannot build (a test's proxy
// with the ImageAPI slice only) says so when asked to.
func ClientOf(api engine.ImageAPI) API {
	if a, ok := api.(API); ok {
		return a
	}
	return noBuild{api}
}

type noBuild struct{ engine.ImageAPI }

func (noBuild) ImageBuild(context.Context, io.Reader, build.ImageBuildOptions) (build.ImageBuildResponse, error) {
	return build.ImageBuildResponse{}, errors.New("this engine client cannot build images")
}

// Images plans, builds and pulls on one engine.
type Images struct {
	api     API
	rep     progress.Reporter
	auth    *registryauth.Config // nil: anonymous
	authErr error                // a config.json that could not be read: returned by the first pull or build
	lock    func(ctx context.Context, project string) (func(), error)
}

// New is the images of the engine api, progress reported to rep, pulls
// and builds with auth's credentials (nil: anonymous).
func New(api API, rep progress.Reporter, auth *registryauth.Config) *Images {
	if rep == nil {
		rep = progress.Discard
	}
	return &Images{api: api, rep: rep, auth: auth}
}

// WithCredentials reads the Docker config directory dir: no directory
// ("") or no config.json is anonymous; a config.json that cannot be read
// fails the first pull or build, naming the file, and leaves up with
// images already there unaffected.
func (m *Images) WithCredentials(dir string) *Images {
	m.auth, m.authErr = registryauth.Load(dir)
	return m
}

// WithLock makes Build hold the project (the docker backend gives its
// connection's Lock) while it builds; Prepare runs inside up, which holds
// it already.
func (m *Images) WithLock(lock func(ctx context.Context, project string) (func(), error)) *Images {
	m.lock = lock
	return m
}

func (m *Images) report(kind, resource, status, detail string, done bool) {
	m.rep.Report(progress.Event{Kind: kind, Resource: resource, Status: status, Detail: detail, Done: done})
}

func (m *Images) fail(resource string, err error) {
	m.rep.Report(progress.Event{Kind: "image", Resource: resource, Status: "failed", Detail: err.Error(), Failed: true})
}
