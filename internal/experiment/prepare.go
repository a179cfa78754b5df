// Preparing a run: the services the file names checked against the project, the entry's URL, the graph, and the load.

package experiment

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/loadgen"
	"github.com/chainctl/chainctl/internal/topology"
)

// Prepare fills the options a run needs from the project as it runs on b:
// it checks that every service the file names exists (t is the project's
// topology, from the file or recorded), finds the entry's URL and builds
// the graph and the load.
func Prepare(ctx context.Context, b engine.Backend, e *Experiment, t *topology.Topology, project string) (Options, error) {
	o := Options{Backend: b, Project: project, Graph: GraphOf(t)}
	if err := ValidateServices(e, t.ServiceNames()); err != nil {
		return o, err
	}
	o.URL = e.Load.URL
	if o.URL == "" {
		_, url, err := b.Endpoint(ctx, project, e.Load.Entry)
		if err != nil {
			return o, fmt.Errorf("load.entry %s: %w", e.Load.Entry, err)
		}
		o.URL = url
	}
	o.Load = HTTPLoad(e, o.URL)
	return o, nil
}

// HTTPLoad is the open-loop load generator at the experiment's rate
// against url; an entry service is a link chain, whose tree says which hop
// failed.
func HTTPLoad(e *Experiment, url string) LoadFunc {
	return func(ctx context.Context, start time.Time, record func(Request)) {
		timeout := e.Load.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		o := loadgen.Options{URL: url, Rate: e.Load.Rate, Duration: e.Duration, Timeout: timeout,
			Link: e.Load.Entry != "", Entry: e.Load.Entry, Start: start}
		_, _ = loadgen.Run(ctx, o, func(r loadgen.Result) {
			record(Request{SentMS: ms(r.Due), LatencyMS: ms(r.Latency), Status: r.Status, OK: r.OK, Hop: r.Hop, Error: r.Error})
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// GraphOf is the topology as the report draws it.
func GraphOf(t *topology.Topology) Graph {
	var g Graph
	for _, name := range t.ServiceNames() {
		gs := GraphService{Name: name}
		for _, c := range t.Services[name].Calls {
			gs.Calls = append(gs.Calls, c.Service)
		}
		sort.Strings(gs.Calls)
		g.Services = append(g.Services, gs)
	}
	return g
}

// MarkFaulted highlights in the graph the services a fault of the run hit.
func (j *Journal) MarkFaulted(plan []planned) {
	hit := map[string]bool{}
	for _, p := range plan {
		for _, tg := range p.targets {
			hit[tg.Service] = true
		}
		for _, g := range p.partition {
			for _, s := range g {
				hit[s] = true
			}
		}
	}
	for i := range j.Graph.Services {
		j.Graph.Services[i].Faulted = hit[j.Graph.Services[i].Name]
	}
}
