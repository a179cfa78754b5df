// Package topology is chainctl's model of a service chain: the types, strict
// loading from YAML, validation and the dependency graph. It has no Docker
// imports: the engine package turns a Topology into Engine API calls.
package topology

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultImage is the demo link service image built by `make image`.
const DefaultImage = "chainctl/link:latest"

// DefaultCallPort is the port a `calls` entry targets when it names none.
const DefaultCallPort = 8080

// Topology is a loaded, validated and normalised chain description.
type Topology struct {
	// Name is the project name: the `name` field, else the file name
	// without extension.
	Name string `json:"name"`
	// File is the path the topology was loaded from ("" when parsed from bytes).
	File string `json:"file,omitempty"`
	// Files are every file a compose project was merged from (-f a -f b),
	// File being the first; nil for a chainctl topology.
	Files []string `json:"files,omitempty"`
	// Format is FormatChainctl ("" in records made before compose files
	// were read) or FormatCompose.
	Format string `json:"format,omitempty"`
	// Network is the project's default network: every service that names
	// no network and has no network_mode joins it.
	Network Network `json:"network"`
	// Networks are the other networks a compose file declares, by key.
	Networks map[string]Network `json:"networks,omitempty"`
	Volumes  map[string]Volume  `json:"volumes,omitempty"`
	// Secrets and Configs are the files a compose file declares, by key.
	Secrets  map[string]FileSource `json:"secrets,omitempty"`
	Configs  map[string]FileSource `json:"configs,omitempty"`
	Services map[string]*Service   `json:"services"`
}

// Topology formats.
const (
	FormatChainctl = "chainctl"
	FormatCompose  = "compose"
)

// Network is a user-defined network of the project.
type Network struct {
	Name     string `json:"name"` // engine name: <project>-net, or compose's <project>_<key>
	Subnet   string `json:"subnet,omitempty"`
	Gateway  string `json:"gateway,omitempty"`
	Internal bool   `json:"internal,omitempty"`
	// External networks exist already: up never creates one, down never
	// removes one.
	External   bool              `json:"external,omitempty"`
	Driver     string            `json:"driver,omitempty"` // "" is bridge
	DriverOpts map[string]string `json:"driver_opts,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	Attachable bool              `json:"attachable,omitempty"`
	EnableIPv6 bool              `json:"enable_ipv6,omitempty"`
}

// Volume is a named volume declared at the top level.
type Volume struct {
	Name   string            `json:"name"` // engine name: <project>-<key>, or compose's <project>_<key>
	Driver string            `json:"driver,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
	// External volumes exist already: up never creates one, down never
	// removes one.
	External   bool              `json:"external,omitempty"`
	DriverOpts map[string]string `json:"driver_opts,omitempty"`
}

// Service is one service of the chain; it runs as Replicas containers.
type Service struct {
	Name            string               `json:"name"`
	Image           string               `json:"image"`
	Command         []string             `json:"command,omitempty"`
	Entrypoint      []string             `json:"entrypoint,omitempty"`
	Environment     map[string]string    `json:"environment,omitempty"`
	Ports           []Port               `json:"ports,omitempty"`
	Volumes         []Mount              `json:"volumes,omitempty"`
	Calls           []Call               `json:"calls,omitempty"`
	DependsOn       map[string]Condition `json:"depends_on,omitempty"`
	Replicas        int                  `json:"replicas"`
	Healthcheck     *Healthcheck         `json:"healthcheck,omitempty"`
	Restart         string               `json:"restart,omitempty"` // no|on-failure[:N]|always|unless-stopped
	Labels          map[string]string    `json:"labels,omitempty"`
	User            string               `json:"user,omitempty"`
	ReadOnly        bool                 `json:"read_only,omitempty"`
	CapAdd          []string             `json:"cap_add,omitempty"`
	CapDrop         []string             `json:"cap_drop,omitempty"`
	SecurityOpt     []string             `json:"security_opt,omitempty"`
	Privileged      bool                 `json:"privileged,omitempty"`
	Resources       Resources            `json:"resources,omitempty"`
	StopGracePeriod *Duration            `json:"stop_grace_period,omitempty"`
	// EndpointMode is how a swarm exposes the service inside the network:
	// vip (the default) or dnsrr. The docker engine ignores it: its DNS is
	// always round-robin.
	EndpointMode string `json:"endpoint_mode,omitempty"`

	// What compose files bring (types_compose.go); the zero value of each
	// leaves the Engine's default.
	Run
}

