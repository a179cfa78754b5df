// Replacing a changed replica without making things worse: the previous container is set aside, not removed, until the new one is running and healthy, and put back when it is not.

package docker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/engine"
)

// asideContainer is the previous version of a recreated replica.
type asideContainer struct {
	c       container.Summary
	name    string // its own name, to give back
	running bool   // it ran before up: it runs again on a restore
	stopped bool   // up stopped it (its fixed host ports, or its replacement is healthy)
}

// asideName is where a previous version waits: <name>-prev-<id>.
func asideName(c container.Summary) string {
	return engine.NameOf(c) + "-prev-" + engine.ShortID(c.ID)[:6]
}

// fixedPorts reports whether the replica publishes a host port of its own
// choosing, which the previous version holds while it runs.
func fixedPorts(s *step) bool {
	for _, bs := range s.spec.Host.PortBindings {
		for _, b := range bs {
			if b.HostPort != "" && b.HostPort != "0" {
				return true
			}
		}
	}
	return false
}

// setAside renames the previous container out of its name, so the new one
// can take it; where a fixed host port forbids two at once, it stops it
// first (stop-first), else it keeps it running until the new one is
// healthy (start-first).
func (r *upRun) setAside(ctx context.Context, s *step) error {
	a := &asideContainer{c: *s.old, name: engine.NameOf(*s.old), running: s.old.State == container.StateRunning}
	cctx, cancel := r.b.c.Detached(ctx)
	defer cancel()
	if a.running && fixedPorts(s) {
		secs := int(graceFor(a.c, nil) / time.Second)
		if err := r.b.api.ContainerStop(cctx, a.c.ID, container.StopOptions{Timeout: &secs}); !engine.Gone(err) {
			return fmt.Errorf("stop the previous %s: %w", a.name, err)
		}
		a.stopped = true
	}
	if err := r.b.api.ContainerRename(cctx, a.c.ID, asideName(a.c)); err != nil {
		return fmt.Errorf("set the previous %s aside: %w", a.name, r.b.c.CallErr(err))
	}
	r.mu.Lock()
	r.aside = append(r.aside, a)
	r.mu.Unlock()
	return nil
}

// retire stops the previous version of a replica whose replacement is
// healthy: one replica at a time, capacity is kept (it is removed when the
// whole up has succeeded).
func (r *upRun) retire(ctx context.Context, s *step) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.aside {
		if a.c.ID == s.old.ID && !a.stopped {
			secs := int(graceFor(a.c, nil) / time.Second)
			if err := r.b.api.ContainerStop(ctx, a.c.ID, container.StopOptions{Timeout: &secs}); engine.Gone(err) {
				a.stopped = true
			}
		}
	}
}

// dropAside removes the previous versions once up has succeeded.
func (r *upRun) dropAside(ctx context.Context) error {
	return engine.Parallel(r.aside, func(a *asideContainer) error {
		c := a.c
		c.State = container.StateRunning // stop it gracefully, whatever it does now
		if a.stopped {
			c.State = container.StateExited
		}
		c.Names = []string{"/" + asideName(a.c)}
		return r.b.removeContainer(ctx, c, nil)
	})
}

// restoreAside puts every previous version back under its name and starts
// the ones that ran, then waits until they run again (healthy where they
// have a healthcheck). The new containers are gone by then (rollback).
func (r *upRun) restoreAside(ctx context.Context) error {
	var errs []error
	wait := map[string]string{}
	for _, a := range r.aside {
		if err := r.b.api.ContainerRename(ctx, a.c.ID, a.name); err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, fmt.Errorf("put %s back: %w", a.name, err))
			continue
		}
		r.b.c.Report("container", a.name, "restored", !a.running)
		if !a.running {
			continue
		}
		if a.stopped {
			if err := r.b.api.ContainerStart(ctx, a.c.ID, container.StartOptions{}); err != nil {
				errs = append(errs, fmt.Errorf("start the previous %s again: %w", a.name, err))
				continue
			}
		}
		wait[a.c.ID] = a.name
	}
	if len(wait) > 0 && len(errs) == 0 {
		errs = append(errs, r.b.waitReady(ctx, r.t.Name, wait, r.opts.WaitTimeout, false, oneShots(r.t)))
	}
	return errors.Join(errs...)
}

// restoredNames are the replicas whose previous version runs again.
func (r *upRun) restoredNames() []string {
	var out []string
	for _, a := range r.aside {
		out = append(out, a.name)
	}
	sort.Strings(out)
	return out
}
