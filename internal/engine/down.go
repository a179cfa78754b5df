package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"

	"github.com/chainctl/chainctl/internal/progress"
)

// DownOptions tune `chainctl down`.
type DownOptions struct {
	Timeout     *time.Duration // overrides every service's grace period
	KeepVolumes bool
}

// DownResult says what `down` removed.
type DownResult struct {
	Services   []string // swarm services
	Containers []string
	Networks   []string
	Volumes    []string
}

// Down removes everything that carries the project's label — containers,
// networks and, unless KeepVolumes, volumes — and nothing else. It works
// without the topology file, after a failed or interrupted up, and twice.
func (e *Engine) Down(ctx context.Context, project string, opts DownOptions) (*DownResult, error) {
	unlock, err := e.lockProject(ctx, project)
	if err != nil {
		return nil, err
	}
	defer unlock()
	res := &DownResult{}
	// Pass again until a pass finds nothing: a create sent by an up that
	// was interrupted (not killed) may still land during the first one.
	const passes = 3
	for pass := 0; pass < passes; pass++ {
		found, err := e.downPass(ctx, project, opts, res)
		if err != nil || !found {
			return res, err
		}
	}
	return res, nil
}

// stragglerWindow bounds the wait for a container whose name is taken to
// become visible.
const stragglerWindow = 2 * time.Second

// downPass removes what the project has now and says whether it found
// anything.
func (e *Engine) downPass(ctx context.Context, project string, opts DownOptions, res *DownResult) (bool, error) {
	cs, err := e.containers(ctx, project)
	if err != nil {
		return false, err
	}
	t, err := e.recordedTopology(ctx, project, cs)
	if err != nil {
		return false, err
	}
	e.signalCallersFirst(ctx, cs, t.ReverseLevels())
	if err := e.sweepContainers(ctx, project, cs, opts.Timeout, res); err != nil {
		return true, err
	}
	found := len(cs) > 0

	ns, err := e.networks(ctx, project)
	if err != nil {
		return found, err
	}
	found = found || len(ns) > 0
	var errs []error
	for _, n := range ns {
		e.progress.Report(progress.Event{Kind: "network", Resource: n.Name, Status: "removing"})
		if err := e.removeNetwork(ctx, n.ID, n.Name, project); err != nil {
			errs = append(errs, err)
			continue
		}
		res.Networks = append(res.Networks, n.Name)
		e.progress.Report(progress.Event{Kind: "network", Resource: n.Name, Status: "removed", Done: true})
	}
	vs, err := e.volumes(ctx, project)
	if err != nil {
		return found, errors.Join(append(errs, err)...)
	}
	for _, v := range vs {
		if opts.KeepVolumes && v.Labels[LabelSpec] == "" {
			continue // data is kept; the topology record goes with the project
		}
		found = true
		err := e.api.VolumeRemove(ctx, v.Name, false)
		if cerrdefs.IsConflict(err) {
			// In use: by a container an interrupted up had in flight; sweep again.
			if serr := e.sweepContainers(ctx, project, nil, opts.Timeout, res); serr != nil {
				errs = append(errs, serr)
			}
			err = e.api.VolumeRemove(ctx, v.Name, false)
		}
		if err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove volume %s: %w", v.Name, err))
			continue
		}
		res.Volumes = append(res.Volumes, v.Name)
		e.progress.Report(progress.Event{Kind: "volume", Resource: v.Name, Status: "removed", Done: true})
	}
	return found, errors.Join(errs...)
}

// sweepContainers removes cs, then lists again until no container of the
// project is left: a create that an interrupted up had sent may land on the
// engine after the first list.
func (e *Engine) sweepContainers(ctx context.Context, project string, cs []container.Summary, grace *time.Duration, res *DownResult) error {
	const passes = 5
	for pass := 0; pass < passes; pass++ {
		if cs == nil || pass > 0 {
			var err error
			if cs, err = e.containers(ctx, project); err != nil {
				return err
			}
		}
		if len(cs) == 0 {
			return nil
		}
		if err := parallel(cs, func(c container.Summary) error { return e.removeContainer(ctx, c, grace) }); err != nil {
			return err
		}
		for _, c := range cs {
			res.Containers = append(res.Containers, containerName(c))
		}
	}
	return nil
}

// signalCallersFirst sends SIGTERM level by level, callers before callees,
// so a chain drains from its entry; it does not wait for anyone to exit
// (that is what keeps a long chain's teardown as fast as a flat one's).
func (e *Engine) signalCallersFirst(ctx context.Context, cs []container.Summary, levels [][]string) {
	byService := map[string][]container.Summary{}
	for _, c := range cs {
		if c.State == container.StateRunning {
			byService[c.Labels[LabelService]] = append(byService[c.Labels[LabelService]], c)
		}
	}
	for _, level := range levels {
		var batch []container.Summary
		for _, svc := range level {
			batch = append(batch, byService[svc]...)
		}
		_ = parallel(batch, func(c container.Summary) error {
			// Best effort: ContainerStop below sends it again and kills after the grace period.
			return e.api.ContainerKill(ctx, c.ID, "SIGTERM")
		})
	}
}

// networkBusyWait bounds how long a network whose only endpoints are the
// project's own (containers still going away) is tried again.
const networkBusyWait = 10 * time.Second

// removeNetwork removes one of the project's networks. "Active endpoints"
// has three causes, each handled apart: the project's own containers still
// going away (tried again, compose#10295), containers of someone else
// (named, never touched), and endpoints the engine lists for no container
// (an engine fault after starts it gave up on; only its restart clears them).
func (e *Engine) removeNetwork(ctx context.Context, id, name, project string) error {
	deadline := time.Now().Add(networkBusyWait)
	for {
		err := e.api.NetworkRemove(ctx, id)
		if err == nil || cerrdefs.IsNotFound(err) {
			return nil
		}
		if !strings.Contains(err.Error(), "active endpoints") {
			return fmt.Errorf("remove network %s: %w", name, err)
		}
		ins, ierr := e.api.NetworkInspect(ctx, id, network.InspectOptions{})
		if cerrdefs.IsNotFound(ierr) {
			return nil
		}
		if ierr != nil {
			return fmt.Errorf("remove network %s: %w (and inspecting it: %v)", name, err, ierr)
		}
		var foreign []string
		for cid, ep := range ins.Containers {
			c, cerr := e.api.ContainerInspect(ctx, cid)
			if cerr == nil && c.Config != nil && !ownedBy(c.Config.Labels, project) {
				foreign = append(foreign, ep.Name)
			}
		}
		if len(foreign) > 0 {
			sort.Strings(foreign)
			return fmt.Errorf("network %s has containers attached that are not project %s's: %s; chainctl does not touch them: disconnect them (`docker network disconnect %s CONTAINER`) and run down again",
				name, project, strings.Join(foreign, ", "), name)
		}
		if time.Now().After(deadline) {
			if len(ins.Containers) == 0 {
				return fmt.Errorf("network %s: the engine reports active endpoints but shows no container on it (stale endpoints, an engine fault seen after starts that timed out under load); restart the Docker daemon, then run `chainctl down -p %s` again", name, project)
			}
			return fmt.Errorf("network %s: project %s's containers are still attached after %s; run down again", name, project, networkBusyWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}
