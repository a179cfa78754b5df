// The ps verb: the project's containers (tasks on a swarm) with state, health, ports and fault.

package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/engine"
)

type psFlags struct {
	json bool
}

func newPSCmd(g *globals) *cobra.Command {
	var f psFlags
	cmd := &cobra.Command{
		Use:   "ps",
		Short: "List the project's containers with their state, health, ports and fault",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPS(cmd, g, f)
		},
	}
	cmd.Flags().BoolVar(&f.json, "json", false, "print a JSON array")
	return cmd
}

func runPS(cmd *cobra.Command, g *globals, f psFlags) error {
	ctx := cmd.Context()
	s, err := g.open(ctx, "", "")
	if err != nil {
		return err
	}
	defer s.close()
	rows, err := s.PS(ctx, s.Project)
	if err != nil {
		return err
	}
	if f.json {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		if rows == nil {
			return enc.Encode([]any{})
		}
		return enc.Encode(rows)
	}
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	if s.Kind() == engine.KindSwarm {
		fmt.Fprintln(w, "SERVICE\tTASK\tNODE\tSTATE\tHEALTH\tPORTS\tFAULT\tERROR")
		for _, r := range rows {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Service, r.Container, dash(r.Node), r.State, r.Health, dash(strings.Join(r.Ports, ", ")), r.Fault, dash(r.Error))
		}
		return w.Flush()
	}
	fmt.Fprintln(w, "SERVICE\tCONTAINER\tSTATE\tHEALTH\tPORTS\tFAULT")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Service, r.Container, r.State, r.Health, dash(strings.Join(r.Ports, ", ")), r.Fault)
	}
	return w.Flush()
}
