// The ls verb: the chainctl projects on the engine.

package app

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/chainctl/chainctl/internal/backend"
	"github.com/spf13/cobra"
)

type lsFlags struct {
	json bool
}

func newLsCmd(g *globals) *cobra.Command {
	var f lsFlags
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the chainctl projects on the engine",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLs(cmd, g, f)
		},
	}
	cmd.Flags().BoolVar(&f.json, "json", false, "print a JSON array")
	return cmd
}

func runLs(cmd *cobra.Command, g *globals, f lsFlags) error {
	ctx := cmd.Context()
	rep, err := g.reporter()
	if err != nil {
		return errUsage{err}
	}
	defer rep.Close()
	ps, err := backend.Projects(ctx, g.options("", "", rep))
	if err != nil {
		return err
	}
	if f.json {
		return json.NewEncoder(g.stdout).Encode(ps)
	}
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PROJECT\tENGINE\tSERVICES\tCONTAINERS\tSTATE")
	for _, p := range ps {
		fmt.Fprintf(w, "%s\t%s\t%d\t%d/%d running\t%s\n", p.Name, p.Engine, p.Services, p.Running, p.Containers, p.State)
	}
	return w.Flush()
}
