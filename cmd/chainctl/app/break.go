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

	// network faults
	delay, jitter   time.Duration
	loss, rate      string
	from, direction string
}

func newBreakCmd(g *globals) *cobra.Command {
	var f breakFlags
	cmd := &cobra.Command{
		Use:               "break SERVICE[/N]...",
		Short:             "Inject a failure into services (" + strings.Join(backend.ModeNames(), ", ") + ")",
		Long:              breakHelp(),
		Args:              usageArgs(cobra.MinimumNArgs(1)),
		ValidArgsFunction: g.completeServices(0),
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
	fl.DurationVar(&f.delay, "delay", 0, "network: answer each request this much later (e.g. 200ms)")
	fl.DurationVar(&f.jitter, "jitter", 0, "network: vary --delay by up to this much either way")
	fl.StringVar(&f.loss, "loss", "", "network: share of packets to drop (e.g. 30%)")
	fl.StringVar(&f.rate, "rate", "", "network: throttle to this rate (e.g. 1mbit, 100kbit, 512kbps)")
	fl.StringVar(&f.from, "from", "", "network: only traffic with these services (comma-separated; default: every peer)")
	fl.StringVar(&f.direction, "direction", "", "network: in, out or both (default: both for loss, blackhole and reset; in for delay; out for rate)")
	_ = cmd.RegisterFlagCompletionFunc("mode", g.completeModes)
	_ = cmd.RegisterFlagCompletionFunc("from", g.completeServiceList)
	_ = cmd.RegisterFlagCompletionFunc("direction", cobra.FixedCompletions([]string{"in", "out", "both"}, cobra.ShellCompDirectiveNoFileComp))
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
	opts, err := f.options(cmd.Flags().Changed("mode"))
	if err != nil {
		return errUsage{err}
	}
	ctx := cmd.Context()
	s, err := g.open(ctx, "", "")
	if err != nil {
		return err
	}
	defer s.close()
	res, err := s.Break(ctx, s.Project, targets, opts)
	if res != nil {
		printBreak(g, opts, res)
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

// options maps the flags to a break: a network mode when --mode names one
// or, without --mode, when a network flag is given.
func (f breakFlags) options(modeSet bool) (engine.BreakOptions, error) {
	if !slices.Contains(backend.ModeNames(), f.mode) {
		return engine.BreakOptions{}, fmt.Errorf("--mode %q: want one of %s", f.mode, strings.Join(backend.ModeNames(), ", "))
	}
	if f.dur < 0 {
		return engine.BreakOptions{}, fmt.Errorf("--for %s: want a positive duration", f.dur)
	}
	bs := engine.BreakSpec{Mode: f.mode, ModeSet: modeSet, Signal: f.signal, Delay: f.delay, Jitter: f.jitter,
		Loss: f.loss, Rate: f.rate, Direction: f.direction}
	if f.from != "" {
		bs.From = strings.Split(f.from, ",")
	}
	return bs.Options()
}

func printBreak(g *globals, opts engine.BreakOptions, res *engine.BreakResult) {
	for _, b := range res.AlreadyBroken {
		fmt.Fprintf(g.stderr, "%s is already broken; left as it is (heal it first)\n", b)
	}
	for _, r := range res.Replaced {
		fmt.Fprintf(g.stderr, "replaced the network fault on %s\n", r)
	}
	if len(res.Broken) == 0 {
		return
	}
	what := opts.Mode
	if opts.Net != nil {
		what = opts.Net.String()
		if len(opts.From) > 0 {
			what += " from " + strings.Join(opts.From, ",")
		}
	}
	fmt.Fprintf(g.stdout, "broke %s (%s)\n", strings.Join(res.Broken, ", "), what)
	for _, m := range res.Mechanisms {
		fmt.Fprintf(g.stderr, "mechanism %s\n", m)
	}
	if len(res.Affected) > 0 {
		fmt.Fprintf(g.stdout, "affected callers: %s\n", strings.Join(res.Affected, ", "))
	} else {
		fmt.Fprintln(g.stdout, "affected callers: none")
	}
}
