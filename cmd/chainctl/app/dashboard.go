// The dashboard verb: a local web page of the project, live (graph, probe load, events, break and heal), behind a token.

package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/dashboard"
	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

type dashboardFlags struct {
	listen    string
	listenAny bool
	probeRate float64
}

func newDashboardCmd(g *globals) *cobra.Command {
	var f dashboardFlags
	cmd := &cobra.Command{
		Use:   "dashboard [FILE]",
		Short: "Serve a live web page of the project: the graph, a probe load's strip chart, the events, break and heal buttons",
		Long: `Serve a live web page of the project on this machine, until Ctrl-C. It shows
the graph (each service coloured by its live state, redrawn as the engine's
events come), a strip chart of a light probe load through the entry that the
page starts and stops, the project's events, and buttons to break a service
(any mode, network faults with their parameters) and to heal.

It listens on 127.0.0.1 and an engine-chosen port by default, and prints the
address with a random token, as Jupyter does: every request without the token
gets 403, and a change (break, heal, probe) must come from the page itself.
Everything the page needs is served by chainctl; nothing is fetched from
elsewhere. With FILE (or -f) the graph is the file's; with -p alone, the
topology the project was brought up with.`,
		Args:              usageArgs(cobra.MaximumNArgs(1)),
		ValidArgsFunction: completeFileArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDashboard(cmd.Context(), g, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", dashboard.DefaultListen, "address to serve on (host:port; port 0: any free one); loopback only without --listen-any")
	fl.BoolVar(&f.listenAny, "listen-any", false, "allow a --listen address that is not loopback: whoever reaches it and learns the token can break the project")
	fl.Float64Var(&f.probeRate, "probe-rate", dashboard.DefaultProbeRate, "requests per second of the probe load the page starts")
	return cmd
}

func runDashboard(ctx context.Context, g *globals, f dashboardFlags, args []string) error {
	if err := dashboard.CheckListen(f.listen, f.listenAny); err != nil {
		return errUsage{err}
	}
	if !(f.probeRate > 0) || f.probeRate > 1000 {
		return errUsage{fmt.Errorf("--probe-rate %v: want more than 0 and at most 1000 requests per second", f.probeRate)}
	}
	var (
		t   *topology.Topology
		err error
	)
	project := ""
	if g.graphFromFile(args) {
		if t, err = g.loadFile(ctx, args); err != nil {
			return err
		}
		project = t.Name
	}
	s, err := g.open(ctx, project, "")
	if err != nil {
		return err
	}
	defer s.close()
	if t == nil {
		if t, _, err = runningTopology(ctx, s, "give the project's FILE to watch it come up"); err != nil {
			return err
		}
	}
	events, _ := s.Backend.(engine.Observer) // nil: the page resyncs only
	err = dashboard.Serve(ctx, dashboard.Options{
		Project: s.Project, Engine: s.Backend, Events: eventSource(events), Topology: t,
		Listen: f.listen, ListenAny: f.listenAny, ProbeRate: f.probeRate, Out: g.stdout, Log: g.stderr,
	})
	var le *dashboard.ListenError
	if errors.As(err, &le) {
		return errUsage{err}
	}
	return err
}

// eventSource is nil for a backend without events (not a typed nil).
func eventSource(o engine.Observer) dashboard.EventSource {
	if o == nil {
		return nil
	}
	return o
}
