package engine

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"

	"github.com/chainctl/chainctl/internal/topology"
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
			h.finish(r.e.waitReady(ctx, r.t.Name, ids, r.opts.WaitTimeout, true))
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
	_ = parallel(order, func(name string) error {
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
func (r *upRun) startService(ctx context.Context, name string, p *upPlan, started map[string]*readyOnce, waitHealthy func(string) error) error {
	deps := r.t.Services[name].DependsOn
	// Sorted only so that errors repeat; the waits overlap anyway.
	for _, dep := range slices.Sorted(maps.Keys(deps)) {
		err := started[dep].wait(ctx)
		if err == nil && deps[dep] == topology.ServiceHealthy {
			err = waitHealthy(dep)
		}
		if err != nil {
			return err
		}
	}
	return parallel(p.steps[name], func(s *step) error { return r.start(ctx, s) })
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
