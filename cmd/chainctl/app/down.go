// The down verb: remove everything the project made, found by its labels.

package app

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/engine"
)

type downFlags struct {
	timeout     time.Duration
	keepVolumes bool
	rmi         string
}

func newDownCmd(g *globals) *cobra.Command {
	var f downFlags
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Remove the project's containers, network and volumes (found by label, no file needed)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDown(cmd, g, f)
		},
	}
	cmd.Flags().DurationVarP(&f.timeout, "timeout", "t", -1, "grace period before killing, overriding each service's stop_grace_period")
	cmd.Flags().BoolVar(&f.keepVolumes, "keep-volumes", false, "keep the project's named volumes")
	cmd.Flags().StringVar(&f.rmi, "rmi", "", "local: also remove the images chainctl built for the project")
	_ = cmd.RegisterFlagCompletionFunc("rmi", cobra.FixedCompletions([]string{"local"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runDown(cmd *cobra.Command, g *globals, f downFlags) error {
	if f.rmi != "" && f.rmi != "local" {
		return errUsage{fmt.Errorf("--rmi %q: want local (the images chainctl built; it removes no image it did not build)", f.rmi)}
	}
	ctx := cmd.Context()
	s, err := g.open(ctx, "", "")
	if err != nil {
		return err
	}
	defer s.close()
	opts := engine.DownOptions{KeepVolumes: f.keepVolumes, RemoveImages: f.rmi == "local"}
	if f.timeout >= 0 {
		opts.Timeout = &f.timeout
	}
	res, err := s.Down(ctx, s.Project, opts)
	if res != nil {
		what := fmt.Sprintf("%d containers", len(res.Containers))
		if s.Kind() == engine.KindSwarm {
			what = fmt.Sprintf("%d services", len(res.Services))
		}
		images := ""
		if f.rmi != "" {
			images = fmt.Sprintf(", %d images", len(res.Images))
		}
		fmt.Fprintf(g.stdout, "project %s: removed %s, %d networks, %d volumes%s\n",
			s.Project, what, len(res.Networks), len(res.Volumes), images)
	}
	return err
}
