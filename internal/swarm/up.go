// Up on a swarm: an overlay network, one service per topology service, rolling updates, and the wait.

package swarm

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/progress"
	"github.com/chainctl/chainctl/internal/topology"
	"github.com/chainctl/chainctl/internal/version"
)

// Up converges the swarm to the topology: an attachable overlay network,
// one service per topology service (created, updated with a rolling update
// when its spec changed, or left alone), then waits until every service
// runs its replicas (healthy, where there is a healthcheck: a swarm task
// only turns running once healthy). A failed first up removes the project.
func (s *Backend) Up(ctx context.Context, t *topology.Topology, opts engine.UpOptions) (*engine.UpResult, error) {
	if opts.DryRun {
		return nil, errors.New("up --dry-run is not supported on a swarm yet: it plans containers on plain docker")
	}
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = engine.DefaultWaitTimeout
	}
	unlock, err := s.c.Lock(ctx, t.Name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := s.rememberOverrides(ctx, t.Name, &opts); err != nil {
		return nil, err
	}
	t = withSwarmOverrides(t, opts)
	existing, err := s.services(ctx, t.Name)
	if err != nil {
		return nil, err
	}
	res := &engine.UpResult{Project: t.Name}
	err = s.up(ctx, t, opts, existing, res)
	if err == nil {
		err = s.recordSpec(ctx, t, opts)
	}
	if err == nil || len(existing) > 0 || opts.KeepOnFailure {
		return res, err
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), engine.RollbackTimeout)
	defer cancel()
	if _, rbErr := s.down(rctx, t.Name, engine.DownOptions{}); rbErr != nil {
		err = fmt.Errorf("%w\nrollback incomplete, run `chainctl down -p %s`: %v", err, t.Name, rbErr)
	}
	return res, err
}

// withSwarmOverrides writes --endpoint-mode and --publish-mode into a copy
// of the topology, so that the recorded topology (what heal recreates a
// service from) keeps them.
func withSwarmOverrides(t *topology.Topology, opts engine.UpOptions) *topology.Topology {
	if opts.EndpointMode == "" && opts.PublishMode == "" {
		return t
	}
	cp := *t
	cp.Services = make(map[string]*topology.Service, len(t.Services))
	for name, svc := range t.Services {
		sc := *svc
		sc.EndpointMode = endpointMode(svc, opts)
		sc.Ports = make([]topology.Port, len(svc.Ports))
		for i, p := range svc.Ports {
			p.Mode = publishMode(p, opts)
			sc.Ports[i] = p
		}
		cp.Services[name] = &sc
	}
	return &cp
}

func (s *Backend) up(ctx context.Context, t *topology.Topology, opts engine.UpOptions, existing map[string]swarm.Service, res *engine.UpResult) error {
	errs := opts.Policy.Check(t, s.api.DaemonHost())
	checkErrs, warnings := checkSwarm(t, opts, hasIPVS(s.api.DaemonHost()), s.api.ClientVersion())
	errs = append(errs, checkErrs...)
	res.Warnings = warnings
	// The manager must have the images; every other node needs them too
	// (there is no registry to pull from): a task there fails and says so.
	if _, err := engine.ResolveImages(ctx, s.api, t); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	netID, err := s.ensureNetwork(ctx, t)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	err = engine.Parallel(t.ServiceNames(), func(name string) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		spec, err := swarmServiceSpec(t, t.Services[name], netID, opts, s.api.ClientVersion())
		if err != nil {
			return err
		}
		verb, err := s.converge(ctx, spec, existing[spec.Name])
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		switch verb {
		case "created":
			res.Created = append(res.Created, spec.Name)
		case "updated":
			res.Recreated = append(res.Recreated, spec.Name)
		default:
			res.Unchanged = append(res.Unchanged, spec.Name)
		}
		return nil
	})
	for _, l := range [][]string{res.Created, res.Recreated, res.Unchanged} {
		sort.Strings(l)
	}
	if err != nil {
		return err
	}
	if err := s.orphans(ctx, t, existing, opts.RemoveOrphans, res); err != nil {
		return err
	}
	if opts.NoWait {
		return nil
	}
	return s.waitServices(ctx, t, t.ServiceNames(), opts.WaitTimeout)
}

// converge creates the service, updates it when its spec changed (a
// rolling update, one task at a time), or leaves it: "created", "updated"
// or "".
func (s *Backend) converge(ctx context.Context, spec swarm.ServiceSpec, cur swarm.Service) (string, error) {
	rep := s.c.Progress
	if cur.ID == "" {
		rep.Report(progress.Event{Kind: "service", Resource: spec.Name, Status: "creating"})
		cctx, cancel := s.c.Detached(ctx)
		defer cancel()
		// No registry here: never ask one for the image's digest.
		_, err := s.api.ServiceCreate(cctx, spec, swarm.ServiceCreateOptions{QueryRegistry: false})
		if err != nil {
			return "", fmt.Errorf("create service %s: %w", spec.Name, s.c.CallErr(err))
		}
		rep.Report(progress.Event{Kind: "service", Resource: spec.Name, Status: "created", Done: true})
		return "created", nil
	}
	// Unchanged, unless scaled behind our back (break --mode scale-zero,
	// docker service scale): up converges that drift too.
	if cur.Spec.Labels[engine.LabelConfigHash] == spec.Labels[engine.LabelConfigHash] && engine.ReplicasOf(cur) == int(*spec.Mode.Replicated.Replicas) {
		rep.Report(progress.Event{Kind: "service", Resource: spec.Name, Status: "unchanged", Done: true})
		return "", nil
	}
	rep.Report(progress.Event{Kind: "service", Resource: spec.Name, Status: "updating", Detail: "rolling, one task at a time"})
	uctx, cancel := s.c.Detached(ctx)
	defer cancel()
	if _, err := s.api.ServiceUpdate(uctx, cur.ID, cur.Version, spec, swarm.ServiceUpdateOptions{}); err != nil {
		return "", fmt.Errorf("update service %s: %w", spec.Name, s.c.CallErr(err))
	}
	return "updated", nil
}

