package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
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
	var causes []error // what failed, not who then did not start
	_ = parallel(order, func(name string) error {
		err := r.startService(ctx, name, p, started, waitHealthy)
		started[name].finish(err)
		if err == nil {
			return nil
		}
		cancel() // nothing else starts once one service failed
		var dep dependencyFailure
		if errors.As(err, &dep) {
			err = dep.err // a healthy wait's own failure, or a cancel
		}
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

// startService waits for the service's depends_on, then starts its replicas.
func (r *upRun) startService(ctx context.Context, name string, p *upPlan, started map[string]*readyOnce, waitHealthy func(string) error) error {
	for _, dep := range sortedDeps(r.t.Services[name].DependsOn) {
		err := started[dep.name].wait(ctx)
		if err == nil && dep.cond == topology.ServiceHealthy {
			err = waitHealthy(dep.name)
		}
		if err != nil {
			return dependencyFailure{service: name, dep: dep.name, err: err}
		}
	}
	return parallel(p.steps[name], func(s *step) error { return r.start(ctx, s) })
}

type depCond struct {
	name string
	cond topology.Condition
}

func sortedDeps(m map[string]topology.Condition) []depCond {
	out := make([]depCond, 0, len(m))
	for name, cond := range m {
		out = append(out, depCond{name, cond})
	}
	// Order only makes errors repeatable; the waits overlap anyway.
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// dependencyFailure is a service that did not start because one it depends
// on failed: the dependency's own error is the one worth reporting.
type dependencyFailure struct {
	service, dep string
	err          error
}

func (d dependencyFailure) Error() string {
	return fmt.Sprintf("service %s not started: its dependency %s is not ready", d.service, d.dep)
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
