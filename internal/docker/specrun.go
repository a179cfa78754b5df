// What a compose service sets on its containers beyond the chain (topology.Run), mapped onto Config and HostConfig as compose maps it.

package docker

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/chainctl/chainctl/internal/topology"
)

// applyRunConfig sets the Config fields of the service's Run: hostname,
// domain name, working directory, stop signal, stdin and tty, and the
// exposed ports (expose adds to what ports already expose).
func applyRunConfig(cfg *container.Config, run *topology.Run) error {
	cfg.Hostname = run.Hostname
	cfg.Domainname = run.DomainName
	cfg.WorkingDir = run.WorkingDir
	cfg.StopSignal = run.StopSignal
	cfg.OpenStdin = run.StdinOpen
	cfg.Tty = run.Tty
	for _, e := range run.Expose {
		ports, err := nat.ParsePortSpec(e)
		if err != nil {
			return fmt.Errorf("expose %q: %w", e, err)
		}
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = nat.PortSet{}
		}
		for _, p := range ports {
			cfg.ExposedPorts[p.Port] = struct{}{}
		}
	}
	return nil
}

// applyRunHost sets the HostConfig fields of the service's Run.
func applyRunHost(host *container.HostConfig, run *topology.Run) {
	host.Init = run.Init
	host.Tmpfs = tmpfsMap(run.Tmpfs)
	host.Sysctls = run.Sysctls
	host.Ulimits = ulimits(run.Ulimits)
	host.DNS = run.DNS
	host.DNSSearch = run.DNSSearch
	host.DNSOptions = run.DNSOpt
	host.ExtraHosts = run.ExtraHosts
	host.ShmSize = run.ShmSize
	host.Runtime = run.Runtime
	host.GroupAdd = run.GroupAdd
	host.MemoryReservation = run.MemoryReservation
	host.CPUShares = run.CPUShares
	host.IpcMode = container.IpcMode(run.Ipc)
	host.PidMode = container.PidMode(run.Pid)
	host.UsernsMode = container.UsernsMode(run.UsernsMode)
	if l := run.Logging; l != nil {
		// chainctl logs reads through the engine: json-file, local and
		// journald read back, and other drivers through the engine's
		// dual-logging cache (20.10 and later) unless it is disabled;
		// none never does (see unreadableLogs).
		host.LogConfig = container.LogConfig{Type: l.Driver, Config: l.Options}
	}
	if run.PidsLimit != 0 { // -1 is unlimited, as in compose
		limit := run.PidsLimit
		host.PidsLimit = &limit
	}
}

// tmpfsMap is HostConfig.Tmpfs: "/run:size=64m,mode=1777" becomes
// {"/run": "size=64m,mode=1777"}.
func tmpfsMap(entries []string) map[string]string {
	if len(entries) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, e := range entries {
		target, opts, _ := strings.Cut(e, ":")
		out[target] = opts
	}
	return out
}

// ulimits are the service's ulimits, by name so the config hash is stable.
func ulimits(m map[string]topology.Ulimit) []*container.Ulimit {
	if len(m) == 0 {
		return nil
	}
	out := make([]*container.Ulimit, 0, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		out = append(out, &container.Ulimit{Name: name, Soft: m[name].Soft, Hard: m[name].Hard})
	}
	return out
}

// parsePlatform reads "os/arch[/variant]" (nil for ""), the form the
// platform argument of ContainerCreate takes.
func parsePlatform(s string) (*ocispec.Platform, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(strings.ToLower(s), "/")
	if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
		return nil, fmt.Errorf("platform %q: want os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm64/v8", s)
	}
	p := &ocispec.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}
