// The parts of a service that compose files bring: builds, several networks, runtime options, secrets and configs.

package topology

// ServiceCompletedSuccessfully makes a dependent wait until a one-shot
// service has exited 0.
const ServiceCompletedSuccessfully Condition = "service_completed_successfully"

// Mount types beyond "volume" and "bind": an anonymous volume is a volume
// with no Source (the engine names it; down removes it with the container).
const (
	MountVolume = "volume"
	MountBind   = "bind"
	MountTmpfs  = "tmpfs"
)

// Run is what a service sets on its containers beyond the chain: every
// field maps onto one Engine API field, and its zero value leaves the
// Engine's default.
type Run struct {
	// Build, when set, makes the service's image from a context; Image is
	// then the tag the build gets (<project>-<service> unless image: names one).
	Build *Build `json:"build,omitempty"`
	// PullPolicy is the service's pull_policy: always, missing, never or
	// build ("" is missing); up --pull overrides it.
	PullPolicy string `json:"pull_policy,omitempty"`

	// ContainerName replaces <project>-<service>-<n>; only with one replica.
	ContainerName string `json:"container_name,omitempty"`
	Hostname      string `json:"hostname,omitempty"`
	DomainName    string `json:"domainname,omitempty"`
	WorkingDir    string `json:"working_dir,omitempty"`
	// Expose are container ports (or ranges, with /proto) opened to the
	// project's networks and not published.
	Expose     []string          `json:"expose,omitempty"`
	Init       *bool             `json:"init,omitempty"`
	StopSignal string            `json:"stop_signal,omitempty"`
	Tmpfs      []string          `json:"tmpfs,omitempty"` // "/run" or "/run:size=64m,mode=1777"
	Sysctls    map[string]string `json:"sysctls,omitempty"`
	Ulimits    map[string]Ulimit `json:"ulimits,omitempty"`
	DNS        []string          `json:"dns,omitempty"`
	DNSSearch  []string          `json:"dns_search,omitempty"`
	DNSOpt     []string          `json:"dns_opt,omitempty"`
	ExtraHosts []string          `json:"extra_hosts,omitempty"` // "host:ip"
	ShmSize    int64             `json:"shm_size,omitempty"`    // bytes
	Platform   string            `json:"platform,omitempty"`    // "linux/amd64"
	Runtime    string            `json:"runtime,omitempty"`
	StdinOpen  bool              `json:"stdin_open,omitempty"`
	Tty        bool              `json:"tty,omitempty"`
	MacAddress string            `json:"mac_address,omitempty"`
	GroupAdd   []string          `json:"group_add,omitempty"`
	PidsLimit  int64             `json:"pids_limit,omitempty"`
	// MemoryReservation is deploy.resources.reservations.memory, bytes.
	MemoryReservation int64 `json:"memory_reservation,omitempty"`
	// CPUShares is the relative CPU weight (the engine's default is 1024).
	CPUShares int64 `json:"cpu_shares,omitempty"`

	// Ipc, Pid and UsernsMode are the container's IPC, PID and user
	// namespace modes ("" is the engine's default). "host" shares the
	// host's, which is host access; ipc also takes none, private and
	// shareable.
	Ipc        string `json:"ipc,omitempty"`
	Pid        string `json:"pid,omitempty"`
	UsernsMode string `json:"userns_mode,omitempty"`
	// Logging is the container's log driver and its options; nil is the
	// engine's default. chainctl logs reads through the engine, which can
	// read json-file, local and journald back (and, on Engine 20.10 and
	// later, other drivers through its dual-logging cache, unless that is
	// disabled), never none.
	Logging *Logging `json:"logging,omitempty"`

	// NetworkMode is "none", "host", "bridge" (the engine's default
	// bridge network) or "service:<name>"; with it the service joins no
	// project network.
	NetworkMode string `json:"network_mode,omitempty"`
	// Networks are the project networks the service joins, by key of
	// Topology.Networks ("default" is Topology.Network); nil: the default
	// network only.
	Networks []NetworkAttach `json:"networks,omitempty"`
	// Links are "service" or "service:alias" names the service may also
	// reach the other by, on the default network.
	Links []string `json:"links,omitempty"`

	// Secrets and Configs are files mounted read-only into the container.
	Secrets []FileMount `json:"secrets,omitempty"`
	Configs []FileMount `json:"configs,omitempty"`

	// RestartWith are dependencies whose recreation by up restarts this
	// service too (depends_on.<dep>.restart: true).
	RestartWith []string `json:"restart_with,omitempty"`
}

