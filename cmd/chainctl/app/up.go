// The up verb: bring a topology up on docker or swarm and print what runs.

package app

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/engine"
)

type upFlags struct {
	noWait        bool
	waitTimeout   time.Duration
	removeOrphans bool
	keepOnFailure bool
	dryRun        bool
	build         bool
	pull          string
	policy        engine.Policy
	engine        string
	endpointMode  string
	publishMode   string
}

func newUpCmd(g *globals) *cobra.Command {
	var f upFlags
	cmd := &cobra.Command{
		Use:               "up [FILE]",
		Short:             "Create and start a topology's network, volumes and services, and wait until healthy",
		Args:              usageArgs(cobra.MaximumNArgs(1)),
		ValidArgsFunction: completeFileArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUp(cmd, g, f, args)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.noWait, "no-wait", false, "return once started, without waiting for health")
	fl.DurationVar(&f.waitTimeout, "wait-timeout", engine.DefaultWaitTimeout, "how long to wait for every service to be running and healthy")
	fl.BoolVar(&f.removeOrphans, "remove-orphans", false, "remove containers of services the file no longer has")
	fl.BoolVar(&f.keepOnFailure, "keep-on-failure", false, "keep what was created when up fails (for debugging)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the plan (create, recreate with the fields that changed, keep, remove) and change nothing")
	fl.BoolVar(&f.build, "build", false, "build every service that has a build, even when its image is there")
	fl.StringVar(&f.pull, "pull", "", "pull images: always, missing or never (default: each service's pull_policy, else missing)")
	_ = cmd.RegisterFlagCompletionFunc("pull", cobra.FixedCompletions([]string{engine.PullAlways, engine.PullMissing, engine.PullNever}, cobra.ShellCompDirectiveNoFileComp))
	fl.BoolVar(&f.policy.AllowPrivileged, "allow-privileged", false, "allow services that ask for privileged, cap_add ALL or SYS_ADMIN")
	fl.BoolVar(&f.policy.AllowHostAccess, "allow-host-access", false, "allow bind mounts of the host's /, the Docker socket or a directory holding it, and /etc, /proc, /sys, /dev, /boot, /root; and network_mode, ipc, pid or userns_mode host")
	fl.StringVar(&f.engine, "engine", "", "where to run: docker (containers on this engine) or swarm (services on the swarm this engine manages); default: where the project runs, else docker")
	fl.StringVar(&f.endpointMode, "endpoint-mode", "", "swarm: vip or dnsrr for every service (dnsrr where the kernel has no IPVS)")
	fl.StringVar(&f.publishMode, "publish-mode", "", "swarm: ingress or host for every published port (host where the kernel has no IPVS)")
	_ = cmd.RegisterFlagCompletionFunc("engine", cobra.FixedCompletions(engine.Kinds, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("endpoint-mode", cobra.FixedCompletions([]string{"vip", "dnsrr"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("publish-mode", cobra.FixedCompletions([]string{"ingress", "host"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runUp(cmd *cobra.Command, g *globals, f upFlags, args []string) error {
	t, err := g.loadFile(cmd.Context(), args)
	if err != nil {
		return err
	}
	if err := checkSwarmFlags(f); err != nil {
		return err
	}
	switch f.pull {
	case "", engine.PullAlways, engine.PullMissing, engine.PullNever:
	default:
		return errUsage{fmt.Errorf("--pull %q: want always, missing or never", f.pull)}
	}
	ctx := cmd.Context()
	b, err := g.open(ctx, t.Name, f.engine)
	if err != nil {
		return err
	}
	defer b.close()
	res, err := b.Up(ctx, t, engine.UpOptions{
		NoWait: f.noWait, WaitTimeout: f.waitTimeout, RemoveOrphans: f.removeOrphans, KeepOnFailure: f.keepOnFailure, DryRun: f.dryRun,
		Build: f.build, Pull: f.pull,
		Policy: f.policy, EndpointMode: f.endpointMode, PublishMode: f.publishMode,
	})
	if res != nil {
		for _, w := range res.Warnings {
			fmt.Fprintf(g.stderr, "warning: %s\n", w)
		}
	}
	if res != nil && len(res.Orphans) > 0 && !f.removeOrphans {
		fmt.Fprintf(g.stderr, "warning: project %s has containers of services not in %s: %s (remove them with --remove-orphans)\n",
			t.Name, t.File, strings.Join(res.Orphans, ", "))
	}
	if err != nil {
		return err
	}
	if f.dryRun {
		return printPlan(g, res.Plan)
	}
	rows, err := b.PS(ctx, t.Name)
	if err != nil {
		return err
	}
	return printUpSummary(g, rows, b.Kind() == engine.KindSwarm)
}

func checkSwarmFlags(f upFlags) error {
	switch {
	case f.endpointMode != "" && f.endpointMode != "vip" && f.endpointMode != "dnsrr":
		return errUsage{fmt.Errorf("--endpoint-mode %q: want vip or dnsrr", f.endpointMode)}
	case f.publishMode != "" && f.publishMode != "ingress" && f.publishMode != "host":
		return errUsage{fmt.Errorf("--publish-mode %q: want ingress or host", f.publishMode)}
	case (f.endpointMode != "" || f.publishMode != "") && f.engine != engine.KindSwarm:
		return errUsage{fmt.Errorf("--endpoint-mode and --publish-mode apply to --engine swarm only")}
	}
	return nil
}

// printUpSummary shows each service, its containers (tasks on a swarm),
// state, health and the endpoints to try.
func printUpSummary(g *globals, rows []engine.ContainerStatus, swarm bool) error {
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	if swarm {
		fmt.Fprintln(w, "SERVICE\tTASK\tNODE\tSTATE\tHEALTH\tENDPOINTS")
		for _, r := range rows {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Service, r.Container, dash(r.Node), r.State, r.Health, dash(strings.Join(r.Endpoints, " ")))
		}
		return w.Flush()
	}
	fmt.Fprintln(w, "SERVICE\tCONTAINER\tSTATE\tHEALTH\tENDPOINTS")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.Service, r.Container, r.State, r.Health, dash(strings.Join(r.Endpoints, " ")))
	}
	return w.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printPlan shows what up would do.
func printPlan(g *globals, plan []engine.PlanStep) error {
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ACTION\tKIND\tRESOURCE\tDETAIL")
	for _, p := range plan {
		detail := p.Detail
		if len(p.Changed) > 0 {
			detail = "changed: " + strings.Join(p.Changed, ", ")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", p.Action, p.Kind, p.Resource, dash(detail))
	}
	return w.Flush()
}
