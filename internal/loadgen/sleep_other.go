// The fine part of the schedule's sleep outside Linux: the runtime's own timer.

//go:build !linux

package loadgen

import "time"

// preciseSleep sleeps for d (see sleep_linux.go for why Linux differs).
func preciseSleep(d time.Duration) { time.Sleep(d) }