// Build is how to make a service's image: ImageBuild with a tar of
// Context (minus what .dockerignore excludes).
type Build struct {
	Context    string `json:"context"`              // absolute directory
	Dockerfile string `json:"dockerfile,omitempty"` // relative to Context; "" is Dockerfile
	// DockerfileInline is the Dockerfile itself (dockerfile_inline:),
	// sent in the context under a generated name; Dockerfile is then "".
	DockerfileInline string            `json:"dockerfile_inline,omitempty"`
	Args             map[string]string `json:"args,omitempty"`
	Target           string            `json:"target,omitempty"`
	Labels           map[string]string `json:"labels,omitempty"`
}

// Logging is a container's log driver ("" is the engine's default) and
// the driver's options.
type Logging struct {
	Driver  string            `json:"driver,omitempty"`
	Options map[string]string `json:"options,omitempty"`
}

// NetworkAttach is one network a service joins.
type NetworkAttach struct {
	Key         string   `json:"key"` // a key of Topology.Networks, or "default"
	Aliases     []string `json:"aliases,omitempty"`
	IPv4Address string   `json:"ipv4_address,omitempty"`
	IPv6Address string   `json:"ipv6_address,omitempty"`
}

// DefaultNetworkKey names Topology.Network in NetworkAttach.Key.
const DefaultNetworkKey = "default"

// Ulimit is one resource limit.
type Ulimit struct {
	Soft int64 `json:"soft"`
	Hard int64 `json:"hard"`
}

// FileSource is a top-level secret or config: a host file (absolute),
// or for a config the literal content.
type FileSource struct {
	File    string `json:"file,omitempty"`
	Content string `json:"content,omitempty"`
}

// FileMount puts a secret or config (Source, a key of Topology.Secrets or
// Topology.Configs) at Target: /run/secrets/<key> for a secret and /<key>
// for a config unless the file says otherwise.
type FileMount struct {
	Source string `json:"source"`
	Target string `json:"target"`
	Mode   *int   `json:"mode,omitempty"` // file mode (e.g. 0o440); compose ignores it for bind-mounted files
}

// AttachedNetwork is one engine network a service's containers join.
type AttachedNetwork struct {
	Key     string
	Name    string // the engine's name
	Aliases []string
	IPv4    string
	IPv6    string
}

// NetworksOf is every engine network the service's containers join, the
// first being the one chainctl's faults and traces use: none with a
// network_mode, the default network when the service names none.
func (t *Topology) NetworksOf(svc *Service) []AttachedNetwork {
	if svc.NetworkMode != "" {
		return nil
	}
	if len(svc.Networks) == 0 {
		return []AttachedNetwork{{Key: DefaultNetworkKey, Name: t.Network.Name, Aliases: []string{svc.Name}}}
	}
	out := make([]AttachedNetwork, 0, len(svc.Networks))
	for _, a := range svc.Networks {
		name := t.Network.Name
		if n, ok := t.Networks[a.Key]; ok && a.Key != DefaultNetworkKey {
			name = n.Name
		}
		aliases := append([]string{svc.Name}, a.Aliases...)
		out = append(out, AttachedNetwork{Key: a.Key, Name: name, Aliases: aliases, IPv4: a.IPv4Address, IPv6: a.IPv6Address})
	}
	return out
}

// UsesDefaultNetwork says whether any service joins Topology.Network.
func (t *Topology) UsesDefaultNetwork() bool {
	for _, svc := range t.Services {
		for _, n := range t.NetworksOf(svc) {
			if n.Key == DefaultNetworkKey {
				return true
			}
		}
	}
	return false
}

// OneShot says whether a dependent waits for the service to exit 0:
// such a service is run to completion, not kept running.
func (t *Topology) OneShot(name string) bool {
	for _, svc := range t.Services {
		if svc.DependsOn[name] == ServiceCompletedSuccessfully {
			return true
		}
	}
	return false
}
