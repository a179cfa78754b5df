// Checks of the whole mapped project: container names, then topology.Problems (host port clashes, cycles through calls) at their lines; and the port budget checked before compose-go expands ranges.

package compose

import (
	"strings"

	"github.com/chainctl/chainctl/internal/topology"
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
	p.problems(t)
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

// problems records topology.Problems at their lines: a host port at its
// entry; a dependency cycle at a call on it (x-chainctl.calls), as
// compose-go has refused a circle of depends_on alone.
func (p *problems) problems(t *topology.Topology) {
	for _, pr := range t.Problems() {
		switch {
		case pr.Cycle != nil:
			if i := callEdge(t, pr.Cycle); i >= 0 {
				p.at(sub(keys("services", pr.Cycle[i], extensionKey, "calls"), mentions(pr.Cycle[i+1])), "%s", pr.Msg)
			}
		case pr.Port >= 0:
			p.atFile(sub(keys("services", pr.Service, "ports"), index(pr.Port)), nil, pr.Path, pr.Msg)
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
	eachService(p.src.files, func(_ *source, svcAt []step, v *yaml.Node) bool {
		fieldEntries(v, "ports", svcAt, func(n *yaml.Node, at []step) {
			if left -= portCount(n, env); left < 0 {
				p.at(at, "the project publishes more than %d ports in all, the limit", maxPorts)
				left = maxPorts
			}
		})
		return true
	})
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
