// Package graph draws a project as a picture: the services, whom they call
// (calls), what they wait for (depends_on), their replicas, ports and
// networks, and, when the project runs, the live state of each. Mermaid and
// dot are text to paste elsewhere; svg is drawn here, with the layered
// layout (Lay) that the experiment report uses too. It reads the model and
// the rows of ps; it has no Docker imports.
package graph

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

// Formats the graph is drawn in.
const (
	FormatMermaid = "mermaid"
	FormatDot     = "dot"
	FormatSVG     = "svg"
)

// Formats lists them, for the flag's help and its check.
var Formats = []string{FormatMermaid, FormatDot, FormatSVG}

// Graph is what is drawn: the services sorted by name.
type Graph struct {
	Project  string
	Services []Service
	// Live says the states come from a running project; without it no
	// service has one.
	Live bool
	// Networks says the project has networks besides its default one, so
	// each service lists the ones it joins.
	Networks bool
}

// Service is one node.
type Service struct {
	Name      string
	Replicas  int
	Ports     []string // "8080→8080", "127.0.0.1:32768→8080", "*→8080" (engine-chosen)
	Networks  []string // network keys, sorted; "mode: host" for a network_mode
	Calls     []Call   // sorted
	DependsOn []Dep    // sorted
	// Extra: not a service of the topology (called but not declared, or
	// running without being in the file).
	Extra bool
	State State
	Fault string // what ps's FAULT column says, for a faulted service
}

// Call is a calls edge; Port is shown when it is not the default.
type Call struct {
	To   string
	Port int
}

// Dep is a depends_on edge and what the dependent waits for.
type Dep struct {
	On        string
	Condition topology.Condition
}

// Write draws the topology in format on w. rows are the project's ps rows
// when it runs (nil: draw the file alone); a service in rows but not in t
// is drawn too. t may have no services: the rows alone give the nodes.
func Write(w io.Writer, format string, t *topology.Topology, rows []engine.ContainerStatus) error {
	g := New(t)
	if rows != nil {
		g.SetLive(rows)
	}
	switch format {
	case FormatMermaid:
		return g.Mermaid(w)
	case FormatDot:
		return g.Dot(w)
	case FormatSVG:
		return g.SVG(w)
	}
	return fmt.Errorf("unknown graph format %q (formats: %s)", format, strings.Join(Formats, ", "))
}

// New is the graph of a topology, without live state.
func New(t *topology.Topology) *Graph {
	g := &Graph{Project: t.Name, Networks: len(t.Networks) > 0}
	names := make([]string, 0, len(t.Services))
	for name := range t.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	known := map[string]bool{}
	for _, name := range names {
		known[name] = true
	}
	extra := map[string]bool{}
	for _, name := range names {
		svc := t.Services[name]
		s := Service{Name: name, Replicas: max(1, svc.Replicas), Ports: portLabels(svc.Ports)}
		for _, c := range svc.Calls {
			s.Calls = append(s.Calls, Call{To: c.Service, Port: c.Port})
			extra[c.Service] = !known[c.Service]
		}
		for on, cond := range svc.DependsOn {
			s.DependsOn = append(s.DependsOn, Dep{On: on, Condition: cond})
			extra[on] = !known[on]
		}
		sort.Slice(s.Calls, func(i, j int) bool {
			a, b := s.Calls[i], s.Calls[j]
			return a.To < b.To || a.To == b.To && a.Port < b.Port
		})
		sort.Slice(s.DependsOn, func(i, j int) bool { return s.DependsOn[i].On < s.DependsOn[j].On })
		if g.Networks {
			s.Networks = networkLabels(t, svc)
		}
		g.Services = append(g.Services, s)
	}
	for name, isExtra := range extra {
		if isExtra {
			g.Services = append(g.Services, Service{Name: name, Replicas: 1, Extra: true})
		}
	}
	g.sort()
	return g
}

func (g *Graph) sort() {
	sort.Slice(g.Services, func(i, j int) bool { return g.Services[i].Name < g.Services[j].Name })
}

// portLabels shows published ports as host→container: the address only
// when the file gave one, "*" for an engine-chosen host port, the protocol
// only when it is not tcp.
func portLabels(ps []topology.Port) []string {
	var out []string
	for _, p := range ps {
		host := p.HostPort
		if host == "" {
			host = "*"
		}
		if p.HostIPSet && p.HostIP != "" {
			ip := p.HostIP
			if strings.Contains(ip, ":") {
				ip = "[" + ip + "]"
			}
			host = ip + ":" + host
		}
		s := host + "→" + p.ContainerPort
		if p.Protocol != "" && p.Protocol != "tcp" {
			s += "/" + p.Protocol
		}
		out = append(out, s)
	}
	return out
}

// networkLabels are the keys of the networks a service joins, or its
// network_mode.
func networkLabels(t *topology.Topology, svc *topology.Service) []string {
	if svc.NetworkMode != "" {
		return []string{"mode: " + svc.NetworkMode}
	}
	var out []string
	for _, n := range t.NetworksOf(svc) {
		out = append(out, n.Key)
	}
	sort.Strings(out)
	return out
}

// index maps names to positions in g.Services.
func (g *Graph) index() map[string]int {
	idx := make(map[string]int, len(g.Services))
	for i, s := range g.Services {
		idx[s.Name] = i
	}
	return idx
}

// title is a service's first line: its name, and ×N for replicas.
func (s Service) title() string {
	if s.Replicas > 1 {
		return s.Name + " ×" + strconv.Itoa(s.Replicas)
	}
	return s.Name
}

// details are the lines under the name: ports, networks, live state.
func (s Service) details() []string {
	var out []string
	if len(s.Ports) > 0 {
		out = append(out, strings.Join(s.Ports, ", "))
	}
	if len(s.Networks) > 0 {
		out = append(out, "net: "+strings.Join(s.Networks, ", "))
	}
	if s.Extra {
		out = append(out, "not in the topology")
	}
	if st := s.stateText(); st != "" {
		out = append(out, st)
	}
	return out
}

// stateText is the live state as a line: "healthy", "faulted: killed".
func (s Service) stateText() string {
	if s.State == Faulted && s.Fault != "" {
		return "faulted: " + s.Fault
	}
	return string(s.State)
}

// label is what a calls edge says: its port, when not the default.
func (c Call) label() string {
	if c.Port == 0 || c.Port == topology.DefaultCallPort {
		return ""
	}
	return strconv.Itoa(c.Port)
}

// label is what a depends_on edge says: the condition, short.
func (d Dep) label() string {
	s := strings.TrimSuffix(strings.TrimPrefix(string(d.Condition), "service_"), "_successfully")
	if s == "" {
		return "started"
	}
	return s
}
