// The order of the timeline's actions.

package experiment

import "sort"

// sortActions orders actions by time; at the same time a heal goes before
// a break, so a fault ending when another begins on the same target
// leaves room for it.
func sortActions(acts []action) {
	sort.SliceStable(acts, func(a, b int) bool {
		if acts[a].at != acts[b].at {
			return acts[a].at < acts[b].at
		}
		return acts[a].heal && !acts[b].heal
	})
}
