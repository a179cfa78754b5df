// Faults and health as ps shows them, read from what the engine reports about a container.

package engine

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
)

// Faults as ps shows them, derived from what the engine reports, so they are
// right even when someone else broke the container (docker kill, ...).
const (
	FaultNone         = "-"
	FaultKilled       = "killed"
	FaultStopped      = "stopped"
	FaultPaused       = "paused"
	FaultDisconnected = "disconnected"
	FaultRemoved      = "removed"
	FaultExited       = "exited"
	FaultRestarting   = "restarting"
	FaultScaledZero   = "scaled-zero" // swarm: the service runs no task
	FaultConverging   = "converging"  // swarm: the task is not running yet (a replacement, an update)
)

var exitCodeRE = regexp.MustCompile(`^Exited \((-?\d+)\)`)

// ExitCode reads the exit code from the list's Status ("Exited (137) 3
// seconds ago"), so ps needs no inspect per container.
func ExitCode(c container.Summary) (int, bool) {
	m := exitCodeRE.FindStringSubmatch(c.Status)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// Fault derives what is wrong with one container; netName "" skips the
// network check.
func Fault(c container.Summary, netName string) string {
	switch c.State {
	case container.StatePaused:
		return FaultPaused
	case container.StateRestarting:
		return FaultRestarting
	case container.StateExited, container.StateDead, container.StateCreated:
		code, _ := ExitCode(c)
		switch {
		case code == 0 || code == 143: // SIGTERM: a graceful stop
			return FaultStopped
		case code == 137 || code > 128: // killed by a signal
			return FaultKilled
		}
		return FaultExited
	}
	if netName != "" && !OnNetwork(c, netName) {
		return FaultDisconnected
	}
	return FaultNone
}

// Health reads a container's health from the list's Status text.
func Health(c container.Summary) string {
	switch {
	case strings.Contains(c.Status, "(healthy)"):
		return "healthy"
	case strings.Contains(c.Status, "(unhealthy)"):
		return "unhealthy"
	case strings.Contains(c.Status, "(health: starting)"):
		return "starting"
	}
	return "-"
}

// WithNetFaults adds the network faults in force to what the engine says:
// "delay 200ms", or "paused; loss 30%".
func WithNetFaults(fault string, nets []string) string {
	if len(nets) == 0 {
		return fault
	}
	sort.Strings(nets)
	if fault == FaultNone {
		return strings.Join(nets, "; ")
	}
	return fault + "; " + strings.Join(nets, "; ")
}
