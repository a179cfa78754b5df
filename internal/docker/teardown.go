// Teardown of many containers: off each network two endpoints at a time, then stopped and removed.

package docker

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
)

// endpointsAtOnce bounds the endpoints chainctl releases at once on one
// network (see removeAll).
const endpointsAtOnce = 2

// removeAll stops and removes cs (grace as for removeContainer), in two
// overlapping stages. First every running container leaves its networks,
// at most endpointsAtOnce disconnects in flight on each network (the
// networks in parallel), in the order of cs. Each container is stopped and
// removed as soon as it is off all of them, in parallel with the rest.
//
// Why: dockerd 20.10 counts each network's endpoints in one shared object,
// and its update (libnetwork's atomicIncDecEpCnt), on a write that lost a
// race, reloads the stored count over the object; a decrement that a third
// goroutine had made in memory but not yet written is lost. When 50
// containers exit together (each exit releases its endpoints) the count
// can stay above zero with no endpoint left: "has active endpoints" with
// no container attached, until the daemon restarts. bench/soak saw it once
// in 16 up/down cycles of 50 services. Two writers at a time can only
// overcount a decrement, never lose one; a disconnected container's exit
// has no endpoint left to release.
func (b *Backend) removeAll(ctx context.Context, cs []container.Summary, grace *time.Duration) error {
	leave := map[string][]string{} // container ID → networks it is still on
	byNet := map[string][]container.Summary{}
	var nets []string
	for _, c := range cs {
		for _, n := range networksToLeave(c) {
			leave[c.ID] = append(leave[c.ID], n)
			if _, ok := byNet[n]; !ok {
				nets = append(nets, n)
			}
			byNet[n] = append(byNet[n], c)
		}
	}
	var (
		mu      sync.Mutex
		removes sync.WaitGroup
		errs    = make([]error, len(cs))
	)
	remove := func(i int) {
		removes.Add(1)
		go func() {
			defer removes.Done()
			errs[i] = b.removeContainer(ctx, cs[i], grace)
		}()
	}
	index := map[string]int{}
	for i, c := range cs {
		index[c.ID] = i
		if len(leave[c.ID]) == 0 {
			remove(i)
		}
	}
	var detach sync.WaitGroup
	for _, n := range nets {
		detach.Add(1)
		go func() {
			defer detach.Done()
			slots := make(chan struct{}, endpointsAtOnce)
			var inFlight sync.WaitGroup
			for _, c := range byNet[n] {
				slots <- struct{}{}
				inFlight.Add(1)
				go func() {
					defer inFlight.Done()
					// Best effort: a container that exited meanwhile has no
					// endpoint left, and its stop releases whatever remains.
					_ = b.api.NetworkDisconnect(ctx, n, c.ID, true)
					<-slots
					mu.Lock()
					leave[c.ID] = slices.DeleteFunc(leave[c.ID], func(x string) bool { return x == n })
					last := len(leave[c.ID]) == 0
					mu.Unlock()
					if last {
						remove(index[c.ID])
					}
				}()
			}
			inFlight.Wait()
		}()
	}
	detach.Wait()
	removes.Wait()
	return errors.Join(errs...)
}

// networksToLeave names the networks a container has endpoints on that a
// disconnect releases: none unless it runs (or is paused or restarting),
// and none when it shares another's namespace or the host's.
func networksToLeave(c container.Summary) []string {
	switch c.State {
	case container.StateRunning, container.StateRestarting, container.StatePaused:
	default:
		return nil
	}
	switch mode := c.HostConfig.NetworkMode; {
	case mode == "host", mode == "none", strings.HasPrefix(mode, "container:"):
		return nil
	}
	if c.NetworkSettings == nil {
		return nil
	}
	var nets []string
	for name := range c.NetworkSettings.Networks {
		nets = append(nets, name)
	}
	slices.Sort(nets)
	return nets
}
