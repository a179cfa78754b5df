package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
)

// parallel runs fn for every item at once and joins the errors: engine calls
// on different objects do not depend on each other, so nothing waits for
// what it does not need.
func parallel[T any](items []T, fn func(T) error) error {
	errs := make([]error, len(items))
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(it)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// DefaultCallTimeout bounds one engine call that must not be cut short; a
// hung engine turns into an error after it ($CHAINCTL_API_TIMEOUT).
const DefaultCallTimeout = 30 * time.Second

// detached is the context for one call that creates something: Ctrl-C must
// not cut it half-way (the engine would finish it anyway, and the object
// would escape the rollback), so it runs to its end and the caller checks
// ctx before starting the next one.
func (e *Engine) detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), e.callTimeout)
}

// callErr says so when a detached call ran out of time: a hung engine.
func (e *Engine) callErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: the engine did not answer within %s", err, e.callTimeout)
	}
	return err
}

// gone reports errors that mean "already done" for a teardown step: the
// object is not there any more, or another remover got to it first.
func gone(err error) bool {
	return err == nil || cerrdefs.IsNotFound(err) || cerrdefs.IsConflict(err)
}
