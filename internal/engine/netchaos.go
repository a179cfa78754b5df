// What network breaks share on every backend: the check of a network break's options and the groups of a partition.

package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/chainctl/chainctl/internal/topology"
)

// CheckNetwork lists, at once, what is wrong with a break's network
// options: parts given to a lifecycle mode, a network mode without its
// part, parts out of range.
func (o BreakOptions) CheckNetwork() error {
	if !IsNetworkMode(o.Mode) {
		if o.Net != nil || len(o.From) > 0 {
			return fmt.Errorf("--delay, --jitter, --loss, --rate, --direction and --from go with a network mode (%s), not --mode %s", strings.Join(NetworkModes, ", "), o.Mode)
		}
		return nil
	}
	if o.Net == nil {
		return fmt.Errorf("--mode %s: no network fault given", o.Mode)
	}
	var errs []error
	switch {
	case o.Mode == ModeDelay && o.Net.Delay == 0:
		errs = append(errs, errors.New("--mode delay needs --delay, e.g. --delay 200ms"))
	case o.Mode == ModeLoss && o.Net.Loss == 0:
		errs = append(errs, errors.New("--mode loss needs --loss, e.g. --loss 30%"))
	case o.Mode == ModeRate && o.Net.Rate == 0:
		errs = append(errs, errors.New("--mode rate needs --rate, e.g. --rate 1mbit"))
	}
	if err := o.Net.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// CheckFrom refuses --from services the project does not have.
func CheckFrom(t *topology.Topology, project string, from []string) error {
	var errs []error
	for _, s := range from {
		if _, ok := t.Services[s]; !ok {
			errs = append(errs, fmt.Errorf("--from %s: %w", s, UnknownService(t, project, s)))
		}
	}
	return errors.Join(errs...)
}

// PartitionGroups checks the groups a partition names and adds the
// services no group names as one more group. Every service is in exactly
// one group, and there are at least two.
func PartitionGroups(t *topology.Topology, project string, named [][]string) ([][]string, error) {
	seen := map[string]bool{}
	var errs []error
	var groups [][]string
	for _, g := range named {
		var group []string
		for _, s := range g {
			switch {
			case s == "":
				continue
			case t.Services[s] == nil:
				errs = append(errs, UnknownService(t, project, s))
			case seen[s]:
				errs = append(errs, fmt.Errorf("service %s is in two groups: a service is on one side of a partition", s))
			default:
				group = append(group, s)
			}
			seen[s] = true
		}
		if len(group) > 0 {
			slices.Sort(group)
			groups = append(groups, group)
		}
	}
	var rest []string
	for _, s := range t.ServiceNames() {
		if !seen[s] {
			rest = append(rest, s)
		}
	}
	if len(rest) > 0 {
		groups = append(groups, rest)
	}
	if len(errs) == 0 && len(groups) < 2 {
		errs = append(errs, errors.New("a partition needs at least two groups: name the services of one side, e.g. `chainctl partition a,b`"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return groups, nil
}

// Begin opens a verb that changes the project: the lock, then the state.
// done releases the lock.
func Begin[S any](ctx context.Context, c *Conn, project string, load Load[S]) (S, func(), error) {
	return begin(ctx, c, project, load)
}
