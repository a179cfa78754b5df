// The fine part of the schedule's sleep on Linux: nanosleep, to the kernel's high-resolution timers.

package loadgen

import (
	"syscall"
	"time"
)

// preciseSleep sleeps for d with the kernel's timer (tens of µs late),
// where the Go runtime's timers wake up to 1 ms late on Linux (the
// runtime waits in epoll_wait, whose timeout is whole milliseconds). It
// blocks a thread, not just a goroutine: the schedule calls it for the
// last ~2 ms of a wait only.
func preciseSleep(d time.Duration) {
	if d <= 0 {
		return
	}
	ts := syscall.NsecToTimespec(d.Nanoseconds())
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
