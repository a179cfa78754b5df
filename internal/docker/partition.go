// Partitions on plain docker: every running replica of each group gets a helper that cuts it off from the other groups.

package docker

import (
	"context"
	"net/netip"
	"sort"
	"sync"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/netfault"
	"github.com/chainctl/chainctl/internal/netfault/spec"
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
	res := &engine.PartitionResult{Groups: groups}
	addrs := make([][]netip.Addr, len(groups))
	for i, g := range groups {
		addrs[i] = s.addrs(g)
	}
	var todo []replica
	var blocks [][]netip.Addr
	for i, g := range groups {
		var block []netip.Addr
		for j := range groups {
			if j != i && (!oneWay || j > i) {
				block = append(block, addrs[j]...)
			}
		}
		if len(block) == 0 {
			continue // one-way: the last group is cut off by the others' helpers
		}
		for _, svc := range g {
			reps, _ := s.selectReplicas([]engine.Target{{Service: svc}})
			for _, r := range reps {
				if r.c != nil && s.fault(r) == engine.FaultNone {
					todo = append(todo, r)
					blocks = append(blocks, block)
				}
			}
		}
	}
	var mu sync.Mutex
	err = engine.Parallel(engine.Indexes(len(todo)), func(i int) error {
		job := spec.Job{Partition: &spec.Partition{Block: spec.Addrs(blocks[i]), OneWay: oneWay, Groups: groups}}
		replaced, _, err := b.netInject(ctx, todo[i], helpers, job)
		mu.Lock()
		defer mu.Unlock()
		res.Replaced = append(res.Replaced, replaced...)
		if err == nil {
			res.Cut = append(res.Cut, todo[i].name(project))
		}
		return err
	})
	if err != nil {
		return res, err
	}
	ids := make([]string, len(todo))
	for i, r := range todo {
		ids[i] = r.c.ID
	}
	freed, err := b.injector().FreeOthers(ctx, helpers, ids)
	res.Replaced = append(res.Replaced, freed...)
	sort.Strings(res.Cut)
	return res, err
}
