// The version verb.

package app

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/version"
)

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print chainctl's version",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(g.stdout, "chainctl %s\n", version.String())
			return err
		},
	}
}
