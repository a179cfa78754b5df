// What network breaks share on every backend: the check of a network break's options and the groups of a partition.

package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chainctl/chainctl/internal/netfault/spec"

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

// BreakSpec is a break as people write it, on the command line or in an
// experiment file: a mode and the network parts, as strings where people
// type them so ("30%", "1mbit").
type BreakSpec struct {
	Mode    string
	ModeSet bool // false: a network part alone picks its mode (--delay means --mode delay)
	Signal  string

	Delay, Jitter time.Duration
	Loss, Rate    string
	Direction     string
	From          []string
}

// Options turns the spec into BreakOptions, with every problem at once.
func (b BreakSpec) Options() (BreakOptions, error) {
	opts := BreakOptions{Mode: b.Mode, Signal: b.Signal}
	netParts := b.Delay != 0 || b.Jitter != 0 || b.Loss != "" || b.Rate != "" || len(b.From) > 0 || b.Direction != ""
	if !netParts && !IsNetworkMode(b.Mode) {
		return opts, nil
	}
	net := &spec.Fault{Delay: b.Delay, Jitter: b.Jitter, Direction: spec.Direction(b.Direction),
		Blackhole: b.Mode == ModeBlackhole, Reset: b.Mode == ModeReset}
	var errs []error
	if b.Loss != "" {
		var err error
		if net.Loss, err = spec.ParsePercent(b.Loss); err != nil {
			errs = append(errs, fmt.Errorf("--loss %w", err))
		}
	}
	if b.Rate != "" {
		var err error
		if net.Rate, err = spec.ParseRate(b.Rate); err != nil {
			errs = append(errs, fmt.Errorf("--rate %w", err))
		} else if net.Rate == 0 {
			errs = append(errs, fmt.Errorf("--rate %s: want more than 0", b.Rate))
		}
	}
	if !b.ModeSet && netParts {
		switch {
		case b.Delay != 0:
			opts.Mode = ModeDelay
		case b.Loss != "":
			opts.Mode = ModeLoss
		case b.Rate != "":
			opts.Mode = ModeRate
		}
	}
	opts.Net, opts.From = net, b.From
	if len(errs) > 0 {
		return opts, errors.Join(errs...)
	}
	return opts, opts.CheckNetwork()
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
