// Mapping what a service sets on its containers beyond the chain (topology.Run): build, networks, runtime options.

package compose

import (
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/chainctl/chainctl/internal/topology"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/go-connections/nat"
)

// run maps the service's topology.Run.
func (p *problems) run(pr *types.Project, s types.ServiceConfig, at []step) topology.Run {
	r := topology.Run{
		Build: p.build(pr, s, at), PullPolicy: p.pullPolicy(s.PullPolicy, sub(at, key("pull_policy"))),
		ContainerName: s.ContainerName, Hostname: s.Hostname, DomainName: s.DomainName, WorkingDir: s.WorkingDir,
		Expose: p.expose(s.Expose, at), Init: s.Init, StopSignal: s.StopSignal, Tmpfs: nonEmptyList(s.Tmpfs),
		Sysctls: nonEmpty(s.Sysctls), Ulimits: ulimits(s.Ulimits),
		DNS: nonEmptyList(s.DNS), DNSSearch: nonEmptyList(s.DNSSearch), DNSOpt: nonEmptyList(s.DNSOpts),
		ExtraHosts: extraHosts(s.ExtraHosts), ShmSize: int64(s.ShmSize), Platform: s.Platform, Runtime: s.Runtime,
		StdinOpen: s.StdinOpen, Tty: s.Tty, MacAddress: s.MacAddress, GroupAdd: nonEmptyList(s.GroupAdd),
		PidsLimit: s.PidsLimit, MemoryReservation: int64(s.MemReservation), CPUShares: s.CPUShares,
		Ipc:         p.namespace("ipc", s.Ipc, at, "none", "private", "shareable", "host"),
		Pid:         p.namespace("pid", s.Pid, at, "host"),
		UsernsMode:  p.namespace("userns_mode", s.UserNSMode, at, "host"),
		Logging:     p.logging(s.Logging, sub(at, key("logging"))),
		NetworkMode: p.networkMode(s.NetworkMode, sub(at, key("network_mode"))),
		Networks:    p.attachments(s, at), Links: nonEmptyList(s.Links),
		Secrets:     p.fileMounts(secretRefs(s.Secrets), "/run/secrets/", sub(at, key("secrets")), s.ReadOnly, func(string) bool { return false }),
		Configs:     p.fileMounts(configRefs(s.Configs), "/", sub(at, key("configs")), s.ReadOnly, inlineConfig(pr)),
		RestartWith: restartWith(pr, s),
	}
	if s.ShmSize < 0 {
		p.at(sub(at, key("shm_size")), "must not be negative")
	}
	if s.CPUShares < 0 {
		p.at(sub(at, key("cpu_shares")), "must not be negative")
	}
	return r
}

// namespace keeps an IPC, PID or user namespace mode the engine takes
// and chainctl can create: another container's namespace is refused, as
// chainctl shares its services' network namespace only.
func (p *problems) namespace(k, mode string, at []step, modes ...string) string {
	switch {
	case mode == "" || slices.Contains(modes, mode):
		return mode
	case strings.HasPrefix(mode, types.ServicePrefix), strings.HasPrefix(mode, types.ContainerPrefix):
		p.at(sub(at, key(k)), "%q: not supported by chainctl: it shares another container's network namespace only (network_mode: service:<name>)", mode)
	case k == "userns_mode":
		p.at(sub(at, key(k)), "%q: want host, the engine's only user namespace mode (keep-id, auto and nomap are podman's)", mode)
	default:
		p.at(sub(at, key(k)), "%q: want %s", mode, strings.Join(modes, ", "))
	}
	return ""
}

// logging keeps the log driver and its options as the engine takes them.
func (p *problems) logging(l *types.LoggingConfig, at []step) *topology.Logging {
	if l == nil {
		return nil
	}
	p.unmapped(l, "logging", at)
	return &topology.Logging{Driver: l.Driver, Options: nonEmpty(l.Options)}
}

// bothDockerfiles is compose's refusal of a build with both Dockerfiles.
const bothDockerfiles = "dockerfile and dockerfile_inline are mutually exclusive (compose refuses both): set one"

