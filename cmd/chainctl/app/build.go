// The build verb: build the images of a topology's services that have a build, through the engine.

package app

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

// builder is a backend that builds images (the docker backend).
type builder interface {
	Build(ctx context.Context, t *topology.Topology, services []string) error
}

func newBuildCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "build [SERVICE...]",
		Short: "Build (or rebuild) the images of the services that have a build",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(cmd.Context(), g, args)
		},
	}
}

func runBuild(ctx context.Context, g *globals, services []string) error {
	t, err := g.loadFile(ctx, nil)
	if err != nil {
		return err
	}
	s, err := g.open(ctx, t.Name, engine.KindDocker)
	if err != nil {
		return err
	}
	defer s.close()
	b, ok := s.Backend.(builder)
	if !ok {
		return errors.New("build: this backend builds no images; build on a docker engine")
	}
	return b.Build(ctx, t, services)
}
