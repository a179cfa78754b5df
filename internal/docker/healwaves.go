// Heal in the order namespaces need: a service first, then the replicas in its network namespace (network_mode service:x), which follow it back.

package docker

import (
	"context"
	"slices"

	"github.com/chainctl/chainctl/internal/engine"
)

// faultNamespace is a replica in network_mode service:x that showed no
// fault, but whose x heal brought back: the namespace it was in went with
// x's old process, so it must join x's new one.
const faultNamespace = "namespace of its network_mode service restarted"

// healItem is one replica heal repairs, and what came of it.
type healItem struct {
	r        replica
	fault    string
	id, note string
}

// cameBack are the faults after whose repair a replica runs in a new
// network namespace (it was started again, or made anew).
var cameBack = []string{engine.FaultKilled, engine.FaultStopped, engine.FaultExited, engine.FaultRemoved, faultNamespace}

// healInWaves heals the items wave by wave (createWaves), so that x runs
// again before the replicas in its namespace are repaired; those of a
// service whose replica 1 came back are restarted (or, when it is a new
// container, made anew) even when they showed no fault themselves. It
// returns every item it healed, those included.
func (b *Backend) healInWaves(ctx context.Context, s *chaosState, items []*healItem) ([]*healItem, error) {
	waves, err := createWaves(s.t)
	if err != nil {
		waves = [][]string{s.t.ServiceNames()} // heal what it can; up refuses such a file anyway
	}
	s.healed = map[string]string{}
	all, _ := s.selectReplicas(targetsOf(s.t.ServiceNames()))
	back := map[string]bool{}
	for _, wave := range waves {
		var batch []*healItem
		for _, it := range items {
			if slices.Contains(wave, it.r.service) {
				batch = append(batch, it)
			}
		}
		for _, r := range all {
			x := networkModeService(s.t.Services[r.service])
			if x == "" || !back[x] || !slices.Contains(wave, r.service) || r.c == nil || slices.ContainsFunc(items, func(it *healItem) bool { return it.r == r }) {
				continue
			}
			it := &healItem{r: r, fault: faultNamespace}
			items, batch = append(items, it), append(batch, it)
		}
		err := engine.Parallel(batch, func(it *healItem) error {
			var err error
			it.id, it.note, err = b.healReplica(ctx, s, it.r, it.fault)
			return err
		})
		if err != nil {
			return items, err
		}
		for _, it := range batch {
			if it.r.n == 1 && slices.Contains(cameBack, it.fault) {
				back[it.r.service] = true
				s.healed[it.r.service] = it.id
			}
		}
	}
	return items, nil
}

// targetsOf names every replica of the services.
func targetsOf(services []string) []engine.Target {
	out := make([]engine.Target, len(services))
	for i, s := range services {
		out[i] = engine.Target{Service: s}
	}
	return out
}
