// The logs verb: the project's logs, prefixed with service-n.

package app

import (
	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/progress"
)

type logsFlags struct {
	follow  bool
	tail    string
	since   string
	noColor bool
}

func newLogsCmd(g *globals) *cobra.Command {
	var f logsFlags
	cmd := &cobra.Command{
		Use:               "logs [SERVICE...]",
		Short:             "Show the logs of the project's containers, prefixed with service-n",
		ValidArgsFunction: g.completeServices(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogs(cmd, g, f, args)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.follow, "follow", "f", false, "follow the logs")
	fl.StringVar(&f.tail, "tail", "all", "number of lines from the end of each container's log")
	fl.StringVar(&f.since, "since", "", "only logs since a timestamp or a duration (e.g. 10m)")
	fl.BoolVar(&f.noColor, "no-color", false, "no colored prefixes")
	return cmd
}

func runLogs(cmd *cobra.Command, g *globals, f logsFlags, services []string) error {
	ctx := cmd.Context()
	s, err := g.open(ctx, "", "")
	if err != nil {
		return err
	}
	defer s.close()
	color := !f.noColor && progress.IsTerminal(g.stdout)
	err = s.Logs(ctx, s.Project, engine.LogsOptions{Services: services, Follow: f.follow, Tail: f.tail, Since: f.since, Color: color}, g.stdout)
	if f.follow && ctx.Err() != nil {
		return nil // Ctrl-C is how one stops following
	}
	return err
}
