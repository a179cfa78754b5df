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
	if c.State == container.StateRunning || c.State == container.StateRestarting {
		secs := int(graceFor(c, grace) / time.Second)
		if err := b.api.ContainerStop(ctx, c.ID, container.StopOptions{Timeout: &secs}); !engine.Gone(err) {
			return fmt.Errorf("stop container %s: %w", name, err)
		}
	}
	// Force also covers a paused container, which cannot take SIGTERM.
	err := b.limits.removes.Do(ctx, func() error {
		return b.api.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
	})
	if !engine.Gone(err) {
		b.c.Fail("container", name, err)
		return fmt.Errorf("remove container %s: %w", name, err)
	}
	b.c.Report("container", name, "removed", true)
	return nil
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
