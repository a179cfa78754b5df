package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

	"github.com/chainctl/chainctl/internal/progress"
	"github.com/chainctl/chainctl/internal/topology"
	"github.com/chainctl/chainctl/internal/version"
)

// Up converges the swarm to the topology: an attachable overlay network,
// one service per topology service (created, updated with a rolling update
// when its spec changed, or left alone), then waits until every service
// runs its replicas (healthy, where there is a healthcheck: a swarm task
// only turns running once healthy). A failed first up removes the project.
func (s *Swarm) Up(ctx context.Context, t *topology.Topology, opts UpOptions) (*UpResult, error) {
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = DefaultWaitTimeout
	}
	unlock, err := s.e.lockProject(ctx, t.Name)
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
	res := &UpResult{Project: t.Name}
	err = s.up(ctx, t, opts, existing, res)
	if err == nil {
		err = s.recordSpec(ctx, t, opts)
	}
	if err == nil || len(existing) > 0 || opts.KeepOnFailure {
		return res, err
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	if _, rbErr := s.down(rctx, t.Name, DownOptions{}); rbErr != nil {
		err = fmt.Errorf("%w\nrollback incomplete, run `chainctl down -p %s`: %v", err, t.Name, rbErr)
	}
	return res, err
}

// withSwarmOverrides writes --endpoint-mode and --publish-mode into a copy
// of the topology, so that the recorded topology (what heal recreates a
// service from) keeps them.
func withSwarmOverrides(t *topology.Topology, opts UpOptions) *topology.Topology {
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

func (s *Swarm) up(ctx context.Context, t *topology.Topology, opts UpOptions, existing map[string]swarm.Service, res *UpResult) error {
	errs := opts.Policy.check(t)
	checkErrs, warnings := checkSwarm(t, opts, hasIPVS(s.e.api.DaemonHost()), s.e.api.ClientVersion())
	errs = append(errs, checkErrs...)
	res.Warnings = warnings
	// The manager must have the images; every other node needs them too
	// (there is no registry to pull from): a task there fails and says so.
	if _, err := s.e.resolveImages(ctx, t); err != nil {
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
	err = parallel(t.ServiceNames(), func(name string) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		spec, err := swarmServiceSpec(t, t.Services[name], netID, opts, s.e.api.ClientVersion())
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
func (s *Swarm) converge(ctx context.Context, spec swarm.ServiceSpec, cur swarm.Service) (string, error) {
	rep := s.e.progress
	if cur.ID == "" {
		rep.Report(progress.Event{Kind: "service", Resource: spec.Name, Status: "creating"})
		cctx, cancel := s.e.detached(ctx)
		defer cancel()
		// No registry here: never ask one for the image's digest.
		_, err := s.e.api.ServiceCreate(cctx, spec, swarm.ServiceCreateOptions{QueryRegistry: false})
		if err != nil {
			return "", fmt.Errorf("create service %s: %w", spec.Name, s.e.callErr(err))
		}
		rep.Report(progress.Event{Kind: "service", Resource: spec.Name, Status: "created", Done: true})
		return "created", nil
	}
	// Unchanged, unless scaled behind our back (break --mode scale-zero,
	// docker service scale): up converges that drift too.
	if cur.Spec.Labels[LabelConfigHash] == spec.Labels[LabelConfigHash] && replicasOf(cur) == int(*spec.Mode.Replicated.Replicas) {
		rep.Report(progress.Event{Kind: "service", Resource: spec.Name, Status: "unchanged", Done: true})
		return "", nil
	}
	rep.Report(progress.Event{Kind: "service", Resource: spec.Name, Status: "updating", Detail: "rolling, one task at a time"})
	uctx, cancel := s.e.detached(ctx)
	defer cancel()
	if _, err := s.e.api.ServiceUpdate(uctx, cur.ID, cur.Version, spec, swarm.ServiceUpdateOptions{}); err != nil {
		return "", fmt.Errorf("update service %s: %w", spec.Name, s.e.callErr(err))
	}
	return "updated", nil
}

// orphans reports (or removes) services the file no longer has.
func (s *Swarm) orphans(ctx context.Context, t *topology.Topology, existing map[string]swarm.Service, remove bool, res *UpResult) error {
	for name, svc := range existing {
		if _, ok := t.Services[svc.Spec.Labels[LabelService]]; ok {
			continue
		}
		res.Orphans = append(res.Orphans, svc.Spec.Labels[LabelService])
		if !remove {
			continue
		}
		if err := s.e.api.ServiceRemove(ctx, svc.ID); err != nil && !cerrdefs.IsNotFound(err) {
			return fmt.Errorf("remove orphan service %s: %w", name, err)
		}
		res.Removed = append(res.Removed, name)
	}
	sort.Strings(res.Orphans)
	return nil
}

// services lists the project's swarm services by service name.
func (s *Swarm) services(ctx context.Context, project string) (map[string]swarm.Service, error) {
	svcs, err := s.e.api.ServiceList(ctx, swarm.ServiceListOptions{Filters: projectFilter(project)})
	if err != nil {
		return nil, fmt.Errorf("list services of project %s: %w", project, err)
	}
	out := map[string]swarm.Service{}
	for _, svc := range svcs {
		if ownedBy(svc.Spec.Labels, project) {
			out[svc.Spec.Name] = svc
		}
	}
	return out, nil
}

// ensureNetwork returns the project's overlay network, creating it when
// missing. Attachable, so a plain container (a debugging shell, a test)
// can join the chain.
func (s *Swarm) ensureNetwork(ctx context.Context, t *topology.Topology) (string, error) {
	ns, err := s.e.api.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", t.Network.Name))})
	if err != nil {
		return "", fmt.Errorf("list networks: %w", err)
	}
	for _, n := range ns {
		if n.Name != t.Network.Name {
			continue // the name filter matches substrings
		}
		if !ownedBy(n.Labels, t.Name) {
			return "", fmt.Errorf("network %s exists and is not project %s's (no %s=%s label): remove or rename it, or set network.name", n.Name, t.Name, LabelProject, t.Name)
		}
		if n.Scope != "swarm" {
			return "", fmt.Errorf("network %s of project %s is a %s network, not an overlay: `chainctl down -p %s` first", n.Name, t.Name, n.Driver, t.Name)
		}
		return n.ID, nil
	}
	opts := network.CreateOptions{
		Driver: "overlay", Attachable: true, Internal: t.Network.Internal,
		Labels: map[string]string{LabelProject: t.Name, LabelEngine: KindSwarm, LabelVersion: version.Version},
	}
	if t.Network.Subnet != "" {
		opts.IPAM = &network.IPAM{Config: []network.IPAMConfig{{Subnet: t.Network.Subnet, Gateway: t.Network.Gateway}}}
	}
	s.e.progress.Report(progress.Event{Kind: "network", Resource: t.Network.Name, Status: "creating", Detail: "overlay"})
	cctx, cancel := s.e.detached(ctx)
	defer cancel()
	resp, err := s.e.api.NetworkCreate(cctx, t.Network.Name, opts)
	if err != nil {
		return "", fmt.Errorf("create network %s: %w", t.Network.Name, s.e.callErr(err))
	}
	s.e.progress.Report(progress.Event{Kind: "network", Resource: t.Network.Name, Status: "created", Done: true})
	return resp.ID, nil
}

// waitServices polls the tasks of the named services until each runs its
// replicas, or says what it last saw.
func (s *Swarm) waitServices(ctx context.Context, t *topology.Topology, names []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := s.state(ctx, t.Name)
		if err != nil {
			return err
		}
		var pending []string
		for _, name := range names {
			if msg := st.notReady(t, name); msg != "" {
				pending = append(pending, msg)
			}
		}
		if len(pending) == 0 {
			for _, name := range names {
				s.e.progress.Report(progress.Event{Kind: "service", Resource: ServiceName(t.Name, name), Status: "running", Done: true})
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("services not ready after %s:\n  %s", timeout, strings.Join(pending, "\n  "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// recordSpec stores the topology as a swarm config <project>-spec-<hash>
// (configs are immutable and cluster-wide: heal can recreate a removed
// service from any manager) and drops older revisions.
func (s *Swarm) recordSpec(ctx context.Context, t *topology.Topology, opts UpOptions) error {
	raw, err := json.Marshal(t)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	hash := hex.EncodeToString(sum[:6])
	old, err := s.configs(ctx, t.Name)
	if err != nil {
		return err
	}
	current := false
	for _, c := range old {
		current = current || c.Spec.Labels[LabelSpec] == hash
	}
	if !current {
		labels := map[string]string{LabelProject: t.Name, LabelSpec: hash,
			labelEndpointMode: opts.EndpointMode, labelPublishMode: opts.PublishMode}
		_, err := s.e.api.ConfigCreate(ctx, swarm.ConfigSpec{
			Annotations: swarm.Annotations{Name: specVolumeName(t.Name, hash), Labels: labels},
			Data:        raw,
		})
		if err != nil {
			return fmt.Errorf("record the topology of %s: %w", t.Name, err)
		}
	}
	for _, c := range old {
		if c.Spec.Labels[LabelSpec] != hash {
			if err := s.e.api.ConfigRemove(ctx, c.ID); err != nil && !cerrdefs.IsNotFound(err) {
				return fmt.Errorf("remove old topology record %s: %w", c.Spec.Name, err)
			}
		}
	}
	return nil
}

// The --endpoint-mode and --publish-mode of the last up, kept on its
// topology record: a later up without them must not undo them.
const (
	labelEndpointMode = "io.chainctl.endpoint-mode"
	labelPublishMode  = "io.chainctl.publish-mode"
)

// rememberOverrides fills the flags the command line left empty from the
// project's last up.
func (s *Swarm) rememberOverrides(ctx context.Context, project string, opts *UpOptions) error {
	cs, err := s.configs(ctx, project)
	if err != nil || len(cs) == 0 {
		return err
	}
	if opts.EndpointMode == "" {
		opts.EndpointMode = cs[0].Spec.Labels[labelEndpointMode]
	}
	if opts.PublishMode == "" {
		opts.PublishMode = cs[0].Spec.Labels[labelPublishMode]
	}
	return nil
}

// configs lists the project's topology records, newest first.
func (s *Swarm) configs(ctx context.Context, project string) ([]swarm.Config, error) {
	cs, err := s.e.api.ConfigList(ctx, swarm.ConfigListOptions{Filters: projectFilter(project)})
	if err != nil {
		return nil, fmt.Errorf("list topology records of %s: %w", project, err)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].CreatedAt.After(cs[j].CreatedAt) })
	return cs, nil
}

// storedTopology reads the topology the project was last brought up with.
func (s *Swarm) storedTopology(ctx context.Context, project string) (*topology.Topology, error) {
	cs, err := s.configs(ctx, project)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("project %s not found on this swarm (see `chainctl ls`)", project)
	}
	var t topology.Topology
	if err := json.Unmarshal(cs[0].Spec.Data, &t); err != nil {
		return nil, fmt.Errorf("read the recorded topology of %s: %w", project, err)
	}
	return &t, nil
}