// build maps build:, local contexts only; the image is tagged
// <project>-<service> (lower-cased) unless image: names it.
func (p *problems) build(pr *types.Project, s types.ServiceConfig, at []step) *topology.Build {
	b := s.Build
	if b == nil {
		return nil
	}
	bat := sub(at, key("build"))
	p.unmapped(b, "build", bat)
	if !filepath.IsAbs(b.Context) || strings.Contains(b.Context, "://") {
		p.at(sub(bat, key("context")), "%q: not supported by chainctl: it builds a local directory only", b.Context)
		return nil
	}
	if b.DockerfileInline != "" && b.Dockerfile != "" {
		p.at(sub(bat, key("dockerfile_inline")), "%s", bothDockerfiles)
	}
	dockerfile := b.Dockerfile
	if filepath.IsAbs(dockerfile) {
		rel, err := filepath.Rel(b.Context, dockerfile)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			p.at(sub(bat, key("dockerfile")), "%q is outside the build context %s: chainctl sends the engine the context only", dockerfile, b.Context)
		}
		dockerfile = rel
	}
	return &topology.Build{
		Context: filepath.Clean(b.Context), Dockerfile: dockerfile,
		Args:   p.environment(b.Args, sub(bat, key("args"))),
		Target: b.Target, Labels: p.labels(b.Labels, sub(bat, key("labels"))),
		DockerfileInline: b.DockerfileInline,
	}
}

// pullPolicy keeps the policies chainctl has (compose-go reads
// if_not_present as missing).
func (p *problems) pullPolicy(pp string, at []step) string {
	switch pp {
	case "", types.PullPolicyAlways, types.PullPolicyMissing, types.PullPolicyNever, types.PullPolicyBuild:
		return pp
	}
	p.at(at, "%q: not supported by chainctl: want always, missing, never or build", pp)
	return ""
}

// expose checks container ports or ranges, with an optional /protocol.
func (p *problems) expose(in types.StringOrNumberList, at []step) []string {
	var out []string
	for i, e := range in {
		port, proto, _ := strings.Cut(e, "/")
		lo, hi, err := nat.ParsePortRange(port)
		if err != nil || lo < 1 || hi > 65535 || proto != "" && proto != "tcp" && proto != "udp" && proto != "sctp" {
			p.at(sub(at, key("expose"), index(i)), "%q: want a port or range from 1 to 65535, with /tcp, /udp or /sctp", e)
			continue
		}
		out = append(out, e)
	}
	return out
}

// networkMode keeps none, host, bridge and service:<name>.
func (p *problems) networkMode(m string, at []step) string {
	switch {
	case m == "", m == "none", m == "host", m == "bridge", strings.HasPrefix(m, types.ServicePrefix):
		return m
	case strings.HasPrefix(m, types.ContainerPrefix):
		p.at(at, "%q: not supported by chainctl: it joins its own services' namespaces only (use service:<name>)", m)
	default:
		p.at(at, "%q: not supported by chainctl: want none, host, bridge or service:<name> (join a network with networks:)", m)
	}
	return ""
}

// attachments map the service's networks, the first by priority first;
// nil when it joins the default network only.
func (p *problems) attachments(s types.ServiceConfig, at []step) []topology.NetworkAttach {
	if cfg, ok := s.Networks[topology.DefaultNetworkKey]; len(s.Networks) == 0 || len(s.Networks) == 1 && ok && cfg == nil {
		return nil
	}
	var out []topology.NetworkAttach
	for _, name := range s.NetworksByPriority() {
		a := topology.NetworkAttach{Key: name}
		if cfg := s.Networks[name]; cfg != nil {
			p.unmapped(cfg, "network", sub(at, key("networks"), key(name)))
			a.Aliases, a.IPv4Address, a.IPv6Address = nonEmptyList(cfg.Aliases), cfg.Ipv4Address, cfg.Ipv6Address
		}
		out = append(out, a)
	}
	return out
}

// ulimits take a single number (soft and hard) or soft and hard.
func ulimits(in map[string]*types.UlimitsConfig) map[string]topology.Ulimit {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]topology.Ulimit, len(in))
	for name, u := range in {
		if u == nil {
			continue
		}
		l := topology.Ulimit{Soft: int64(u.Soft), Hard: int64(u.Hard)}
		if u.Single != 0 {
			l = topology.Ulimit{Soft: int64(u.Single), Hard: int64(u.Single)}
		}
		out[name] = l
	}
	return out
}

// extraHosts are "host:ip", sorted, as the engine takes them.
func extraHosts(h types.HostsList) []string {
	var out []string
	for _, host := range slices.Sorted(maps.Keys(h)) {
		for _, ip := range h[host] {
			out = append(out, host+":"+ip)
		}
	}
	return out
}
