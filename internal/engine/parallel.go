// Parallel engine calls, and the errors that mean a teardown step is already done.

package engine

import (
	"errors"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
)

// Parallel runs fn for every item at once and joins the errors: engine calls
// on different objects do not depend on each other, so nothing waits for
// what it does not need.
func Parallel[T any](items []T, fn func(T) error) error {
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

// Indexes is 0..n-1, for Parallel over positions.
func Indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// Gone reports errors that mean "already done" for a teardown step: the
// object is not there any more, or another remover got to it first.
func Gone(err error) bool {
	return err == nil || cerrdefs.IsNotFound(err) || cerrdefs.IsConflict(err)
}

// Dedupe drops adjacent repeats from a sorted slice, in place.
func Dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