// RunEnv is the service's environment as chainctl runs it, on any engine
// or export: NEXT from calls (unless the service sets NEXT itself), then
// the service's own variables, then CHAINCTL_PROJECT and CHAINCTL_SERVICE
// (like Kubernetes' downward API).
func (s *Service) RunEnv(project string) map[string]string {
	env := map[string]string{}
	if len(s.Calls) > 0 {
		addrs := make([]string, len(s.Calls))
		for i, c := range s.Calls {
			addrs[i] = c.Addr()
		}
		env["NEXT"] = strings.Join(addrs, ",")
	}
	for k, v := range s.Environment {
		env[k] = v
	}
	env["CHAINCTL_PROJECT"] = project
	env["CHAINCTL_SERVICE"] = s.Name
	return env
}

// Port is one published port, normalised from the short syntax
// [ip:][host:]container[/proto].
type Port struct {
	HostIP string `json:"host_ip"` // default 127.0.0.1
	// HostIPSet says the topology gave HostIP; without it HostIP is the
	// default. The Kubernetes export, which cannot bind a NodePort to one
	// address, refuses an explicit 127.0.0.1 but exports the default.
	HostIPSet     bool   `json:"host_ip_set,omitempty"`
	HostPort      string `json:"host_port,omitempty"` // "" lets the engine choose; may be a range "8080-8081"
	ContainerPort string `json:"container_port"`      // "8080" or a range
	Protocol      string `json:"protocol"`            // tcp, udp or sctp
	// Mode is how a swarm publishes the port: "ingress" (the routing mesh,
	// the default) or "host" (on the node that runs the task). The docker
	// engine always publishes on the host.
	Mode string `json:"mode,omitempty"`
}

// Swarm port publishing and endpoint modes.
const (
	PortModeIngress = "ingress"
	PortModeHost    = "host"

	EndpointVIP   = "vip"   // one virtual IP per service, balanced by IPVS
	EndpointDNSRR = "dnsrr" // the service name resolves to every task's IP
)

// Spec renders the port in the form nat.ParsePortSpec accepts.
func (p Port) Spec() string {
	s := p.ContainerPort + "/" + p.Protocol
	if p.HostPort != "" || p.HostIP != "" {
		ip := p.HostIP
		if strings.Contains(ip, ":") {
			ip = "[" + ip + "]" // IPv6
		}
		s = ip + ":" + p.HostPort + ":" + s
	}
	return s
}

// Mount is a named volume or a bind mount inside a service.
type Mount struct {
	Type     string `json:"type"`   // "volume" or "bind"
	Source   string `json:"source"` // volume key (a key of Topology.Volumes), or an absolute host path
	Target   string `json:"target"`
	ReadOnly bool   `json:"read_only,omitempty"`
	// SELinux is a bind's relabelling: "z" (shared) or "Z" (private).
	SELinux string `json:"selinux,omitempty"`
	// NoCopy keeps a volume from being filled with the image's content at Target.
	NoCopy bool `json:"nocopy,omitempty"`
	// Propagation is a bind's mount propagation: private, rprivate, shared, rshared, slave or rslave.
	Propagation string `json:"propagation,omitempty"`
	// TmpfsSize (bytes) and TmpfsMode (file mode bits) size a tmpfs mount.
	TmpfsSize int64  `json:"tmpfs_size,omitempty"`
	TmpfsMode uint32 `json:"tmpfs_mode,omitempty"`
}

// Call is one edge of the chain: the service calls Service on Port.
type Call struct {
	Service string `json:"service"`
	Port    int    `json:"port"`
}

// Addr is the host:port the caller dials inside the project network.
func (c Call) Addr() string { return c.Service + ":" + strconv.Itoa(c.Port) }

// Condition says what a dependent waits for before it starts.
type Condition string

const (
	ServiceStarted Condition = "service_started"
	ServiceHealthy Condition = "service_healthy"
)

// Healthcheck overrides the image's HEALTHCHECK.
type Healthcheck struct {
	Test        []string `json:"test,omitempty"` // ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]
	Interval    Duration `json:"interval,omitempty"`
	Timeout     Duration `json:"timeout,omitempty"`
	StartPeriod Duration `json:"start_period,omitempty"`
	Retries     int      `json:"retries,omitempty"`
	Disable     bool     `json:"disable,omitempty"`
}

// Resources are the container's limits.
type Resources struct {
	CPUs   float64 `json:"cpus,omitempty"`
	Memory int64   `json:"memory,omitempty"` // bytes
}

// Duration is a time.Duration that reads and prints as "1m30s".
type Duration time.Duration

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON prints the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a Go duration string (the engine re-reads the
// topology it stored as JSON on the project network).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}
