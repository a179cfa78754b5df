package app

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/engine"
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
		Use:   "logs [SERVICE...]",
		Short: "Show the logs of the project's containers, prefixed with service-n",
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
	e, project, done, err := g.openProject(ctx)
	if err != nil {
		return err
	}
	defer done()
	color := !f.noColor && isTerminal(g.stdout)
	err = e.Logs(ctx, project, engine.LogsOptions{Services: services, Follow: f.follow, Tail: f.tail, Since: f.since, Color: color}, g.stdout)
	if f.follow && ctx.Err() != nil {
		return nil // Ctrl-C is how one stops following
	}
	return err
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
