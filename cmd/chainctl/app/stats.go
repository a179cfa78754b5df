// The stats verb: CPU, memory, network and block I/O of each container of the project, refreshed every second.

package app

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/progress"
)

type statsFlags struct {
	json     bool
	noStream bool
}

func newStatsCmd(g *globals) *cobra.Command {
	var f statsFlags
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show CPU %, memory, network and block I/O of each container of the project, every second",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStats(cmd, g, f)
		},
	}
	cmd.Flags().BoolVar(&f.json, "json", false, "one JSON object per container and sample")
	cmd.Flags().BoolVar(&f.noStream, "no-stream", false, "one sample, then exit")
	return cmd
}

func runStats(cmd *cobra.Command, g *globals, f statsFlags) error {
	ctx := cmd.Context()
	s, err := g.open(ctx, "", "")
	if err != nil {
		return err
	}
	defer s.close()
	obs, err := s.observer("stats")
	if err != nil {
		return err
	}
	// On a terminal each sample redraws the screen; piped, samples follow
	// each other, a blank line apart.
	redraw := !f.json && !f.noStream && progress.IsTerminal(g.stdout)
	enc := json.NewEncoder(g.stdout)
	first := true
	err = obs.Stats(ctx, s.Project, engine.StatsOptions{NoStream: f.noStream}, func(smp engine.StatsSample) error {
		defer func() { first = false }()
		if f.json {
			for _, r := range smp.Rows {
				if err := enc.Encode(r); err != nil {
					return err
				}
			}
			return nil
		}
		switch {
		case redraw:
			fmt.Fprint(g.stdout, "\033[2J\033[H")
		case !first:
			fmt.Fprintln(g.stdout)
		}
		return engine.WriteStatsTable(g.stdout, smp.Rows)
	})
	if ctx.Err() != nil {
		return nil // Ctrl-C is how one stops watching
	}
	return err
}
