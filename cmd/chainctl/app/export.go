// The export verb: a topology as Kubernetes manifests or a compose file.

package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/export"
)

type exportFlags struct {
	format string
	output string
}

func newExportCmd(g *globals) *cobra.Command {
	var f exportFlags
	cmd := &cobra.Command{
		Use:   "export [FILE]",
		Short: "Write a topology as Kubernetes manifests or a docker-compose file",
		Long: `Write a topology as Kubernetes manifests (Deployments, Services, a NodePort
Service per service that publishes ports, PersistentVolumeClaims) or as a
docker-compose file (format 2.4). Nothing is sent to the engine.`,
		Args:              usageArgs(cobra.MaximumNArgs(1)),
		ValidArgsFunction: completeFileArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExport(cmd.Context(), g, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "", "output format: "+strings.Join(export.Formats, " or ")+" (required)")
	fl.StringVarP(&f.output, "output", "o", "", "write to this file instead of stdout")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(export.Formats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runExport(ctx context.Context, g *globals, f exportFlags, args []string) error {
	// Checked here rather than with MarkFlagRequired so that a missing or
	// wrong format is a usage error (exit 2) like every other.
	if !slices.Contains(export.Formats, f.format) {
		if f.format == "" {
			return errUsage{errors.New("--format is required: " + strings.Join(export.Formats, " or "))}
		}
		return errUsage{fmt.Errorf("--format %q: want %s", f.format, strings.Join(export.Formats, " or "))}
	}
	t, err := g.loadFile(ctx, args)
	if err != nil {
		return err
	}
	out, err := export.Render(f.format, t)
	if err != nil {
		return fmt.Errorf("export %s as %s:\n%w", t.Name, f.format, err)
	}
	if f.output == "" {
		_, err = g.stdout.Write(out)
		return err
	}
	// Written only once rendered: a failed export leaves no half file.
	if err := os.WriteFile(f.output, out, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", f.output, err)
	}
	return nil
}
