package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"

	"github.com/chainctl/chainctl/internal/progress"
)

// DefaultGracePeriod is how long a container may take to stop on SIGTERM
// before it is killed, when its service sets no stop_grace_period.
const DefaultGracePeriod = 10 * time.Second

// removeContainer stops a container gracefully (grace nil: the service's
// own grace period) and removes it with its anonymous volumes. A container
// that is already gone counts as removed.
func (e *Engine) removeContainer(ctx context.Context, c container.Summary, grace *time.Duration) error {
	name := containerName(c)
	e.progress.Report(progress.Event{Kind: "container", Resource: name, Status: "removing"})
	if c.State == container.StateRunning || c.State == container.StateRestarting {
		secs := int(graceFor(c, grace) / time.Second)
		if err := e.api.ContainerStop(ctx, c.ID, container.StopOptions{Timeout: &secs}); !gone(err) {
			return fmt.Errorf("stop container %s: %w", name, err)
		}
	}
	// Force also covers a paused container, which cannot take SIGTERM.
	err := e.api.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if !gone(err) {
		e.progress.Report(progress.Event{Kind: "container", Resource: name, Status: "failed", Detail: err.Error(), Failed: true})
		return fmt.Errorf("remove container %s: %w", name, err)
	}
	e.progress.Report(progress.Event{Kind: "container", Resource: name, Status: "removed", Done: true})
	return nil
}

// graceFor is the override if given, else the service's stop_grace_period
// recorded on the container, else the default.
func graceFor(c container.Summary, override *time.Duration) time.Duration {
	if override != nil {
		return *override
	}
	if svc := serviceSpec(c); svc != nil && svc.StopGracePeriod != nil {
		return time.Duration(*svc.StopGracePeriod)
	}
	return DefaultGracePeriod
}

// repair undoes drift on one of our containers: start it if it stopped,
// unpause it, reconnect it to the project network under its service alias.
func (e *Engine) repair(ctx context.Context, c container.Summary, netName string) error {
	name, svc := containerName(c), c.Labels[LabelService]
	if !onNetwork(c, netName) {
		e.progress.Report(progress.Event{Kind: "container", Resource: name, Status: "reconnecting"})
		err := e.api.NetworkConnect(ctx, netName, c.ID, &network.EndpointSettings{Aliases: []string{svc}})
		if err != nil {
			return fmt.Errorf("reconnect %s to %s: %w", name, netName, err)
		}
	}
	switch c.State {
	case container.StatePaused:
		e.progress.Report(progress.Event{Kind: "container", Resource: name, Status: "unpausing"})
		if err := e.api.ContainerUnpause(ctx, c.ID); err != nil {
			return fmt.Errorf("unpause %s: %w", name, err)
		}
	case container.StateRunning, container.StateRestarting:
	default:
		e.progress.Report(progress.Event{Kind: "container", Resource: name, Status: "starting"})
		if err := e.api.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
			return fmt.Errorf("start %s: %w", name, err)
		}
	}
	return nil
}
