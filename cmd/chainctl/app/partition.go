// The partition verb: split the project into groups that cannot reach each other.

package app

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

type partitionFlags struct {
	oneWay bool
}

func newPartitionCmd(g *globals) *cobra.Command {
	var f partitionFlags
	cmd := &cobra.Command{
		Use:   "partition GROUP [GROUP...]",
		Short: "Split the project into groups that cannot reach each other (heal --partition joins them)",
		Long: `Split the project into groups of services, each GROUP a comma-separated list
(a,b): the groups cannot reach each other; the services no group names form
one more group. With --one-way a group cannot open connections to the groups
after it, while they can still open connections to it.

  chainctl partition a,b c,d     {a,b} | {c,d}
  chainctl partition c           {c} | {everyone else}
  chainctl partition a b --one-way   a cannot reach b, b still reaches a

A helper in each container's network namespace holds its side of the cut;
a new partition replaces the last one. heal (everything) or heal --partition
joins the groups again.`,
		Args:              usageArgs(cobra.MinimumNArgs(1)),
		ValidArgsFunction: g.completeGroups,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPartition(cmd, g, f, args)
		},
	}
	cmd.Flags().BoolVar(&f.oneWay, "one-way", false, "cut one direction only: each group cannot open connections to the groups after it")
	return cmd
}

func runPartition(cmd *cobra.Command, g *globals, f partitionFlags, args []string) error {
	groups := make([][]string, len(args))
	for i, a := range args {
		groups[i] = strings.Split(a, ",")
	}
	ctx := cmd.Context()
	s, err := g.open(ctx, "", "")
	if err != nil {
		return err
	}
	defer s.close()
	res, err := s.Partition(ctx, s.Project, groups, f.oneWay)
	if res == nil {
		return err
	}
	for _, r := range res.Replaced {
		fmt.Fprintf(g.stderr, "replaced %s\n", r)
	}
	parts := make([]string, len(res.Groups))
	for i, grp := range res.Groups {
		parts[i] = "{" + strings.Join(grp, ",") + "}"
	}
	sep := "|"
	if f.oneWay {
		sep = " ↛ "
	}
	fmt.Fprintf(g.stdout, "partitioned %s: %s\n", s.Project, strings.Join(parts, sep))
	fmt.Fprintf(g.stdout, "cut at %s\n", strings.Join(res.Cut, ", "))
	return err
}
