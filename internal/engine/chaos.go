// What break and heal share on every backend: targets, the opening (defaults, lock, state), who feels a fault, and heal-after.

package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chainctl/chainctl/internal/topology"
)

// Target names a service, or one replica of it (Replica 0: all of them).
type Target struct {
	Service string
	Replica int
}

// ParseTarget reads SERVICE or SERVICE/N.
func ParseTarget(s string) (Target, error) {
	svc, rep, found := strings.Cut(s, "/")
	t := Target{Service: svc}
	if found {
		n, err := strconv.Atoi(rep)
		if err != nil || n < 1 {
			return t, fmt.Errorf("%q: replica must be a number from 1, as in %s/1", s, svc)
		}
		t.Replica = n
	}
	if svc == "" {
		return t, fmt.Errorf("%q: no service name", s)
	}
	return t, nil
}

// ParseTargets reads each of args with ParseTarget.
func ParseTargets(args []string) ([]Target, error) {
	out := make([]Target, len(args))
	for i, a := range args {
		t, err := ParseTarget(a)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

func (t Target) String() string {
	if t.Replica == 0 {
		return t.Service
	}
	return fmt.Sprintf("%s/%d", t.Service, t.Replica)
}

// Load reads the state a backend's break or heal works from.
type Load[S any] func(ctx context.Context, project string) (S, error)

// BeginBreak opens a break on b: the default mode, the check that b has
// it, the project's lock, and the state. done releases the lock.
func BeginBreak[S any](ctx context.Context, c *Conn, b Backend, project string, opts BreakOptions, load Load[S]) (s S, _ BreakOptions, done func(), err error) {
	opts = opts.withDefaults()
	if err := CheckMode(b.Kind(), opts.Mode, b.BreakModes()); err != nil {
		return s, opts, nil, err
	}
	s, done, err = begin(ctx, c, project, load)
	return s, opts, done, err
}

// BeginHeal opens a heal: the default wait, the lock, the state.
func BeginHeal[S any](ctx context.Context, c *Conn, project string, opts HealOptions, load Load[S]) (s S, _ HealOptions, done func(), err error) {
	s, done, err = begin(ctx, c, project, load)
	return s, opts.withDefaults(), done, err
}

func begin[S any](ctx context.Context, c *Conn, project string, load Load[S]) (S, func(), error) {
	var zero S
	unlock, err := c.Lock(ctx, project)
	if err != nil {
		return zero, nil, err
	}
	s, err := load(ctx, project)
	if err != nil {
		unlock()
		return zero, nil, err
	}
	return s, unlock, nil
}

// NoteBroken records that a service was broken: the services that call it,
// directly or not, feel it. With from (a network fault scoped to some
// peers), only the callers among from, and whoever calls those, feel it.
func (r *BreakResult) NoteBroken(t *topology.Topology, service string, from ...string) {
	if r.AffectedByName == nil {
		r.AffectedByName = map[string][]string{}
	}
	callers := t.Callers(service)
	if len(from) > 0 {
		var scoped []string
		for _, c := range callers {
			if slices.Contains(from, c) || slices.ContainsFunc(from, func(f string) bool {
				return slices.Contains(callers, f) && slices.Contains(t.Callers(f), c)
			}) {
				scoped = append(scoped, c)
			}
		}
		callers = scoped
	}
	r.AffectedByName[service] = callers
	for _, c := range callers {
		if !slices.Contains(r.Affected, c) {
			r.Affected = append(r.Affected, c)
		}
	}
	sort.Strings(r.Affected)
}

// HealAfter waits d, or until ctx ends (Ctrl-C), then heals the services on
// b. After Ctrl-C it heals at once on a context of its own and still
// returns ctx's error, so the command exits as interrupted.
func HealAfter(ctx context.Context, b Backend, project string, services []string, d time.Duration) (*HealResult, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	healCtx := ctx
	select {
	case <-timer.C:
	case <-ctx.Done():
		var cancel context.CancelFunc
		healCtx, cancel = context.WithTimeout(context.WithoutCancel(ctx), DefaultWaitTimeout)
		defer cancel()
	}
	res, err := b.Heal(healCtx, project, services, HealOptions{})
	if err != nil {
		return res, err
	}
	return res, ctx.Err()
}

// UnknownService is the error for a target the project does not have.
func UnknownService(t *topology.Topology, project, service string) error {
	return fmt.Errorf("no service %q in project %s (services: %s)", service, project, strings.Join(t.ServiceNames(), ", "))
}

// EntryOr is the service a call goes to: service if the project has it,
// else, when service is "", the chain's entry (a service with a published
// port that nobody calls).
func EntryOr(t *topology.Topology, project, service string) (string, error) {
	if service == "" {
		if service = t.Entry(); service == "" {
			return "", fmt.Errorf("project %s has no service with a published port that nobody calls; name the service to call", project)
		}
		return service, nil
	}
	if _, ok := t.Services[service]; !ok {
		return "", UnknownService(t, project, service)
	}
	return service, nil
}
