// The project lock on the engine: one chainctl at a time per project, whatever machine it runs on and however it spells the engine's address.

package engine

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/volume"

	"github.com/chainctl/chainctl/internal/lock"
)

// The lock is an empty volume chainctl-lock-<project> whose labels name
// its holder. Creating a volume that exists returns the existing one with
// its labels unchanged, so the create is a compare-and-set: whoever's
// labels come back holds the lock. A holder on this machine that died is
// seen by its pid (and the pid's start time, so a reused pid does not
// count); one elsewhere is taken over once its lock is older than
// staleAfter, longer than any chainctl verb holds it.
const (
	LabelLock       = "io.chainctl.lock"        // the project whose lock it is
	LabelLockHolder = "io.chainctl.lock-holder" // host:pid:start
	LabelLockSince  = "io.chainctl.lock-since"  // RFC 3339
	RoleLock        = "lock"
	staleAfter      = 15 * time.Minute
)

// ErrBusy is wrapped when another chainctl holds the project.
var ErrBusy = lock.ErrBusy

// lockName is the lock's volume.
func lockName(project string) string { return "chainctl-lock-" + project }

// holder names this process: host:pid:start.
func holder() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), procStart(os.Getpid()))
}

// procStart is a process's start time in clock ticks since boot (field 22
// of /proc/PID/stat), "" when it cannot be read.
func procStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		if f := strings.Fields(s[i+1:]); len(f) > 19 {
			return f[19]
		}
	}
	return ""
}

// dead reports whether a holder is known to be gone: it ran on this
// machine and its process is no longer there (or is another one now).
func dead(h string) bool {
	parts := strings.Split(h, ":")
	host, _ := os.Hostname()
	if len(parts) != 3 || parts[0] != host {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	return err == nil && (procStart(pid) == "" || procStart(pid) != parts[2])
}

// engineLock takes the project's lock on the engine, taking over from a
// holder that died; release gives it back.
func (c *Conn) engineLock(ctx context.Context, project string) (func(), error) {
	me := holder()
	for attempt := 0; attempt < 2; attempt++ {
		v, err := c.API.VolumeCreate(ctx, volume.CreateOptions{Name: lockName(project), Labels: map[string]string{
			LabelLock: project, LabelRole: RoleLock, LabelLockHolder: me, LabelLockSince: time.Now().UTC().Format(time.RFC3339),
		}})
		if err != nil {
			return nil, fmt.Errorf("lock project %s on the engine: %w", project, err)
		}
		if v.Labels == nil {
			// An engine that restarted answers the first create of an
			// existing volume without its labels: ask for them.
			if v, err = c.API.VolumeInspect(ctx, lockName(project)); err != nil {
				return nil, fmt.Errorf("lock project %s on the engine: %w", project, err)
			}
		}
		if v.Labels[LabelLock] != project {
			return nil, fmt.Errorf("volume %s exists and is not chainctl's lock of project %s; remove or rename it", v.Name, project)
		}
		h := v.Labels[LabelLockHolder]
		if h == me {
			return func() { c.engineUnlock(project, me) }, nil
		}
		since, _ := time.Parse(time.RFC3339, v.Labels[LabelLockSince])
		if !dead(h) && time.Since(since) < staleAfter {
			return nil, fmt.Errorf("project %s is being changed by another chainctl (%s, since %s): %w", project, h, since.Local().Format(time.TimeOnly), ErrBusy)
		}
		// The holder died: take over (a race between two takers is settled
		// by the next create, which only one of them wins).
		if err := c.API.VolumeRemove(ctx, v.Name, true); err != nil && !cerrdefs.IsNotFound(err) {
			return nil, fmt.Errorf("take over the lock of project %s from %s, which died: %w", project, h, err)
		}
	}
	return nil, fmt.Errorf("project %s: the engine lock changed hands while chainctl took it over: %w", project, ErrBusy)
}

// engineUnlock removes the lock if this process still holds it.
func (c *Conn) engineUnlock(project, me string) {
	ctx, cancel := context.WithTimeout(context.Background(), c.CallTimeout)
	defer cancel()
	vs, err := c.API.VolumeList(ctx, volume.ListOptions{Filters: filters.NewArgs(filters.Arg("label", LabelLock+"="+project))})
	if err != nil {
		return
	}
	for _, v := range vs.Volumes {
		if v.Name == lockName(project) && v.Labels[LabelLockHolder] == me {
			_ = c.API.VolumeRemove(ctx, v.Name, true)
		}
	}
}
