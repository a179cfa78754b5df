// One container's teardown, and the repair of drift on one of ours.

package docker

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

// DefaultGracePeriod is how long a container may take to stop on SIGTERM
// before it is killed, when its service sets no stop_grace_period.
const DefaultGracePeriod = 10 * time.Second

// removeContainer stops a container gracefully (grace nil: the service's
// own grace period) and removes it with its anonymous volumes. A container
// that is already gone counts as removed.
func (b *Backend) removeContainer(ctx context.Context, c container.Summary, grace *time.Duration) error {
	name := engine.NameOf(c)
	b.c.Report("container", name, "removing", false)
	if err := b.stopAndRemove(ctx, c, int(graceFor(c, grace)/time.Second)); err != nil {
		b.c.Fail("container", name, err)
		return err
	}
	b.c.Report("container", name, "removed", true)
	return nil
}

// removeNow removes a container abruptly, as `docker rm -f` does (SIGKILL,
// no grace period), but in the order that never takes dockerd down.
func (b *Backend) removeNow(ctx context.Context, c container.Summary) error {
	return b.stopAndRemove(ctx, c, 0)
}

// stopAndRemove stops a running container (SIGTERM, SIGKILL after secs)
// and waits for its exit, then, if it has a healthcheck, for its probes'
// execs to be gone (awaitExecs), then removes it within the removal bound.
// Force also covers a paused container, which cannot take SIGTERM.
func (b *Backend) stopAndRemove(ctx context.Context, c container.Summary, secs int) error {
	name := engine.NameOf(c)
	if c.State == container.StateRunning || c.State == container.StateRestarting {
		if err := b.api.ContainerStop(ctx, c.ID, container.StopOptions{Timeout: &secs}); !engine.Gone(err) {
			return fmt.Errorf("stop container %s: %w", name, err)
		}
		if engine.Health(c) != "-" { // it has a healthcheck: its probes may be in flight
			b.awaitExecs(ctx, c.ID)
		}
	}
	err := b.limits.removes.Do(ctx, func() error {
		return b.api.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
	})
	if !engine.Gone(err) {
		return fmt.Errorf("remove container %s: %w", name, err)
	}
	return nil
}

// execsDrain bounds how long a stopped container's health probes may take
// to be gone before it is removed anyway.
const execsDrain = 5 * time.Second

// awaitExecs waits until the stopped container has no exec left (its
// health probes). dockerd 20.10 panics, and the daemon goes down with
// every container on it, when a container is removed while a probe of it
// is between its exec's creation and its start (daemon/exec.go reads the
// removed container: a nil pointer); on a loaded engine that window is
// wide, and chainctl saw it twice in one afternoon. A probe that starts
// after the exit is refused ("not running") and leaves the list.
func (b *Backend) awaitExecs(ctx context.Context, id string) {
	_ = engine.Poll(ctx, engine.PollInterval, time.Now().Add(execsDrain), func() (bool, error) {
		ins, err := b.api.ContainerInspect(ctx, id)
		return err != nil || len(ins.ExecIDs) == 0, nil
	})
}

// graceFor is the override if given, else the service's stop_grace_period
// recorded on the container, else the default.
func graceFor(c container.Summary, override *time.Duration) time.Duration {
	if override != nil {
		return *override
	}
	if svc := engine.ServiceSpec(c); svc != nil && svc.StopGracePeriod != nil {
		return time.Duration(*svc.StopGracePeriod)
	}
	return DefaultGracePeriod
}

// repair undoes drift on one of our containers: start it if it stopped,
// unpause it, reconnect it to every network of its service it is off,
// with the aliases, addresses and links it was created with.
func (b *Backend) repair(ctx context.Context, c container.Summary, t *topology.Topology) error {
	name := engine.NameOf(c)
	for _, a := range offNetworks(t, c) {
		b.c.Report("container", name, "reconnecting", false)
		ep := endpointSettings(a, linksOn(t, serviceOf(t, c), a.Name))
		if err := b.api.NetworkConnect(ctx, a.Name, c.ID, ep); err != nil {
			return fmt.Errorf("reconnect %s to %s: %w", name, a.Name, err)
		}
	}
	switch c.State {
	case container.StatePaused:
		b.c.Report("container", name, "unpausing", false)
		if err := b.api.ContainerUnpause(ctx, c.ID); err != nil {
			return fmt.Errorf("unpause %s: %w", name, err)
		}
	case container.StateRunning, container.StateRestarting:
	default:
		b.c.Report("container", name, "starting", false)
		if err := b.api.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
			return fmt.Errorf("start %s: %w", name, err)
		}
	}
	return nil
}
