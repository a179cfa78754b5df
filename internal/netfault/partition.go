// Partitions, whatever the backend: what each group blocks, and putting every target's side of the cut in force.

package netfault

import (
	"context"
	"net/netip"
	"sort"
	"sync"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/netfault/spec"
)

// Blocks is, for each group, the addresses its members cut themselves off
// from: every other group's, or with oneWay the groups' after it (nil for
// the last group, which the others' helpers cut off).
func Blocks(groups [][]string, oneWay bool, addrs func(services []string) []netip.Addr) [][]netip.Addr {
	of := make([][]netip.Addr, len(groups))
	for i, g := range groups {
		of[i] = addrs(g)
	}
	out := make([][]netip.Addr, len(groups))
	for i := range groups {
		for j := range groups {
			if j != i && (!oneWay || j > i) {
				out[i] = append(out[i], of[j]...)
			}
		}
		out[i] = spec.Addrs(out[i])
	}
	return out
}

// Cut is one target's side of a partition.
type Cut struct {
	Target Target
	Block  []netip.Addr
}

// Partition puts every cut in force in place of its target's last
// partition, then frees the targets the last partition cut and this one
// does not.
func (in Injector) Partition(ctx context.Context, helpers []Helper, cuts []Cut, groups [][]string, oneWay bool) (*engine.PartitionResult, error) {
	res := &engine.PartitionResult{Groups: groups}
	var mu sync.Mutex
	err := engine.Parallel(cuts, func(c Cut) error {
		job := spec.Job{Partition: &spec.Partition{Block: c.Block, OneWay: oneWay, Groups: groups}}
		replaced, _, err := in.Put(ctx, helpers, c.Target, job)
		mu.Lock()
		defer mu.Unlock()
		res.Replaced = append(res.Replaced, replaced...)
		if err == nil {
			res.Cut = append(res.Cut, c.Target.Name)
		}
		return err
	})
	if err != nil {
		return res, err
	}
	keep := make([]string, len(cuts))
	for i, c := range cuts {
		keep[i] = c.Target.ID
	}
	freed, err := in.FreeOthers(ctx, helpers, keep)
	res.Replaced = append(res.Replaced, freed...)
	sort.Strings(res.Cut)
	sort.Strings(res.Replaced)
	return res, err
}
