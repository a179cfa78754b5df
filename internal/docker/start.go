// Starting: every service as soon as what it depends_on is ready.

package docker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/progress"
	"github.com/chainctl/chainctl/internal/topology"
	"github.com/docker/docker/api/types/container"
)

// startAll starts every service as soon as what it depends_on is ready:
// started (compose's service_started) or healthy (service_healthy). Only
// depends_on makes a service wait. A calls edge does not: the caller's
// start is sent after its callee's, but not held until the callee runs,
// because a caller copes with a callee that is not up yet (the link
// service reports it as a broken hop) and up returns only once every
// service is running and healthy. That keeps a chain of N as fast as N
// unrelated services instead of N starts in a row; a service that must
// find its callee at boot says so with depends_on.
func (r *upRun) startAll(parent context.Context, p *upPlan) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	started := map[string]*readyOnce{}
	healthy := map[string]*readyOnce{}
	for _, name := range r.t.ServiceNames() {
		started[name] = newReadyOnce()
		healthy[name] = newReadyOnce()
	}
	// Healthy is awaited once per service, however many dependents ask.
	waitHealthy := func(dep string) error {
		h := healthy[dep]
		h.once.Do(func() {
			ids := map[string]string{}
			for _, s := range p.steps[dep] {
				ids[s.id] = s.spec.Name
			}
			h.finish(r.b.waitReady(ctx, r.t.Name, ids, r.opts.WaitTimeout, true, oneShots(r.t)))
		})
		return h.wait(ctx)
	}
	var order []string // callees' starts are launched first
	for _, level := range r.t.Levels() {
		order = append(order, level...)
	}
	var mu sync.Mutex
	// What failed, once: a dependent that did not start returns its
	// dependency's own error, which containsErr folds into one.
	var causes []error
	_ = engine.Parallel(order, func(name string) error {
		err := r.startService(ctx, name, p, started, waitHealthy)
		started[name].finish(err)
		if err == nil {
			return nil
		}
		cancel() // nothing else starts once one service failed
		if errors.Is(err, context.Canceled) {
			return nil // stopped by a failure recorded elsewhere, or Ctrl-C
		}
		mu.Lock()
		if !containsErr(causes, err) {
			causes = append(causes, err)
		}
		mu.Unlock()
		return nil
	})
	if len(causes) == 0 {
		return parent.Err() // Ctrl-C: no service failed by itself
	}
	return errors.Join(causes...)
}

func containsErr(errs []error, err error) bool {
	for _, e := range errs {
		if e == err || e.Error() == err.Error() {
			return true
		}
	}
	return false
}

// startService waits for the service's depends_on, then starts its
// replicas. A dependency that failed fails it with that dependency's error.
// Healthy and completed are awaited alike: waitReady counts a one-shot
// ready once it exited 0. The services it needs at create (network_mode
// service:x, links) are awaited as started.
func (r *upRun) startService(ctx context.Context, name string, p *upPlan, started map[string]*readyOnce, waitHealthy func(string) error) error {
	deps := maps.Clone(r.t.Services[name].DependsOn)
	if deps == nil {
		deps = map[string]topology.Condition{}
	}
	for _, dep := range createAfter(r.t.Services[name]) {
		if _, ok := deps[dep]; !ok && started[dep] != nil {
			deps[dep] = topology.ServiceStarted
		}
	}
	// Sorted only so that errors repeat; the waits overlap anyway.
	for _, dep := range slices.Sorted(maps.Keys(deps)) {
		err := started[dep].wait(ctx)
		if err == nil && (deps[dep] == topology.ServiceHealthy || deps[dep] == topology.ServiceCompletedSuccessfully) {
			err = waitHealthy(dep)
		}
		if err != nil {
			return err
		}
	}
	// A restart for a recreated dependency comes once that one is ready.
	for _, dep := range r.t.Services[name].RestartWith {
		if p.recreates(dep) && started[dep] != nil {
			if err := waitHealthy(dep); err != nil {
				return err
			}
		}
	}
	var fresh, replaced []*step
	for _, s := range p.steps[name] {
		if s.action == "recreate" {
			replaced = append(replaced, s)
		} else {
			fresh = append(fresh, s)
		}
	}
	if err := engine.Parallel(fresh, func(s *step) error { return r.start(ctx, s) }); err != nil {
		return err
	}
	return r.replace(ctx, replaced)
}

