// The events verb: the project's engine events and chainctl's own breaks and heals, as they happen.

package app

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/engine"
)

type eventsFlags struct {
	json         bool
	since, until string
}

func newEventsCmd(g *globals) *cobra.Command {
	var f eventsFlags
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Show the project's events as they happen: its containers, networks and volumes, and chainctl's breaks and heals",
		Long: "Show the project's events as they happen, until Ctrl-C: the engine's events of the project's containers,\n" +
			"networks and volumes (found by its label; no other project's), and every break and heal chainctl made.\n" +
			"--since replays past ones first: the engine keeps only its last events, chainctl's own are kept until down.",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEvents(cmd, g, f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.json, "json", false, "one JSON object per line")
	fl.StringVar(&f.since, "since", "", "replay the events since a timestamp or a duration back (e.g. 10m)")
	fl.StringVar(&f.until, "until", "", "stop at a timestamp or a duration back; without it, follow until Ctrl-C")
	return cmd
}

func runEvents(cmd *cobra.Command, g *globals, f eventsFlags) error {
	opts := engine.EventsOptions{Since: f.since, Until: f.until}
	if _, _, err := engine.EventWindow(opts, time.Now()); err != nil {
		return errUsage{err}
	}
	ctx := cmd.Context()
	s, err := g.open(ctx, "", "")
	if err != nil {
		return err
	}
	defer s.close()
	obs, err := s.observer("events")
	if err != nil {
		return err
	}
	enc := json.NewEncoder(g.stdout)
	err = obs.Events(ctx, s.Project, opts, func(e engine.Event) error {
		if f.json {
			return enc.Encode(e)
		}
		_, err := fmt.Fprintln(g.stdout, e.Line())
		return err
	})
	if ctx.Err() != nil {
		return nil // Ctrl-C is how one stops following
	}
	return err
}

// observer is the session's backend as an engine.Observer, for the verb
// that needs its events or stats.
func (s *session) observer(verb string) (engine.Observer, error) {
	obs, ok := s.Backend.(engine.Observer)
	if !ok {
		return nil, fmt.Errorf("%s: not on the %s backend yet (project %s runs there)", verb, s.Kind(), s.Project)
	}
	return obs, nil
}
