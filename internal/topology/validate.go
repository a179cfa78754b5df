// Validation of the whole topology: references, dependency cycles and clashing host ports.

package topology

import (
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/docker/go-connections/nat"
)

// Problem is a problem of the whole topology that the model alone shows:
// the service, the field path and the message, without a line. Each
// loader finds the line in its own source (the chainctl decoder from what
// it read, the compose loader from its node tree).
type Problem struct {
	Service string
	Path    string // as messages write it: services.b.ports[0]
	Msg     string
	// Port is the index in the service's Ports of the entry the problem
	// is about, -1 when it is about none.
	Port int
	// Cycle, for a dependency cycle, is the services on it, the first
	// repeated last ([a b a]); Path is then the field of its first step.
	Cycle []string
}

// Problems checks what needs every service: dependency cycles (through
// calls and depends_on), then host ports published twice or fixed on a
// replicated service, services by name and ports in order.
func (t *Topology) Problems() []Problem {
	var out []Problem
	for _, c := range t.cycles() {
		from := t.Services[c[0]]
		path := "services." + c[0] + ".depends_on." + c[1]
		if slices.ContainsFunc(from.Calls, func(call Call) bool { return call.Service == c[1] }) {
			path = "services." + c[0] + ".calls"
		}
		out = append(out, Problem{Service: c[0], Path: path, Msg: "dependency cycle: " + strings.Join(c, " -> "), Port: -1, Cycle: c})
	}
	return append(out, t.portProblems()...)
}

// validate checks what needs the whole topology: names that must be
// defined, then Problems at the lines they were read from.
func (d *decoder) validate(t *Topology) {
	d.checkRefs(t)
	first := map[[2]string]ref{}
	for _, r := range d.refs {
		if k := [2]string{r.from, r.target}; !r.volume && first[k].path == "" {
			first[k] = r
		}
	}
	for _, p := range t.Problems() {
		switch {
		case p.Cycle != nil:
			r := first[[2]string{p.Cycle[0], p.Cycle[1]}]
			d.Addf(r.line, r.path, "%s", p.Msg)
		case p.Port >= 0:
			for _, pub := range d.published {
				if pub.service == p.Service && pub.index == p.Port {
					d.Addf(pub.line, pub.path, "%s", p.Msg)
				}
			}
		}
	}
}

func (d *decoder) checkRefs(t *Topology) {
	for _, r := range d.refs {
		switch {
		case r.volume:
			if _, ok := t.Volumes[r.target]; !ok {
				d.Addf(r.line, r.path, "volume %q is not declared under the top-level volumes", r.target)
			}
		case r.target == r.from:
			d.Addf(r.line, r.path, "service %q depends on itself", r.target)
		default:
			if _, ok := t.Services[r.target]; !ok {
				d.Addf(r.line, r.path, "unknown service %q (%s)", r.target, serviceList(t))
			}
		}
	}
}

// serviceList names the services for a message, unless there are many.
func serviceList(t *Topology) string {
	if len(t.Services) > 10 {
		return strconv.Itoa(len(t.Services)) + " services are defined"
	}
	return "services: " + strings.Join(t.ServiceNames(), ", ")
}

// portProblems are the host ports published twice (an unspecified address
// such as 0.0.0.0 clashes with every address) and the fixed host ports of
// replicated services.
func (t *Topology) portProblems() []Problem {
	type key struct {
		port  uint64
		proto string
		ip    string // "" in the maps of owners of any address
	}
	byIP := map[key]string{}     // the entry publishing on this address
	wildcard := map[key]string{} // the entry publishing on every address
	anyIP := map[key]string{}    // the first entry publishing at all
	var out []Problem
	for _, name := range t.ServiceNames() {
		s := t.Services[name]
		for i, p := range s.Ports {
			if p.HostPort == "" {
				continue
			}
			at := Problem{Service: name, Path: "services." + name + ".ports[" + strconv.Itoa(i) + "]", Port: i}
			if s.Replicas > 1 {
				if msg := replicated(p, s.Replicas); msg != "" {
					at.Msg = msg
					out = append(out, at)
				}
			}
			ip := net.ParseIP(p.HostIP)
			wild := ip.IsUnspecified()
			lo, hi, _ := nat.ParsePortRange(p.HostPort)
			for port := lo; port <= hi; port++ {
				k := key{port: port, proto: p.Protocol}
				owner := wildcard[k]
				if wild {
					owner = anyIP[k]
				} else if owner == "" {
					owner = byIP[key{port, p.Protocol, ip.String()}]
				}
				if owner != "" {
					at.Msg = "host port " + net.JoinHostPort(p.HostIP, strconv.FormatUint(port, 10)) + "/" + p.Protocol + " is already published by " + owner
					out = append(out, at)
					break
				}
				if anyIP[k] == "" {
					anyIP[k] = at.Path
				}
				if wild {
					wildcard[k] = at.Path
				} else {
					byIP[key{port, p.Protocol, ip.String()}] = at.Path
				}
			}
		}
	}
	return out
}

// replicated says why the replicas of a service cannot all bind the host
// port, "" when they can: a host range for one container port works when
// it has a port for each.
func replicated(p Port, replicas int) string {
	host, container := width(p.HostPort), width(p.ContainerPort)
	switch {
	case host == container:
		return "fixed host port " + p.HostPort + " on a service with " + strconv.Itoa(replicas) + " replicas: they cannot all bind it (publish only the container port, or a host range with a port for each replica)"
	case host < replicas:
		return "host range " + p.HostPort + " has fewer ports than the " + strconv.Itoa(replicas) + " replicas"
	}
	return ""
}