// replace starts the new versions of changed replicas one at a time: each
// must run (and be healthy) before the next one starts, and its previous
// version then stops; all of them go only when the whole up has worked.
func (r *upRun) replace(ctx context.Context, steps []*step) error {
	for _, s := range steps {
		if err := r.start(ctx, s); err != nil {
			return err
		}
		if len(steps) > 1 && !r.opts.NoWait {
			if err := r.b.waitReady(ctx, r.t.Name, map[string]string{s.id: s.spec.Name}, r.opts.WaitTimeout, true, oneShots(r.t)); err != nil {
				return err
			}
			r.retire(ctx, s)
		}
	}
	return nil
}

// readyOnce is a one-shot outcome that several goroutines wait for.
type readyOnce struct {
	once sync.Once
	done chan struct{}
	err  error
}

func newReadyOnce() *readyOnce { return &readyOnce{done: make(chan struct{})} }

func (o *readyOnce) finish(err error) {
	o.err = err
	close(o.done)
}

func (o *readyOnce) wait(ctx context.Context) error {
	select {
	case <-o.done:
		return o.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// start starts a created replica, or repairs drift on an existing one
// (stopped, paused or cut off the network behind chainctl's back).
func (r *upRun) start(ctx context.Context, s *step) error {
	name := s.spec.Name
	if s.action == "keep" {
		r.b.c.Report("container", name, "running", true)
		r.mu.Lock()
		r.res.Unchanged = append(r.res.Unchanged, name)
		r.mu.Unlock()
		return nil
	}
	switch s.action {
	case "repair":
		if err := r.b.repair(ctx, *s.old, r.t); err != nil {
			r.b.c.Fail("container", name, err)
			return err
		}
	case "restart":
		r.b.c.Progress.Report(progress.Event{Kind: "container", Resource: name, Status: "restarting", Detail: s.why})
		secs := int(graceFor(*s.old, nil) / time.Second)
		if err := r.b.api.ContainerRestart(ctx, s.id, container.StopOptions{Timeout: &secs}); err != nil {
			r.b.c.Fail("container", name, err)
			return fmt.Errorf("restart %s (service %s): %w", name, s.spec.Service, err)
		}
	default:
		if err := ctx.Err(); err != nil {
			return err
		}
		// "starting" and the call's time run from when it is sent, not from
		// when it queued for a slot (it shows "created" until then).
		err := r.b.limits.starts.Do(ctx, func() error {
			r.b.c.Report("container", name, "starting", false)
			return r.b.startOnce(ctx, s.id)
		})
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return err // never sent: the up stopped while it waited for a slot
		}
		if err != nil {
			r.b.c.Fail("container", name, err)
			return startError(s.spec, r.b.c.CallErr(err))
		}
	}
	r.mu.Lock()
	r.res.Started = append(r.res.Started, name)
	r.mu.Unlock()
	r.b.c.Report("container", name, "started", r.opts.NoWait)
	return nil
}

// staleTaskRetries bounds how often a start refused for a task the engine's
// containerd still holds is tried again, staleTaskWait apart.
const (
	staleTaskRetries = 5
	staleTaskWait    = 500 * time.Millisecond
)

// startOnce sends one start, on its own detached context. A dockerd that
// was killed and started again clears the tasks its containerd kept
// ("Container not cleaned up from containerd from previous run") while it
// already answers; a start in that moment is refused with "task ...:
// already exists", and a moment later it works, so that refusal is tried
// again a few times.
func (b *Backend) startOnce(ctx context.Context, id string) error {
	for try := 0; ; try++ {
		cctx, cancel := b.c.Detached(ctx)
		err := b.api.ContainerStart(cctx, id, container.StartOptions{})
		cancel()
		if err == nil || try == staleTaskRetries || !strings.Contains(err.Error(), "already exists") || !strings.Contains(err.Error(), "task ") {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(staleTaskWait):
		}
	}
}

// startError turns the engine's port clash into one that names the port.
func startError(spec *containerSpec, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "port is already allocated") || strings.Contains(msg, "address already in use") {
		var ports []string
		for _, bs := range spec.Host.PortBindings {
			for _, b := range bs {
				if b.HostPort != "" {
					ports = append(ports, b.HostIP+":"+b.HostPort)
				}
			}
		}
		sort.Strings(ports)
		return fmt.Errorf("start %s (service %s): host port %s is already in use: %w", spec.Name, spec.Service, strings.Join(ports, ", "), err)
	}
	return fmt.Errorf("start %s (service %s): %w", spec.Name, spec.Service, err)
}
