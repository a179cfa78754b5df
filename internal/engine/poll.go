// The one poll loop: look at the engine, wait, look again, until done or a deadline.

package engine

import (
	"context"
	"errors"
	"time"
)

// PollInterval is how often a wait looks at the engine: one list call for
// the whole project, however many objects it waits for.
const PollInterval = 100 * time.Millisecond

// ErrPollDeadline is what Poll returns when the deadline passed first;
// callers replace it with what they last saw.
var ErrPollDeadline = errors.New("deadline passed")

// Poll calls check every interval until it reports done or an error, ctx
// ends (ctx's error), or deadline passes (ErrPollDeadline). check runs at
// once, and once more after the deadline has passed is never skipped: the
// last look decides.
func Poll(ctx context.Context, interval time.Duration, deadline time.Time, check func() (bool, error)) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		done, err := check()
		if done || err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return ErrPollDeadline
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
