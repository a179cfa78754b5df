package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/engine"
)

type breakFlags struct {
	mode   string
	signal string
	dur    time.Duration
}

func newBreakCmd(g *globals) *cobra.Command {
	var f breakFlags
	cmd := &cobra.Command{
		Use:   "break SERVICE[/N]...",
		Short: "Inject a failure into services (kill, stop, pause, disconnect, remove, restart, scale-zero)",
		Long: `Inject a failure into every replica of SERVICE, or only replica N with SERVICE/N.

Modes (all through the Engine API):
  kill        SIGKILL, an abrupt crash (--signal for another signal)
  stop        graceful stop with the service's grace period
  pause       freeze the processes: callers hang until their timeout
  disconnect  cut the container off the project network (a partition)
  remove      delete the container, as kubectl delete deployment does
  restart     a crash and a come-back

On a swarm (a project brought up with --engine swarm):
  kill        SIGKILL one task's container: the swarm starts a new task
  scale-zero  set the service's replicas to 0
  remove      remove the service
  pause, disconnect  as above, on tasks that run on this engine's node
(stop and restart are docker-only: the swarm would restart the task.)`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBreak(cmd, g, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.mode, "mode", "m", engine.ModeKill, "failure to inject; docker: kill, stop, pause, disconnect, remove, restart; swarm: kill, scale-zero, remove, pause, disconnect")
	fl.StringVarP(&f.signal, "signal", "s", "", "signal for --mode kill (default SIGKILL)")
	fl.DurationVar(&f.dur, "for", 0, "heal automatically after this long (Ctrl-C heals at once)")
	return cmd
}

func runBreak(cmd *cobra.Command, g *globals, f breakFlags, args []string) error {
	targets := make([]engine.Target, len(args))
	for i, a := range args {
		t, err := engine.ParseTarget(a)
		if err != nil {
			return errUsage{err}
		}
		targets[i] = t
	}
	ctx := cmd.Context()
	e, project, done, err := g.openProject(ctx)
	if err != nil {
		return err
	}
	defer done()
	res, err := e.Break(ctx, project, targets, engine.BreakOptions{Mode: f.mode, Signal: f.signal})
	if res != nil {
		printBreak(g, f.mode, res)
	}
	if err != nil || f.dur <= 0 || len(res.Broken) == 0 {
		return err
	}
	return healAfter(ctx, g, e, project, args, f.dur)
}

func printBreak(g *globals, mode string, res *engine.BreakResult) {
	for _, b := range res.AlreadyBroken {
		fmt.Fprintf(g.stderr, "%s is already broken; left as it is (heal it first)\n", b)
	}
	if len(res.Broken) == 0 {
		return
	}
	fmt.Fprintf(g.stdout, "broke %s (%s)\n", strings.Join(res.Broken, ", "), mode)
	if len(res.Affected) > 0 {
		fmt.Fprintf(g.stdout, "affected callers: %s\n", strings.Join(res.Affected, ", "))
	} else {
		fmt.Fprintln(g.stdout, "affected callers: none")
	}
}

// healAfter waits d, or until Ctrl-C, then heals. After Ctrl-C it heals on
// a fresh context and still reports the interruption (exit 130).
func healAfter(ctx context.Context, g *globals, e engine.Backend, project string, services []string, d time.Duration) error {
	fmt.Fprintf(g.stderr, "healing in %s (Ctrl-C heals now)\n", d)
	timer := time.NewTimer(d)
	defer timer.Stop()
	healCtx := ctx
	select {
	case <-timer.C:
	case <-ctx.Done():
		var cancel context.CancelFunc
		healCtx, cancel = context.WithTimeout(context.WithoutCancel(ctx), engine.DefaultWaitTimeout)
		defer cancel()
	}
	res, err := e.Heal(healCtx, project, services, engine.HealOptions{})
	if res != nil {
		printHeal(g, res)
	}
	if err != nil {
		return err
	}
	return ctx.Err()
}
