// Network breaks on plain docker: a helper per replica holds the fault, the peers of --from by their addresses.

package docker

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/netfault"
	"github.com/chainctl/chainctl/internal/netfault/spec"
)

func (b *Backend) injector() netfault.Injector { return netfault.Injector{API: b.api, Conn: b.c} }

// netBreak puts the network fault of opts on every running replica of
// reps. A replica that already has a network fault gets the new one
// instead (the old one is removed first and listed as replaced); one that
// is down (killed, stopped, removed) has no namespace to hold a fault and
// is left alone.
func (b *Backend) netBreak(ctx context.Context, s *chaosState, reps []replica, opts engine.BreakOptions) (*engine.BreakResult, error) {
	if err := engine.CheckFrom(s.t, s.project, opts.From); err != nil {
		return nil, err
	}
	f := *opts.Net
	f.FromNames = opts.From
	if len(opts.From) > 0 {
		if f.From = s.addrs(opts.From); len(f.From) == 0 {
			return nil, fmt.Errorf("--from %v: no running container of those services has an address on a project network", opts.From)
		}
	}
	helpers, err := netfault.Helpers(ctx, b.api, s.project)
	if err != nil {
		return nil, err
	}
	res := &engine.BreakResult{AffectedByName: map[string][]string{}}
	var todo []replica
	for _, r := range reps {
		if fl := s.fault(r); fl != engine.FaultNone && fl != engine.FaultDisconnected {
			res.AlreadyBroken = append(res.AlreadyBroken, fmt.Sprintf("%s (%s)", r.name(s.project), fl))
			continue
		}
		todo = append(todo, r)
	}
	var mu sync.Mutex
	err = engine.Parallel(todo, func(r replica) error {
		fr := f
		if len(opts.From) > 0 {
			// The sources' addresses on the networks this target is on: the
			// only ones its traffic with them can carry.
			if fr.From = s.addrsOn(opts.From, *r.c); len(fr.From) == 0 {
				return fmt.Errorf("%s shares no network with --from %v: no traffic between them to break", r.name(s.project), opts.From)
			}
		}
		replaced, st, err := b.injector().Put(ctx, helpers, b.target(r), spec.Job{Fault: &fr})
		mu.Lock()
		defer mu.Unlock()
		res.Replaced = append(res.Replaced, replaced...)
		if err == nil {
			res.Mechanisms = append(res.Mechanisms, r.name(s.project)+": "+st.String())
		}
		return err
	})
	for _, r := range todo {
		res.Broken = append(res.Broken, r.name(s.project))
		res.NoteBroken(s.t, r.service, opts.From...)
	}
	return res, err
}

// target is a running replica as a network fault's target.
func (b *Backend) target(r replica) netfault.Target {
	return netfault.Target{Project: r.c.Labels[engine.LabelProject], Service: r.service, Replica: r.n, ID: r.c.ID, Name: engine.NameOf(*r.c)}
}

// addrs are the addresses of every replica of services on every project
// network each is on. A partition blocks them all at each target: an
// address on a network the target is not on never reaches it anyway.
func (s *chaosState) addrs(services []string) []netip.Addr {
	return s.addrsOn(services, container.Summary{})
}

// addrsOn are the addresses of every replica of services on the project
// networks they share with target (all of their networks when target has
// none listed).
func (s *chaosState) addrsOn(services []string, target container.Summary) []netip.Addr {
	want := map[string]bool{}
	for _, svc := range services {
		want[svc] = true
	}
	var out []netip.Addr
	for _, c := range s.cs {
		svc := serviceOf(s.t, c)
		if svc == nil || !want[svc.Name] {
			continue
		}
		for _, a := range s.t.NetworksOf(svc) {
			if target.NetworkSettings == nil || engine.OnNetwork(target, a.Name) {
				out = append(out, addrsOnNet(c, a.Name)...)
			}
		}
	}
	return spec.Addrs(out)
}

// addrsOnNet is a container's IPv4 and IPv6 address on a network.
func addrsOnNet(c container.Summary, net string) []netip.Addr {
	if c.NetworkSettings == nil || c.NetworkSettings.Networks[net] == nil {
		return nil
	}
	ep := c.NetworkSettings.Networks[net]
	var out []netip.Addr
	for _, s := range []string{ep.IPAddress, ep.GlobalIPv6Address} {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// netFaults describes, by container ID, the network faults in force.
func (b *Backend) netFaults(ctx context.Context, project string) (map[string][]string, error) {
	helpers, err := netfault.Helpers(ctx, b.api, project)
	if err != nil || len(helpers) == 0 {
		return nil, err
	}
	return b.injector().InForce(ctx, helpers), nil
}

// netHeal removes the helpers heal asks for (see netfault.Injector.Heal).
func (b *Backend) netHeal(ctx context.Context, project string, services []string, partitionOnly bool) ([]string, error) {
	helpers, err := netfault.Helpers(ctx, b.api, project)
	if err != nil {
		return nil, err
	}
	return b.injector().Heal(ctx, helpers, services, partitionOnly)
}
