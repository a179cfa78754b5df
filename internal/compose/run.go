// Mapping what a service sets on its containers beyond the chain (topology.Run): build, networks, runtime options.

package compose

import (
	"fmt"
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
		PidsLimit: s.PidsLimit, MemoryReservation: int64(s.MemReservation),
		NetworkMode: p.networkMode(s.NetworkMode, sub(at, key("network_mode"))),
		Networks:    p.attachments(s, at), Links: nonEmptyList(s.Links),
		Secrets:     p.fileMounts(secretRefs(s.Secrets), "/run/secrets/", sub(at, key("secrets"))),
		Configs:     p.fileMounts(configRefs(s.Configs), "/", sub(at, key("configs"))),
		RestartWith: restartWith(pr, s),
	}
	if s.ShmSize < 0 {
		p.at(sub(at, key("shm_size")), "must not be negative")
	}
	return r
}

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

// networkMode keeps none, host and service:<name>.
func (p *problems) networkMode(m string, at []step) string {
	switch {
	case m == "", m == "none", m == "host", strings.HasPrefix(m, types.ServicePrefix):
		return m
	case strings.HasPrefix(m, types.ContainerPrefix):
		p.at(at, "%q: not supported by chainctl: it joins its own services' namespaces only (use service:<name>)", m)
	default:
		p.at(at, "%q: not supported by chainctl: want none, host or service:<name> (join a network with networks:)", m)
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

// secretRefs and configRefs give a service's secrets and configs one type.
func secretRefs(in []types.ServiceSecretConfig) []types.FileReferenceConfig {
	out := make([]types.FileReferenceConfig, len(in))
	for i, r := range in {
		out[i] = types.FileReferenceConfig(r)
	}
	return out
}

func configRefs(in []types.ServiceConfigObjConfig) []types.FileReferenceConfig {
	out := make([]types.FileReferenceConfig, len(in))
	for i, r := range in {
		out[i] = types.FileReferenceConfig(r)
	}
	return out
}

// fileMounts map secrets or configs onto files in the container: at
// target, or dir/<target> for a relative one, or dir/<source>.
func (p *problems) fileMounts(in []types.FileReferenceConfig, dir string, at []step) []topology.FileMount {
	var out []topology.FileMount
	for i, r := range in {
		p.unmapped(r, "file", sub(at, index(i)))
		m := topology.FileMount{Source: r.Source, Target: r.Target}
		switch {
		case m.Target == "":
			m.Target = dir + r.Source
		case !strings.HasPrefix(m.Target, "/"):
			m.Target = dir + m.Target
		}
		if r.Mode != nil {
			if *r.Mode < 0 || *r.Mode > 0o7777 {
				p.at(sub(at, index(i), key("mode")), "%s: not a file mode", fmt.Sprintf("%#o", int64(*r.Mode)))
			}
			mode := int(*r.Mode)
			m.Mode = &mode
		}
		out = append(out, m)
	}
	return out
}
