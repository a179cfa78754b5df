// What the verbs take and give: options and results of up, down, ps, break and heal.

package engine

import (
	"fmt"
	"time"
)

// UpOptions tune `chainctl up`.
type UpOptions struct {
	NoWait        bool          // return once started, without waiting for health
	WaitTimeout   time.Duration // how long to wait for running and healthy (default 60s)
	RemoveOrphans bool          // remove containers of services no longer in the file
	KeepOnFailure bool          // leave what was made when up fails, for debugging
	Policy        Policy        // what the topology may ask for beyond the safe defaults

	// Swarm only: override every service's endpoint_mode (vip|dnsrr) and
	// every port's publish mode (ingress|host).
	EndpointMode string
	PublishMode  string
}

// UpResult says what `up` did, container by container.
type UpResult struct {
	Project   string
	Created   []string
	Recreated []string
	Started   []string
	Unchanged []string
	Removed   []string
	Orphans   []string // services on the engine that the file no longer has
	Warnings  []string // what the engine runs differently from what the file says
}

// DefaultWaitTimeout bounds the wait for running and healthy containers.
const DefaultWaitTimeout = 60 * time.Second

// RollbackTimeout bounds the cleanup after a failed or interrupted up; it
// runs on a fresh context because the caller's may be cancelled (Ctrl-C).
const RollbackTimeout = 60 * time.Second

// DownOptions tune `chainctl down`.
type DownOptions struct {
	Timeout     *time.Duration // overrides every service's grace period
	KeepVolumes bool
}

// DownResult says what `down` removed.
type DownResult struct {
	Services   []string // swarm services
	Containers []string
	Networks   []string
	Volumes    []string
}

// ContainerStatus is one row of `chainctl ps`.
type ContainerStatus struct {
	Service   string   `json:"service"`
	Replica   int      `json:"replica"`
	Container string   `json:"container"`
	ID        string   `json:"id,omitempty"`
	State     string   `json:"state"`
	Health    string   `json:"health"`
	Ports     []string `json:"ports"`
	Endpoints []string `json:"endpoints,omitempty"` // http://127.0.0.1:8080 for each published TCP port
	Fault     string   `json:"fault"`
	Node      string   `json:"node,omitempty"`  // swarm: the node that runs the task
	Error     string   `json:"error,omitempty"` // swarm: why the last task failed
	// Unroutable is set on a swarm service that has callers and a virtual
	// IP this kernel cannot route (no IPVS): its callers time out.
	Unroutable bool `json:"-"`
}

// Break modes; each backend lists the ones it has (Backend.BreakModes).
const (
	ModeKill       = "kill"
	ModeStop       = "stop"
	ModePause      = "pause"
	ModeDisconnect = "disconnect"
	ModeRemove     = "remove"
	ModeRestart    = "restart"
	ModeScaleZero  = "scale-zero" // swarm only: replicas to 0
)

// BreakOptions tune `chainctl break`.
type BreakOptions struct {
	Mode   string
	Signal string // for kill; default SIGKILL
}

// KillSignal is the signal kill sends: Signal, else SIGKILL.
func (o BreakOptions) KillSignal() string {
	if o.Signal == "" {
		return "SIGKILL"
	}
	return o.Signal
}

// withDefaults fills what the command line left empty.
func (o BreakOptions) withDefaults() BreakOptions {
	if o.Mode == "" {
		o.Mode = ModeKill
	}
	return o
}

// BreakResult says what was broken and who feels it.
type BreakResult struct {
	Broken         []string // containers
	AlreadyBroken  []string // "abc-c-1 (killed)": left alone
	Affected       []string // services that call a broken one, directly or not
	AffectedByName map[string][]string
}

// HealOptions tune `chainctl heal`.
type HealOptions struct {
	NoWait      bool
	WaitTimeout time.Duration
}

func (o HealOptions) withDefaults() HealOptions {
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = DefaultWaitTimeout
	}
	return o
}

// HealResult says what heal undid.
type HealResult struct {
	Healed  []string // "abc-c-1 (killed)"
	Healthy []string // already fine: left alone
}

// NotServingError says the service to call has no published port up now
// (it is broken, or publishes an engine-chosen port and is not running).
type NotServingError struct{ Service string }

func (e *NotServingError) Error() string {
	return fmt.Sprintf("service %s has no published port up now", e.Service)
}
