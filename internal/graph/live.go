// Live state: each service's replicas, as ps shows them, summed up as healthy, starting, faulted or missing.

package graph

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/chainctl/chainctl/internal/engine"
)

// State is a service's live state.
type State string

// The states; "" when the project does not run.
const (
	Healthy  State = "healthy"
	Starting State = "starting"
	Faulted  State = "faulted"
	Missing  State = "missing" // the engine has no container of it
)

// States lists them in the legend's order.
var States = []State{Healthy, Starting, Faulted, Missing}

// SetLive colours every service by its rows of ps: a service the rows do
// not have is missing, one they have but the graph does not is added (it
// runs, but is not in the topology). The published ports become the ones
// the engine chose.
func (g *Graph) SetLive(rows []engine.ContainerStatus) {
	g.Live = true
	by := map[string][]engine.ContainerStatus{}
	for _, r := range rows {
		by[r.Service] = append(by[r.Service], r)
	}
	idx := g.index()
	for name, rs := range by {
		if _, ok := idx[name]; !ok {
			g.Services = append(g.Services, Service{Name: name, Replicas: len(rs), Extra: true})
		}
	}
	g.sort()
	for i := range g.Services {
		s := &g.Services[i]
		rs := by[s.Name]
		s.State, s.Fault = stateOf(rs)
		if ports := livePorts(rs); len(ports) > 0 {
			s.Ports = ports
		}
	}
}

// stateOf sums up a service's replicas: faulted when any has a fault (or
// is unhealthy), with each distinct fault and how many replicas have one;
// starting when any is not healthy yet; missing without any container.
func stateOf(rs []engine.ContainerStatus) (State, string) {
	if len(rs) == 0 {
		return Missing, ""
	}
	var faults []string
	faulted, starting := 0, false
	for _, r := range rs {
		f := r.Fault
		if f == engine.FaultConverging {
			starting, f = true, ""
		}
		if (f == "" || f == engine.FaultNone) && r.Health == "unhealthy" {
			f = "unhealthy"
		}
		if f == "" || f == engine.FaultNone {
			starting = starting || r.Health == "starting" || r.State == "created"
			continue
		}
		faulted++
		if !slices.Contains(faults, f) {
			faults = append(faults, f)
		}
	}
	if faulted > 0 {
		sort.Strings(faults)
		text := strings.Join(faults, "; ")
		if faulted < len(rs) {
			text += fmt.Sprintf(" (%d of %d)", faulted, len(rs))
		}
		return Faulted, text
	}
	if starting {
		return Starting, ""
	}
	return Healthy, ""
}

// livePorts are the ports the replicas publish, as "127.0.0.1:32768→8080"
// (the default address and tcp left out), each once.
func livePorts(rs []engine.ContainerStatus) []string {
	var out []string
	for _, r := range rs {
		for _, p := range r.Ports {
			p = strings.TrimPrefix(strings.TrimSuffix(p, "/tcp"), "127.0.0.1:")
			p = strings.Replace(p, "->", "→", 1)
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}
