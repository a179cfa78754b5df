// Mapping one compose service: image, command, environment, ports, dependencies, health check and restart policy.

package compose

import (
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chainctl/chainctl/internal/topology"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/go-connections/nat"
)

// reservedLabelPrefix marks the labels chainctl puts on what it creates.
const reservedLabelPrefix = "io.chainctl."

// minProbe is the smallest health interval, timeout or start period the
// engine takes (0 is its default).
const minProbe = time.Millisecond

// service maps one service of the project.
func (p *problems) service(pr *types.Project, s types.ServiceConfig) *topology.Service {
	at := keys("services", s.Name)
	p.unmapped(s, "service", at)
	svc := &topology.Service{
		Name: s.Name, Image: s.Image,
		Command: words(s.Command), Entrypoint: words(s.Entrypoint),
		Environment: p.environment(s.Environment, sub(at, key("environment"))),
		Labels:      p.labels(s.Labels, sub(at, key("labels"))),
		User:        s.User, ReadOnly: s.ReadOnly, Privileged: s.Privileged,
		CapAdd: nonEmptyList(s.CapAdd), CapDrop: nonEmptyList(s.CapDrop), SecurityOpt: nonEmptyList(s.SecurityOpt),
	}
	if svc.Image == "" {
		svc.Image = strings.ToLower(pr.Name + "-" + s.Name)
	}
	svc.Ports = p.ports(s.Ports, at)
	svc.Calls = p.calls(pr, s, at)
	svc.DependsOn = p.dependsOn(pr, s, at)
	svc.Healthcheck = p.healthcheck(s.HealthCheck, sub(at, key("healthcheck")))
	svc.Restart = p.restart(s.Restart, sub(at, key("restart")))
	if s.StopGracePeriod != nil {
		d := topology.Duration(*s.StopGracePeriod)
		if d < 0 {
			p.at(sub(at, key("stop_grace_period")), "%s: must not be negative", d)
		}
		svc.StopGracePeriod = &d
	}
	svc.Run = p.run(pr, s, at)
	svc.Volumes = p.mounts(s.Volumes, at)
	p.deploy(s, svc, at)
	return svc
}

// sub extends a path (a copy: paths are shared).
func sub(at []step, more ...step) []step {
	return append(append(make([]step, 0, len(at)+len(more)), at...), more...)
}

// words keeps a command as compose-go split it: nil is the image's, an
// empty list clears it.
func words(c types.ShellCommand) []string {
	if c == nil {
		return nil
	}
	return append([]string{}, c...)
}

func nonEmptyList(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return l
}