// orphans reports (or removes) services the file no longer has.
func (s *Backend) orphans(ctx context.Context, t *topology.Topology, existing map[string]swarm.Service, remove bool, res *engine.UpResult) error {
	for name, svc := range existing {
		if _, ok := t.Services[svc.Spec.Labels[engine.LabelService]]; ok {
			continue
		}
		res.Orphans = append(res.Orphans, svc.Spec.Labels[engine.LabelService])
		if !remove {
			continue
		}
		if err := s.api.ServiceRemove(ctx, svc.ID); err != nil && !cerrdefs.IsNotFound(err) {
			return fmt.Errorf("remove orphan service %s: %w", name, err)
		}
		res.Removed = append(res.Removed, name)
	}
	sort.Strings(res.Orphans)
	return nil
}

// services lists the project's swarm services by service name.
func (s *Backend) services(ctx context.Context, project string) (map[string]swarm.Service, error) {
	svcs, err := s.api.ServiceList(ctx, swarm.ServiceListOptions{Filters: engine.ProjectFilter(project)})
	if err != nil {
		return nil, fmt.Errorf("list services of project %s: %w", project, err)
	}
	out := map[string]swarm.Service{}
	for _, svc := range svcs {
		if engine.OwnedBy(svc.Spec.Labels, project) {
			out[svc.Spec.Name] = svc
		}
	}
	return out, nil
}

// ensureNetwork returns the project's overlay network, creating it when
// missing. Attachable, so a plain container (a debugging shell, a test)
// can join the chain.
func (s *Backend) ensureNetwork(ctx context.Context, t *topology.Topology) (string, error) {
	ns, err := s.api.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", t.Network.Name))})
	if err != nil {
		return "", fmt.Errorf("list networks: %w", err)
	}
	for _, n := range ns {
		if n.Name != t.Network.Name {
			continue // the name filter matches substrings
		}
		if !engine.OwnedBy(n.Labels, t.Name) {
			return "", fmt.Errorf("network %s exists and is not project %s's (no %s=%s label): remove or rename it, or set network.name", n.Name, t.Name, engine.LabelProject, t.Name)
		}
		if n.Scope != "swarm" {
			return "", fmt.Errorf("network %s of project %s is a %s network, not an overlay: `chainctl down -p %s` first", n.Name, t.Name, n.Driver, t.Name)
		}
		return n.ID, nil
	}
	opts := network.CreateOptions{
		Driver: "overlay", Attachable: true, Internal: t.Network.Internal,
		Labels: map[string]string{engine.LabelProject: t.Name, engine.LabelEngine: engine.KindSwarm, engine.LabelVersion: version.Version},
	}
	if t.Network.Subnet != "" {
		opts.IPAM = &network.IPAM{Config: []network.IPAMConfig{{Subnet: t.Network.Subnet, Gateway: t.Network.Gateway}}}
	}
	s.c.Progress.Report(progress.Event{Kind: "network", Resource: t.Network.Name, Status: "creating", Detail: "overlay"})
	cctx, cancel := s.c.Detached(ctx)
	defer cancel()
	resp, err := s.api.NetworkCreate(cctx, t.Network.Name, opts)
	if err != nil {
		return "", fmt.Errorf("create network %s: %w", t.Network.Name, s.c.CallErr(err))
	}
	s.c.Progress.Report(progress.Event{Kind: "network", Resource: t.Network.Name, Status: "created", Done: true})
	return resp.ID, nil
}

// waitServices polls the tasks of the named services until each runs its
// replicas, or says what it last saw.
func (s *Backend) waitServices(ctx context.Context, t *topology.Topology, names []string, timeout time.Duration) error {
	var pending []string
	err := engine.Poll(ctx, pollInterval, time.Now().Add(timeout), func() (bool, error) {
		st, err := s.state(ctx, t.Name)
		if err != nil {
			return false, err
		}
		pending = pending[:0]
		for _, name := range names {
			if msg := st.notReady(t, name); msg != "" {
				pending = append(pending, msg)
			}
		}
		return len(pending) == 0, nil
	})
	if errors.Is(err, engine.ErrPollDeadline) {
		return fmt.Errorf("services not ready after %s:\n  %s", timeout, strings.Join(pending, "\n  "))
	}
	if err != nil {
		return err
	}
	for _, name := range names {
		s.c.Report("service", ServiceName(t.Name, name), "running", true)
	}
	return nil
}
