// Package engine is what every backend shares: the connection to a Docker
// Engine and its API negotiation, the narrow client interfaces, labels and
// ownership filters, the Backend interface and its types, and the polling
// and parallel helpers. Every call takes a context; every lookup goes
// through the project's labels.
package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/client"

	"github.com/chainctl/chainctl/internal/lock"
	"github.com/chainctl/chainctl/internal/progress"
)

// Conn is one connection to a Docker Engine, with what every backend needs
// around it: where progress goes, how long one call may take, and the
// project locks.
type Conn struct {
	API         Client
	Progress    progress.Reporter
	CallTimeout time.Duration
	lockDir     string
}

// ConnectOptions say how to reach the engine. The command line fills them
// from its flags and the environment; nothing below it reads either.
type ConnectOptions struct {
	Client      []client.Opt // e.g. client.FromEnv; the API version is always negotiated
	Progress    progress.Reporter
	CallTimeout time.Duration // one engine call that must not be cut short (default DefaultCallTimeout)
	LockDir     string        // where project locks live
}

// pingTimeout bounds how long an unreachable daemon can make us wait.
const pingTimeout = 5 * time.Second

// DefaultCallTimeout bounds one engine call that must not be cut short; a
// hung engine turns into an error after it ($CHAINCTL_API_TIMEOUT).
const DefaultCallTimeout = 30 * time.Second

// ErrDaemonUnreachable marks errors caused by a daemon that does not answer.
var ErrDaemonUnreachable = errors.New("docker daemon unreachable")

// Connect opens a client, negotiates the API version and checks that the
// daemon answers.
func Connect(ctx context.Context, o ConnectOptions) (*Conn, error) {
	opts := append(append([]client.Opt{}, o.Client...), client.WithAPIVersionNegotiation())
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if _, err := cli.Ping(pctx); err != nil {
		cli.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, unreachable(cli.DaemonHost(), err)
	}
	return New(cli, o), nil
}

// New wraps an existing client (tests use it with a proxied one).
func New(api Client, o ConnectOptions) *Conn {
	c := &Conn{API: api, Progress: o.Progress, CallTimeout: o.CallTimeout, lockDir: o.LockDir}
	if c.Progress == nil {
		c.Progress = progress.Discard
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	return c
}

// Close releases the client's connections.
func (c *Conn) Close() error { return c.API.Close() }

func unreachable(host string, err error) error {
	hint := "start it (e.g. `sudo systemctl start docker` or `dockerd &`)"
	if host != client.DefaultDockerHost {
		hint += " or check DOCKER_HOST"
	}
	return fmt.Errorf("%w at %s: %v\n%s", ErrDaemonUnreachable, host, err, hint)
}

// Lock keeps a second chainctl from changing the same project at the same
// time: on this machine through a file lock (which the kernel drops when
// its holder dies), and on every machine through a lock on the engine
// itself (see enginelock.go). When the last holder died holding the lock,
// the engine may still be finishing calls it had sent: Lock waits until
// the project stops changing.
func (c *Conn) Lock(ctx context.Context, project string) (func(), error) {
	l, err := lock.Acquire(c.lockDir, c.API.DaemonHost(), project)
	if err != nil {
		return nil, err
	}
	unlockEngine, err := c.engineLock(ctx, project)
	if err != nil {
		_ = l.Release()
		return nil, err
	}
	release := func() { unlockEngine(); _ = l.Release() }
	if l.Abandoned {
		c.Progress.Report(progress.Event{Kind: "project", Resource: project, Status: "settling", Detail: "the last chainctl on this project was killed; waiting for its engine calls to land"})
		if err := c.settle(ctx, project); err != nil {
			release()
			return nil, err
		}
	}
	return release, nil
}

// Detached is the context for one call that creates something: Ctrl-C must
// not cut it half-way (the engine would finish it anyway, and the object
// would escape the rollback), so it runs to its end and the caller checks
// ctx before starting the next one.
func (c *Conn) Detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), c.CallTimeout)
}

// CallErr says so when a detached call ran out of time: a hung engine.
func (c *Conn) CallErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: the engine did not answer within %s", err, c.CallTimeout)
	}
	return err
}

// Report sends one progress event.
func (c *Conn) Report(kind, resource, status string, done bool) {
	c.Progress.Report(progress.Event{Kind: kind, Resource: resource, Status: status, Done: done})
}

// Fail reports a step that failed.
func (c *Conn) Fail(kind, resource string, err error) {
	c.Progress.Report(progress.Event{Kind: kind, Resource: resource, Status: "failed", Detail: err.Error(), Failed: true})
}

// LocalDaemon reports whether the engine at host runs on this machine, so
// that what it publishes lands here (probing a port here means something).
func LocalDaemon(host string) bool {
	return host == "" || strings.HasPrefix(host, "unix://") || strings.HasPrefix(host, "npipe://")
}
