// Checks of the whole mapped project, as chainctl's topologies get them: host port clashes, container names, cycles through calls; and the port budget checked before compose-go expands ranges.

package compose

import (
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/chainctl/chainctl/internal/topology"
	"github.com/chainctl/chainctl/internal/yamlnode"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/go-connections/nat"
	"gopkg.in/yaml.v3"
)

// maxPorts bounds the ports all ranges together publish: compose-go
// expands a range into one entry per port.
const maxPorts = 65_536

// validate checks what needs every service.
func (p *problems) validate(t *topology.Topology) {
	names := map[string]string{}
	for _, name := range t.ServiceNames() {
		svc := t.Services[name]
		if svc.ContainerName == "" {
			continue
		}
		cat := keys("services", name, "container_name")
		if svc.Replicas > 1 {
			p.at(cat, "a container name is unique: a service with more than one replica cannot set one")
		}
		if other, dup := names[svc.ContainerName]; dup {
			p.at(cat, "container name %q is already used by service %s", svc.ContainerName, other)
		}
		names[svc.ContainerName] = name
	}
	p.checkPorts(t)
	p.checkCycles(t)
}

// checkPorts refuses a host port published twice (an unspecified address
// such as 0.0.0.0 clashes with every address) and a fixed host port on a
// replicated service.
func (p *problems) checkPorts(t *topology.Topology) {
	type bind struct {
		port  uint64
		proto string
	}
	byIP := map[bind]map[string]string{} // the entry publishing on each address
	for _, name := range t.ServiceNames() {
		svc := t.Services[name]
		for i, port := range svc.Ports {
			if port.HostPort == "" {
				continue
			}
			at := keys("services", name, "ports")
			shown := render(sub(at, index(i)))
			at = sub(at, index(i))
			if svc.Replicas > 1 && width(port.HostPort) < svc.Replicas*width(port.ContainerPort) {
				p.atFile(at, nil, shown, "host port "+port.HostPort+" on a service with "+strconv.Itoa(svc.Replicas)+
					" replicas: they cannot all bind it (publish only the container port, or a host range with a port for each)")
			}
			lo, hi, _ := nat.ParsePortRange(port.HostPort)
			ip := net.ParseIP(port.HostIP)
			for n := lo; n <= hi; n++ {
				b := bind{n, port.Protocol}
				if byIP[b] == nil {
					byIP[b] = map[string]string{}
				}
				if owner := clash(byIP[b], ip); owner != "" {
					p.atFile(at, nil, shown, "host port "+net.JoinHostPort(port.HostIP, strconv.FormatUint(n, 10))+"/"+port.Protocol+" is already published by "+owner)
					break
				}
				byIP[b][ip.String()] = shown
			}
		}
	}
}

// clash is the entry already publishing on ip, or on every address.
func clash(owners map[string]string, ip net.IP) string {
	if ip.IsUnspecified() {
		for _, k := range slices.Sorted(maps.Keys(owners)) {
			return owners[k]
		}
		return ""
	}
	if o := owners[ip.String()]; o != "" {
		return o
	}
	for k, o := range owners {
		if net.ParseIP(k).IsUnspecified() {
			return o
		}
	}
	return ""
}

// width is the number of ports in a range; 0 for "".
func width(r string) int {
	if r == "" {
		return 0
	}
	lo, hi, err := nat.ParsePortRange(r)
	if err != nil {
		return 0
	}
	return int(hi-lo) + 1
}

// checkCycles refuses services that depend on each other in a circle
// through a call (compose-go has refused a circle of depends_on alone).
func (p *problems) checkCycles(t *topology.Topology) {
	state := map[string]int{} // 1: on the path, 2: done
	var path []string
	var visit func(string) []string
	visit = func(v string) []string {
		state[v] = 1
		path = append(path, v)
		for _, w := range t.Dependencies(v) {
			switch state[w] {
			case 1:
				i := slices.Index(path, w)
				return append(append([]string{}, path[i:]...), w)
			case 0:
				if c := visit(w); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[v] = 2
		return nil
	}
	for _, name := range t.ServiceNames() {
		if state[name] != 0 {
			continue
		}
		path = nil
		if c := visit(name); c != nil {
			if i := callEdge(t, c); i >= 0 {
				p.at(sub(keys("services", c[i], extensionKey, "calls"), mentions(c[i+1])), "dependency cycle: %s", strings.Join(c, " -> "))
			}
			return // one cycle is enough to fix; others may share it
		}
	}
}

// callEdge is the index of a step of cycle c that is a call, or -1.
func callEdge(t *topology.Topology, c []string) int {
	for i := 0; i+1 < len(c); i++ {
		for _, call := range t.Services[c[i]].Calls {
			if call.Service == c[i+1] {
				return i
			}
		}
	}
	return -1
}

// portBudget refuses, before compose-go expands them, port ranges that
// publish more than maxPorts ports in all.
func (p *problems) portBudget(env types.Mapping) {
	left := maxPorts
	for _, f := range p.src.files {
		if f.root == nil {
			continue
		}
		services := field(f.root, "services")
		if services == nil || services.Kind != yaml.MappingNode {
			continue
		}
		for _, svc := range mapPairs(services) {
			v := yamlnode.Resolve(svc.Val)
			if v.Kind != yaml.MappingNode {
				continue
			}
			fieldEntries(v, "ports", keys("services", svc.Key.Value), func(n *yaml.Node, at []step) {
				if left -= portCount(n, env); left < 0 {
					p.at(at, "the project publishes more than %d ports in all, the limit", maxPorts)
					left = maxPorts
				}
			})
		}
	}
}

// portCount is how many ports an entry's ranges cover, at most.
func portCount(n *yaml.Node, env types.Mapping) int {
	var texts []string
	switch n.Kind {
	case yaml.ScalarNode:
		texts = []string{n.Value}
	case yaml.MappingNode:
		for _, k := range []string{"target", "published"} {
			if v := field(n, k); v != nil && v.Kind == yaml.ScalarNode {
				texts = append(texts, v.Value)
			}
		}
	}
	count := 1
	for _, s := range texts {
		if e, err := template.Substitute(s, template.Mapping(env.Resolve)); err == nil {
			s = e
		}
		s, _, _ = strings.Cut(s, "/")
		for _, part := range strings.Split(s, ":") {
			count = max(count, width(part))
		}
	}
	return count
}
