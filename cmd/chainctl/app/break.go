// The break verb: inject a fault into services, optionally healing after --for.

package app

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/backend"
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
		Short: "Inject a failure into services (" + strings.Join(backend.ModeNames(), ", ") + ")",
		Long:  breakHelp(),
		Args:  usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBreak(cmd, g, f, args)
		},
	}
	fl := cmd.Flags()
	var kinds []string
	for _, k := range engine.Kinds {
		kinds = append(kinds, k+": "+strings.Join(engine.ModeNames(backend.Modes(k)), ", "))
	}
	fl.StringVarP(&f.mode, "mode", "m", engine.ModeKill, "failure to inject; "+strings.Join(kinds, "; "))
	fl.StringVarP(&f.signal, "signal", "s", "", "signal for --mode kill (default SIGKILL)")
	fl.DurationVar(&f.dur, "for", 0, "heal automatically after this long (Ctrl-C heals at once)")
	_ = cmd.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions(backend.ModeNames(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// breakHelp lists every backend's modes, from the backends' own lists.
func breakHelp() string {
	var b strings.Builder
	b.WriteString("Inject a failure into every replica of SERVICE, or only replica N with SERVICE/N.\n")
	titles := map[string]string{
		engine.KindDocker: "Modes (all through the Engine API)",
		engine.KindSwarm:  "On a swarm (a project brought up with --engine swarm)",
	}
	for _, k := range engine.Kinds {
		fmt.Fprintf(&b, "\n%s:\n", titles[k])
		for _, m := range backend.Modes(k) {
			fmt.Fprintf(&b, "  %-11s %s\n", m.Name, m.Help)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func runBreak(cmd *cobra.Command, g *globals, f breakFlags, args []string) error {
	targets, err := engine.ParseTargets(args)
	if err != nil {
		return errUsage{err}
	}
	if !slices.Contains(backend.ModeNames(), f.mode) {
		return errUsage{fmt.Errorf("--mode %q: want one of %s", f.mode, strings.Join(backend.ModeNames(), ", "))}
	}
	if f.dur < 0 {
		return errUsage{fmt.Errorf("--for %s: want a positive duration", f.dur)}
	}
	ctx := cmd.Context()
	s, err := g.open(ctx, "", "")
	if err != nil {
		return err
	}
	defer s.close()
	res, err := s.Break(ctx, s.Project, targets, engine.BreakOptions{Mode: f.mode, Signal: f.signal})
	if res != nil {
		printBreak(g, f.mode, res)
	}
	if err != nil || f.dur <= 0 || len(res.Broken) == 0 {
		return err
	}
	fmt.Fprintf(g.stderr, "healing in %s (Ctrl-C heals now)\n", f.dur)
	healed, err := engine.HealAfter(ctx, s, s.Project, args, f.dur)
	if healed != nil {
		printHeal(g, healed)
	}
	return err
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
