// What the verbs take and give: options and results of up, down, ps, break and heal.

package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/chainctl/chainctl/internal/netfault/spec"
)

// UpOptions tune `chainctl up`.
type UpOptions struct {
	NoWait        bool          // return once started, without waiting for health
	WaitTimeout   time.Duration // how long to wait for running and healthy (default 60s)
	RemoveOrphans bool          // remove containers of services no longer in the file
	KeepOnFailure bool          // leave what was made when up fails, for debugging
	DryRun        bool          // plan only: say what up would do, change nothing
	Policy        Policy        // what the topology may ask for beyond the safe defaults
	// Build rebuilds every service that has a build, even when its image
	// is there (up --build).
	Build bool
	// Pull is --pull: PullAlways, PullMissing or PullNever ("" keeps each
	// service's pull_policy, else missing).
	Pull string

	// Swarm only: override every service's endpoint_mode (vip|dnsrr) and
	// every port's publish mode (ingress|host).
	EndpointMode string
	PublishMode  string
}

// Pull policies (up --pull, a service's pull_policy).
const (
	PullAlways  = "always"
	PullMissing = "missing"
	PullNever   = "never"
	PullBuild   = "build" // pull_policy only: always build
)

// UpResult says what `up` did, container by container.
type UpResult struct {
	Project   string
	Created   []string
	Recreated []string
	Started   []string
	Unchanged []string
	Removed   []string
	Orphans   []string   // services on the engine that the file no longer has
	Warnings  []string   // what the engine runs differently from what the file says
	Plan      []PlanStep // with DryRun: what up would do
}

// PlanStep is one thing up would do: create, recreate (and which fields
// changed), keep, repair, remove (an orphan or a surplus replica).
type PlanStep struct {
	Action   string   `json:"action"`
	Kind     string   `json:"kind"` // container, network, volume
	Resource string   `json:"resource"`
	Changed  []string `json:"changed,omitempty"` // recreate: the service's fields that changed
	Detail   string   `json:"detail,omitempty"`
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
	// RemoveImages removes the images chainctl built for the project
	// (down --rmi local); an image another container still uses is kept.
	RemoveImages bool
}

// DownResult says what `down` removed.
type DownResult struct {
	Services   []string // swarm services
	Containers []string
	Networks   []string
	Volumes    []string
	Images     []string // with RemoveImages
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

	// Network modes: a helper in the target's namespace holds the fault.
	ModeDelay     = "delay"
	ModeLoss      = "loss"
	ModeRate      = "rate"
	ModeBlackhole = "blackhole"
	ModeReset     = "reset"
)

// NetworkModes are the modes a helper holds; they combine (--delay with
// --loss with --rate) and leave the target running.
var NetworkModes = []string{ModeDelay, ModeLoss, ModeRate, ModeBlackhole, ModeReset}

// NetworkModeList is what the network modes do, for every backend's list.
var NetworkModeList = []Mode{
	{Name: ModeDelay, Help: "answer each request --delay later (±--jitter); the target keeps running"},
	{Name: ModeLoss, Help: "drop --loss of the target's packets: callers see retransmits and timeouts"},
	{Name: ModeRate, Help: "throttle the target's traffic to --rate (e.g. 1mbit)"},
	{Name: ModeBlackhole, Help: "drop everything: the target stays healthy while callers time out"},
	{Name: ModeReset, Help: "refuse connections with a TCP reset: callers read connection refused"},
}

// IsNetworkMode reports a mode a helper holds.
func IsNetworkMode(mode string) bool { return slices.Contains(NetworkModes, mode) }

// BreakOptions tune `chainctl break`.
type BreakOptions struct {
	Mode   string
	Signal string // for kill; default SIGKILL

	// Net is the network fault of a network mode: every part given
	// (--delay, --jitter, --loss, --rate, --direction) and the mode's own.
	Net *spec.Fault
	// From limits a network fault to traffic with these services (every
	// replica); empty: all peers.
	From []string
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
	Replaced       []string // "abc-c-1 (delay 200ms)": a network fault the new one replaced
	Mechanisms     []string // "abc-c-1: delay via relay, drop via nftables"
	Affected       []string // services that call a broken one, directly or not
	AffectedByName map[string][]string
}

// PartitionResult says how the project was split.
type PartitionResult struct {
	Groups   [][]string // the services of each group, the unnamed ones last
	Cut      []string   // containers that hold a part of the partition
	Replaced []string   // containers whose earlier partition this one replaced
}

// HealOptions tune `chainctl heal`.
type HealOptions struct {
	NoWait      bool
	WaitTimeout time.Duration
	Partition   bool // heal the partitions only
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
