// Partitions on plain docker: every running replica of each group gets a helper that cuts it off from the other groups.

package docker

import (
	"context"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/netfault"
)

// Partition splits the project into groups that cannot reach each other
// (the services no group names form one more group). With oneWay a group
// cannot open connections to the groups after it, while they can still
// open connections to it. A partition replaces the one before.
func (b *Backend) Partition(ctx context.Context, project string, named [][]string, oneWay bool) (*engine.PartitionResult, error) {
	s, done, err := engine.Begin(ctx, b.c, project, b.chaosState)
	if err != nil {
		return nil, err
	}
	defer done()
	groups, err := engine.PartitionGroups(s.t, project, named)
	if err != nil {
		return nil, err
	}
	helpers, err := netfault.Helpers(ctx, b.api, project)
	if err != nil {
		return nil, err
	}
	var cuts []netfault.Cut
	for i, block := range netfault.Blocks(groups, oneWay, s.addrs) {
		if len(block) == 0 {
			continue
		}
		for _, svc := range groups[i] {
			if s.t.Services[svc].NetworkMode != "" {
				// none: nothing to cut; host: not ours to touch; service:x:
				// its traffic is x's, cut with x's group.
				continue
			}
			reps, _ := s.selectReplicas([]engine.Target{{Service: svc}})
			for _, r := range reps {
				if r.c != nil && s.fault(r) == engine.FaultNone {
					cuts = append(cuts, netfault.Cut{Target: b.target(r), Block: block})
				}
			}
		}
	}
	return b.injector().Partition(ctx, helpers, cuts, groups, oneWay)
}
