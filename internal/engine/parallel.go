package engine

import (
	"errors"
	"sync"

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

// gone reports errors that mean "already done" for a teardown step: the
// object is not there any more, or another remover got to it first.
func gone(err error) bool {
	return err == nil || cerrdefs.IsNotFound(err) || cerrdefs.IsConflict(err)
}
