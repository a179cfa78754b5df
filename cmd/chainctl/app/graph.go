// The graph verb: the project as mermaid, dot or svg: calls, depends_on, replicas, ports, networks, and the live state.

package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/compose"
	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/graph"
	"github.com/chainctl/chainctl/internal/topology"
)

type graphFlags struct {
	format  string
	offline bool
}

func newGraphCmd(g *globals) *cobra.Command {
	var f graphFlags
	cmd := &cobra.Command{
		Use:   "graph [FILE]",
		Short: "Draw the project: calls, depends_on, replicas, ports, networks and each service's live state",
		Long: `Draw the project as Mermaid, Graphviz dot or SVG. Calls are solid arrows,
depends_on dashed ones labelled with their condition; replicas (×N),
published ports and, when the project has several, networks are on each
box. When the project runs, every service is coloured by its live state:
healthy, starting, faulted (with what ps's FAULT column says) or missing.

With FILE (or -f) the graph is the file's, coloured if its project is up;
with -p alone it is the topology the running project was brought up with.
SVG is drawn by chainctl itself; Mermaid and dot are for pasting elsewhere.`,
		Args:              usageArgs(cobra.MaximumNArgs(1)),
		ValidArgsFunction: completeFileArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGraph(cmd.Context(), g, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", graph.FormatMermaid, "output format: "+strings.Join(graph.Formats, ", "))
	fl.BoolVar(&f.offline, "offline", false, "draw the file alone: do not ask the engine for the live state")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(graph.Formats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runGraph(ctx context.Context, g *globals, f graphFlags, args []string) error {
	if !slices.Contains(graph.Formats, f.format) {
		return errUsage{fmt.Errorf("--format %q: want %s", f.format, strings.Join(graph.Formats, ", "))}
	}
	var (
		t    *topology.Topology
		rows []engine.ContainerStatus
		err  error
	)
	switch {
	case g.graphFromFile(args):
		if t, err = g.loadFile(ctx, args); err != nil {
			return err
		}
		if !f.offline {
			rows = g.liveRows(ctx, t.Name)
		}
	case f.offline:
		return errUsage{errors.New("--offline draws a file: give FILE or -f FILE")}
	default:
		if t, rows, err = g.runningGraph(ctx); err != nil {
			return err
		}
	}
	return graph.Write(g.stdout, f.format, t, rows)
}

// graphFromFile says whether the graph is a file's: FILE or -f given, or
// neither -p nor $CHAINCTL_PROJECT and a compose file where chainctl runs.
func (g *globals) graphFromFile(args []string) bool {
	if len(args) > 0 || len(g.files) > 0 {
		return true
	}
	if g.project != "" || g.env.project != "" {
		return false
	}
	_, err := compose.Find(g.env.workDir)
	return err == nil
}

// liveRows are ps's rows of the file's project, nil when it does not run
// or the engine cannot say (a warning then: the file's graph is still
// worth drawing).
func (g *globals) liveRows(ctx context.Context, project string) []engine.ContainerStatus {
	s, err := g.open(ctx, project, "")
	if err == nil {
		defer s.close()
		var rows []engine.ContainerStatus
		if rows, err = s.PS(ctx, s.Project); err == nil {
			if len(rows) == 0 {
				return nil
			}
			return rows
		}
	}
	fmt.Fprintf(g.stderr, "warning: drawing the file alone: no live state of project %s: %v\n", project, err)
	return nil
}

// topologyRecorder is a backend that can read back the topology a
// project was brought up with (docker can; swarm draws from ps alone).
type topologyRecorder interface {
	Topology(ctx context.Context, project string) (*topology.Topology, error)
}

// runningGraph is the graph of a running project without its file: the
// recorded topology and ps's rows.
func (g *globals) runningGraph(ctx context.Context) (*topology.Topology, []engine.ContainerStatus, error) {
	s, err := g.open(ctx, "", "")
	if err != nil {
		return nil, nil, err
	}
	defer s.close()
	t, rows, err := runningTopology(ctx, s, "give the project's FILE")
	if err != nil {
		return nil, nil, err
	}
	if rows == nil {
		rows = []engine.ContainerStatus{}
	}
	return t, rows, nil
}

// runningTopology is the topology a running project was brought up with
// (its name alone where the backend records none: the graph then comes
// from ps) and ps's rows; a project with neither is an error ending in
// hint.
func runningTopology(ctx context.Context, s *session, hint string) (*topology.Topology, []engine.ContainerStatus, error) {
	rows, err := s.PS(ctx, s.Project)
	if err != nil {
		return nil, nil, err
	}
	t := &topology.Topology{Name: s.Project}
	if r, ok := s.Backend.(topologyRecorder); ok {
		if t, err = r.Topology(ctx, s.Project); err != nil {
			return nil, nil, fmt.Errorf("reading the topology project %s was brought up with: %w", s.Project, err)
		}
	}
	if len(rows) == 0 && len(t.Services) == 0 {
		return nil, nil, fmt.Errorf("project %s has nothing on the engine: `chainctl ls` lists the projects, or %s", s.Project, hint)
	}
	return t, rows, nil
}
