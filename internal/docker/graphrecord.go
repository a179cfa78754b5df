// The project's topology as the engine holds it, for verbs that draw or show a project without its file (graph, dashboard).

package docker

import (
	"context"

	"github.com/chainctl/chainctl/internal/topology"
)

// Topology is the project's recorded topology, updated with the service
// specs its containers carry (what break, heal and down work from): the
// calls, depends_on, replicas, ports and networks as they were brought up.
// A project with no record and no containers gives a topology without
// services.
func (b *Backend) Topology(ctx context.Context, project string) (*topology.Topology, error) {
	_, t, err := b.snapshot(ctx, project)
	return t, err
}