// environment drops the variables left without a value (unset in the
// environment, as compose does) and checks the names.
func (p *problems) environment(m types.MappingWithEquals, at []step) map[string]string {
	out := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch {
		case k == "" || strings.ContainsAny(k, "=\x00"):
			p.at(sub(at, mentions(k)), "invalid variable name %q", k)
		case m[k] != nil:
			out[k] = *m[k]
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// labels refuses chainctl's own label prefix, as its topologies do.
func (p *problems) labels(m map[string]string, at []step) map[string]string {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if strings.HasPrefix(k, reservedLabelPrefix) {
			p.at(sub(at, key(k)), "label %q: the %s prefix is reserved for chainctl", k, reservedLabelPrefix)
		}
	}
	return nonEmpty(m)
}

// ports maps the published ports: 127.0.0.1 unless the file gives an
// address (chainctl's default), ranges kept as compose-go gives them.
func (p *problems) ports(in []types.ServicePortConfig, at []step) []topology.Port {
	var out []topology.Port
	for i, pc := range in {
		pat := sub(at, key("ports"), index(i))
		p.unmapped(pc, "port", pat)
		port := topology.Port{HostIP: "127.0.0.1", ContainerPort: strconv.FormatUint(uint64(pc.Target), 10), HostPort: pc.Published, Protocol: pc.Protocol}
		if pc.HostIP != "" {
			ip := net.ParseIP(pc.HostIP)
			if ip == nil {
				p.at(pat, "host IP %q is not an IP address", pc.HostIP)
				continue
			}
			port.HostIP, port.HostIPSet = ip.String(), true
		}
		switch pc.Mode {
		case topology.PortModeHost:
			port.Mode = topology.PortModeHost
		case "", topology.PortModeIngress:
		default:
			p.at(pat, "mode %q: want host or ingress", pc.Mode)
		}
		if port.Protocol == "" {
			port.Protocol = "tcp"
		}
		if port.Protocol != "tcp" && port.Protocol != "udp" && port.Protocol != "sctp" {
			p.at(pat, "protocol %q: want tcp, udp or sctp", pc.Protocol)
		}
		if pc.Target < 1 || pc.Target > 65535 {
			p.at(pat, "target %d: want a port from 1 to 65535", pc.Target)
		}
		if lo, hi, err := nat.ParsePortRange(pc.Published); pc.Published != "" && (err != nil || lo < 1 || hi > 65535) {
			p.at(pat, "published %q: want a port or range from 1 to 65535", pc.Published)
		}
		out = append(out, port)
	}
	return out
}

// dependsOn maps depends_on. A dependency on a service that a profile
// leaves out and that is not required is dropped, as compose does;
// restart: true makes RestartWith. Links and network_mode: service:x
// depend too (compose-go adds them).
func (p *problems) dependsOn(pr *types.Project, s types.ServiceConfig, at []step) map[string]topology.Condition {
	out := map[string]topology.Condition{}
	for _, dep := range slices.Sorted(maps.Keys(s.DependsOn)) {
		d := s.DependsOn[dep]
		if _, enabled := pr.Services[dep]; !enabled {
			continue
		}
		switch c := topology.Condition(d.Condition); c {
		case "", topology.ServiceStarted:
			out[dep] = topology.ServiceStarted
		case topology.ServiceHealthy, topology.ServiceCompletedSuccessfully:
			out[dep] = c
		default:
			p.at(sub(at, key("depends_on"), key(dep), key("condition")), "%q: want service_started, service_healthy or service_completed_successfully", d.Condition)
		}
		p.unmapped(d, "depends_on", sub(at, key("depends_on"), key(dep)))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// restartWith are the dependencies whose recreation restarts the service.
func restartWith(pr *types.Project, s types.ServiceConfig) []string {
	var out []string
	for _, dep := range slices.Sorted(maps.Keys(s.DependsOn)) {
		if _, enabled := pr.Services[dep]; enabled && s.DependsOn[dep].Restart {
			out = append(out, dep)
		}
	}
	return out
}

// healthcheck maps a health check; disable: true turns the image's off.
func (p *problems) healthcheck(h *types.HealthCheckConfig, at []step) *topology.Healthcheck {
	if h == nil {
		return nil
	}
	p.unmapped(h, "healthcheck", at)
	out := &topology.Healthcheck{Disable: h.Disable}
	if !h.Disable && len(h.Test) > 0 {
		out.Test = append([]string{}, h.Test...)
		tat := sub(at, key("test"))
		switch first := h.Test[0]; {
		case first != "CMD" && first != "CMD-SHELL" && first != "NONE":
			p.at(tat, "a test list starts with CMD, CMD-SHELL or NONE")
		case first == "NONE" && len(h.Test) > 1:
			p.at(tat, "NONE takes nothing after it")
		case first != "NONE" && len(h.Test) == 1:
			p.at(tat, "%s needs a command after it", first)
		}
	}
	probe := func(d *types.Duration, k string) topology.Duration {
		if d == nil {
			return 0
		}
		if v := time.Duration(*d); v < 0 || v != 0 && v < minProbe {
			p.at(sub(at, key(k)), "%s: the engine needs at least %s (or 0 for its default)", v, minProbe)
		}
		return topology.Duration(*d)
	}
	out.Interval, out.Timeout, out.StartPeriod = probe(h.Interval, "interval"), probe(h.Timeout, "timeout"), probe(h.StartPeriod, "start_period")
	if h.Retries != nil {
		if *h.Retries > 1<<31-1 {
			p.at(sub(at, key("retries")), "%d retries: too many", *h.Retries)
		}
		out.Retries = int(min(*h.Retries, 1<<31-1))
	}
	return out
}

// restart checks a restart policy as chainctl's topologies do.
func (p *problems) restart(r string, at []step) string {
	name, count, hasCount := strings.Cut(r, ":")
	ok := false
	switch name {
	case "", "no", "always", "unless-stopped":
		ok = !hasCount
	case "on-failure":
		n, err := strconv.Atoi(count)
		ok = !hasCount || err == nil && n >= 0
	}
	if !ok {
		p.at(at, "%q: want no, on-failure[:N], always or unless-stopped", r)
	}
	return r
}
