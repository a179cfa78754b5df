// Validation of the whole topology: references, dependency cycles and clashing host ports.

package topology

import (
	"net"
	"strconv"
	"strings"

	"github.com/docker/go-connections/nat"
)

// validate checks what needs the whole topology: names that must be
// defined, dependency cycles and host ports.
func (d *decoder) validate(t *Topology) {
	d.checkRefs(t)
	d.checkCycles(t)
	d.checkPorts(t)
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

// checkCycles reports one cycle of each group of services that depend on
// each other in a circle, at the entry that starts it.
func (d *decoder) checkCycles(t *Topology) {
	first := map[[2]string]ref{}
	for _, r := range d.refs {
		if k := [2]string{r.from, r.target}; !r.volume && first[k].path == "" {
			first[k] = r
		}
	}
	for _, c := range t.cycles() {
		r := first[[2]string{c[0], c[1]}]
		d.Addf(r.line, r.path, "dependency cycle: %s", strings.Join(c, " -> "))
	}
}

// checkPorts rejects a host port published twice (an unspecified address
// such as 0.0.0.0 clashes with every address) and a fixed host port on a
// replicated service.
func (d *decoder) checkPorts(t *Topology) {
	type key struct {
		port  uint64
		proto string
		ip    string // "" in the maps of owners of any address
	}
	byIP := map[key]string{}     // the entry publishing on this address
	wildcard := map[key]string{} // the entry publishing on every address
	anyIP := map[key]string{}    // the first entry publishing at all
	for _, pub := range d.published {
		p := pub.port
		if s := t.Services[pub.service]; s != nil && s.Replicas > 1 {
			d.checkReplicated(pub, s.Replicas)
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
				d.Addf(pub.line, pub.path, "host port %s/%s is already published by %s",
					net.JoinHostPort(p.HostIP, strconv.FormatUint(port, 10)), p.Protocol, owner)
				break
			}
			if anyIP[k] == "" {
				anyIP[k] = pub.path
			}
			if wild {
				wildcard[k] = pub.path
			} else {
				byIP[key{port, p.Protocol, ip.String()}] = pub.path
			}
		}
	}
}

// checkReplicated: the replicas of a service cannot all bind one fixed
// host port; a host range for one container port works when it has a
// port for each.
func (d *decoder) checkReplicated(pub published, replicas int) {
	p := pub.port
	host, container := width(p.HostPort), width(p.ContainerPort)
	switch {
	case host == container:
		d.Addf(pub.line, pub.path, "fixed host port %s on a service with %d replicas: they cannot all bind it (publish only the container port, or a host range)", p.HostPort, replicas)
	case host < replicas:
		d.Addf(pub.line, pub.path, "host range %s has fewer ports than the %d replicas", p.HostPort, replicas)
	}
}
