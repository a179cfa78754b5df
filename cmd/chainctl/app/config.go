// The config verb: validate a topology and print its normalized form.

package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

type configFlags struct {
	json bool
}

func newConfigCmd(g *globals) *cobra.Command {
	var f configFlags
	cmd := &cobra.Command{
		Use:               "config [FILE]",
		Short:             "Validate a topology and print its normalized form",
		Args:              usageArgs(cobra.MaximumNArgs(1)),
		ValidArgsFunction: completeFileArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConfig(cmd.Context(), g, f, args)
		},
	}
	cmd.Flags().BoolVar(&f.json, "json", false, "print JSON instead of YAML")
	return cmd
}

func runConfig(ctx context.Context, g *globals, f configFlags, args []string) error {
	t, err := g.loadFile(ctx, args)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	if f.json {
		_, err = fmt.Fprintf(g.stdout, "%s\n", b)
		return err
	}
	// The JSON form is the normalized one; YAML is rendered from it so both
	// always agree.
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	enc := yaml.NewEncoder(g.stdout)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return enc.Close()
}
