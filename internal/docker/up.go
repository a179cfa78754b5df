// Up: converge the engine to a topology, and roll back what a failed up made.

package docker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

// upRun is one `up`: the plan and what it created, so a failure can remove
// exactly that.
type upRun struct {
	b        *Backend
	t        *topology.Topology
	opts     engine.UpOptions
	res      *engine.UpResult
	imageIDs map[string]string

	mu                sync.Mutex
	createdNetworks   []createdNetwork
	createdVolumes    []string
	createdContainers []string
	aside             []*asideContainer // previous versions of recreated replicas, kept until up succeeds
}

// Up converges the engine to the topology: it creates what is missing,
// recreates what changed, starts services in dependency order and waits
// until they are running and healthy. On failure it removes what this run
// created (unless KeepOnFailure) and returns the cause.
func (b *Backend) Up(ctx context.Context, t *topology.Topology, opts engine.UpOptions) (*engine.UpResult, error) {
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = engine.DefaultWaitTimeout
	}
	unlock, err := b.c.Lock(ctx, t.Name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	r := &upRun{b: b, t: t, opts: opts, res: &engine.UpResult{Project: t.Name}}
	err = r.run(ctx)
	if opts.DryRun {
		return r.res, err // nothing was made, nothing to roll back
	}
	if err == nil {
		err = b.recordSpec(ctx, t, r.imageIDs)
	}
	if err == nil {
		return r.res, r.dropAside(ctx)
	}
	if !opts.KeepOnFailure {
		if rbErr := r.rollback(); rbErr != nil {
			err = fmt.Errorf("%w\nrollback incomplete, run `chainctl down -p %s`: %v", err, t.Name, rbErr)
		} else if restored := r.restoredNames(); len(restored) > 0 {
			err = fmt.Errorf("%w\nthe previous version of %s runs again", err, strings.Join(restored, ", "))
		}
	}
	return r.res, err
}

func (r *upRun) run(ctx context.Context) error {
	all, err := r.b.api.ContainerList(ctx, container.ListOptions{All: true})
	if err != nil {
		return fmt.Errorf("list containers: %w", err)
	}
	if err := r.preflight(ctx, all); err != nil {
		return err
	}
	if r.opts.DryRun {
		return r.dryRun(ctx, all)
	}
	// The networks and the volumes do not depend on each other; the
	// containers need both.
	err = engine.Parallel([]func() error{
		func() error { return r.ensureNetworks(ctx) },
		func() error { return r.ensureVolumes(ctx) },
	}, func(f func() error) error { return f() })
	if err != nil {
		return err
	}
	plan, err := r.plan(all)
	if err != nil {
		return err
	}
	if err := r.apply(ctx, plan); err != nil {
		return err
	}
	if r.opts.NoWait {
		return nil
	}
	return r.b.waitReady(ctx, r.t.Name, plan.ids(), r.opts.WaitTimeout, true, oneShots(r.t))
}

// preflight checks, before anything is created, that no foreign container
// or process holds a name or a port we need and that every image is there:
// it builds and pulls what the topology's rules say, so a failing build or
// a refused pull creates nothing. When another check already refuses the
// up (or with DryRun), it only plans the images: their refusals are still
// said, and nothing is built or pulled for an up that cannot run.
func (r *upRun) preflight(ctx context.Context, all []container.Summary) error {
	errs := r.opts.Policy.Check(r.t, r.b.api.DaemonHost())
	errs = append(errs, r.checkExternal(ctx)...)
	errs = append(errs, nameClashes(r.t, all)...)
	errs = append(errs, portClashes(r.t, all, r.b.api.DaemonHost())...)
	opts := r.opts
	opts.DryRun = opts.DryRun || len(errs) > 0
	ids, err := r.b.images.Prepare(ctx, r.t, opts)
	if err != nil {
		errs = append(errs, err)
	}
	r.imageIDs = ids
	return errors.Join(errs...)
}

// removeCreated removes the containers this run created as removeAll does
// (off the network a few at a time, then killed, with no grace period:
// they were never in service, and their exits awaited), rather than
// force-removed all at once while they run. One the list does not show (gone,
// or its create landed after the list) is force-removed by ID.
func (r *upRun) removeCreated(ctx context.Context) error {
	if len(r.createdContainers) == 0 {
		return nil
	}
	created := map[string]bool{}
	for _, id := range r.createdContainers {
		created[id] = true
	}
	var mine []container.Summary
	if cs, err := engine.Containers(ctx, r.b.api, r.t.Name); err == nil {
		for _, c := range cs {
			if created[c.ID] {
				mine = append(mine, c)
				delete(created, c.ID)
			}
		}
	}
	zero := time.Duration(0)
	errs := []error{r.b.removeAll(ctx, mine, &zero)}
	errs = append(errs, engine.Parallel(slices.Sorted(maps.Keys(created)), func(id string) error {
		err := r.b.limits.removes.Do(ctx, func() error {
			return r.b.api.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
		})
		if engine.Gone(err) {
			return nil
		}
		return fmt.Errorf("remove container %s: %w", id[:12], err)
	}))
	return errors.Join(errs...)
}

// rollback removes what this run created, newest first, on a context of its
// own so that it also runs after Ctrl-C.
func (r *upRun) rollback() error {
	ctx, cancel := context.WithTimeout(context.Background(), engine.RollbackTimeout)
	defer cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	errs = append(errs, r.removeCreated(ctx))
	errs = append(errs, r.restoreAside(ctx))
	errs = append(errs, engine.Parallel(r.createdVolumes, func(name string) error {
		err := r.b.api.VolumeRemove(ctx, name, true)
		if err == nil || cerrdefs.IsNotFound(err) {
			r.b.c.Report("volume", name, "rolled back", true)
			return nil
		}
		return fmt.Errorf("remove volume %s: %w", name, err)
	}))
	errs = append(errs, r.rollbackNetworks(ctx))
	return errors.Join(errs...)
}
