// The heal verb: undo the faults services show and wait until healthy.

package app

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/engine"
)

type healFlags struct {
	noWait      bool
	waitTimeout time.Duration
	partition   bool
}

func newHealCmd(g *globals) *cobra.Command {
	var f healFlags
	cmd := &cobra.Command{
		Use:               "heal [SERVICE[/N]...]",
		Short:             "Undo whatever fault the services show and wait until healthy (no argument: the whole project)",
		ValidArgsFunction: g.completeServices(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHeal(cmd, g, f, args)
		},
	}
	cmd.Flags().BoolVar(&f.noWait, "no-wait", false, "do not wait for health")
	cmd.Flags().DurationVar(&f.waitTimeout, "wait-timeout", engine.DefaultWaitTimeout, "how long to wait for health")
	cmd.Flags().BoolVar(&f.partition, "partition", false, "join the groups of a partition again, and heal nothing else")
	return cmd
}

func runHeal(cmd *cobra.Command, g *globals, f healFlags, services []string) error {
	if f.partition && len(services) > 0 {
		return errUsage{fmt.Errorf("heal --partition takes no service: a partition is the whole project's")}
	}
	ctx := cmd.Context()
	s, err := g.open(ctx, "", "")
	if err != nil {
		return err
	}
	defer s.close()
	res, err := s.Heal(ctx, s.Project, services, engine.HealOptions{NoWait: f.noWait, WaitTimeout: f.waitTimeout, Partition: f.partition})
	if res != nil {
		printHeal(g, res)
	}
	return err
}

func printHeal(g *globals, res *engine.HealResult) {
	if len(res.Healed) == 0 {
		fmt.Fprintln(g.stdout, "nothing to heal: every container is healthy")
		return
	}
	fmt.Fprintf(g.stdout, "healed %s\n", strings.Join(res.Healed, ", "))
}
