package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"

	"github.com/chainctl/chainctl/internal/progress"
	"github.com/chainctl/chainctl/internal/topology"
)

// UpOptions tune `chainctl up`.
type UpOptions struct {
	NoWait        bool          // return once started, without waiting for health
	WaitTimeout   time.Duration // how long to wait for running and healthy (default 60s)
	RemoveOrphans bool          // remove containers of services no longer in the file
	KeepOnFailure bool          // leave what was made when up fails, for debugging
	Policy        Policy        // what the topology may ask for beyond the safe defaults

	// Swarm only: override every service's endpoint_mode (vip|dnsrr) and
	// every port's publish mode (ingress|host).
	EndpointMode string
	PublishMode  string
}

// UpResult says what `up` did, container by container.
type UpResult struct {
	Project   string
	Created   []string
	Recreated []string
	Started   []string
	Unchanged []string
	Removed   []string
	Orphans   []string // services on the engine that the file no longer has
	Warnings  []string // what the engine runs differently from what the file says
}

// DefaultWaitTimeout bounds the wait for running and healthy containers.
const DefaultWaitTimeout = 60 * time.Second

// rollbackTimeout bounds the cleanup after a failed or interrupted up; it
// runs on a fresh context because the caller's may be cancelled (Ctrl-C).
const rollbackTimeout = 60 * time.Second

// upRun is one `up`: the plan and what it created, so a failure can remove
// exactly that.
type upRun struct {
	e        *Engine
	t        *topology.Topology
	opts     UpOptions
	res      *UpResult
	imageIDs map[string]string

	mu                sync.Mutex
	createdNetwork    string
	createdVolumes    []string
	createdContainers []string
}

// Up converges the engine to the topology: it creates what is missing,
// recreates what changed, starts services in dependency order and waits
// until they are running and healthy. On failure it removes what this run
// created (unless KeepOnFailure) and returns the cause.
func (e *Engine) Up(ctx context.Context, t *topology.Topology, opts UpOptions) (*UpResult, error) {
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = DefaultWaitTimeout
	}
	unlock, err := e.lockProject(ctx, t.Name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	r := &upRun{e: e, t: t, opts: opts, res: &UpResult{Project: t.Name}}
	err = r.run(ctx)
	if err == nil {
		err = e.recordSpec(ctx, t)
	}
	if err == nil {
		return r.res, nil
	}
	if !opts.KeepOnFailure {
		if rbErr := r.rollback(); rbErr != nil {
			err = fmt.Errorf("%w\nrollback incomplete, run `chainctl down -p %s`: %v", err, t.Name, rbErr)
		}
	}
	return r.res, err
}

func (r *upRun) run(ctx context.Context) error {
	all, err := r.e.api.ContainerList(ctx, container.ListOptions{All: true})
	if err != nil {
		return fmt.Errorf("list containers: %w", err)
	}
	if err := r.preflight(ctx, all); err != nil {
		return err
	}
	// The network and the volumes do not depend on each other; the
	// containers need both.
	var netID string
	err = parallel([]func() error{
		func() (err error) { netID, err = r.ensureNetwork(ctx); return err },
		func() error { return r.ensureVolumes(ctx) },
	}, func(f func() error) error { return f() })
	if err != nil {
		return err
	}
	plan, err := r.plan(all)
	if err != nil {
		return err
	}
	if err := r.apply(ctx, netID, plan); err != nil {
		return err
	}
	if r.opts.NoWait {
		return nil
	}
	return r.e.waitReady(ctx, r.t.Name, plan.ids(), r.opts.WaitTimeout, true)
}

// preflight checks, before anything is created, that every image is there
// and that no foreign container or process holds a name or a port we need.
func (r *upRun) preflight(ctx context.Context, all []container.Summary) error {
	errs := r.opts.Policy.check(r.t)
	ids, err := r.e.resolveImages(ctx, r.t)
	if err != nil {
		errs = append(errs, err)
	}
	r.imageIDs = ids
	errs = append(errs, nameClashes(r.t, all)...)
	errs = append(errs, portClashes(r.t, all, r.e.api.DaemonHost())...)
	return errors.Join(errs...)
}

// nameClashes finds containers that have one of our names but are not ours.
func nameClashes(t *topology.Topology, all []container.Summary) []error {
	byName := map[string]container.Summary{}
	for _, c := range all {
		byName[containerName(c)] = c
	}
	var errs []error
	for _, name := range t.ServiceNames() {
		svc := t.Services[name]
		for n := 1; n <= svc.Replicas; n++ {
			cname := ContainerName(t.Name, name, n)
			if c, ok := byName[cname]; ok && !ownedBy(c.Labels, t.Name) {
				errs = append(errs, fmt.Errorf("service %s: a container named %s already exists and does not belong to project %s; rename or remove it (chainctl never touches it)", name, cname, t.Name))
			}
		}
	}
	return errs
}

func (r *upRun) ensureNetwork(ctx context.Context) (string, error) {
	name := r.t.Network.Name
	ns, err := r.e.api.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", name))})
	if err != nil {
		return "", fmt.Errorf("list networks: %w", err)
	}
	for _, n := range ns {
		if n.Name != name { // the name filter matches substrings
			continue
		}
		if !ownedBy(n.Labels, r.t.Name) {
			return "", fmt.Errorf("network %s already exists and does not belong to project %s; remove it or set network.name in the topology", name, r.t.Name)
		}
		r.report("network", name, "exists", true)
		return n.ID, nil
	}
	spec, err := json.Marshal(r.t)
	if err != nil {
		return "", err
	}
	opts := network.CreateOptions{
		Driver:   "bridge",
		Internal: r.t.Network.Internal,
		Labels:   map[string]string{LabelProject: r.t.Name, LabelTopology: string(spec)},
	}
	if r.t.Network.Subnet != "" {
		opts.IPAM = &network.IPAM{Config: []network.IPAMConfig{{Subnet: r.t.Network.Subnet, Gateway: r.t.Network.Gateway}}}
	}
	r.report("network", name, "creating", false)
	if err := ctx.Err(); err != nil {
		return "", err
	}
	cctx, cancel := r.e.detached(ctx)
	defer cancel()
	resp, err := r.e.api.NetworkCreate(cctx, name, opts)
	if err != nil {
		r.fail("network", name, err)
		return "", fmt.Errorf("create network %s: %w", name, r.e.callErr(err))
	}
	r.mu.Lock()
	r.createdNetwork = resp.ID
	r.mu.Unlock()
	r.report("network", name, "created", true)
	return resp.ID, nil
}

func (r *upRun) ensureVolumes(ctx context.Context) error {
	if len(r.t.Volumes) == 0 {
		return nil
	}
	existing, err := r.e.api.VolumeList(ctx, volume.ListOptions{})
	if err != nil {
		return fmt.Errorf("list volumes: %w", err)
	}
	byName := map[string]*volume.Volume{}
	for _, v := range existing.Volumes {
		byName[v.Name] = v
	}
	keys := make([]string, 0, len(r.t.Volumes))
	for k := range r.t.Volumes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return parallel(keys, func(key string) error {
		v := r.t.Volumes[key]
		if old, ok := byName[v.Name]; ok {
			if !ownedBy(old.Labels, r.t.Name) {
				return fmt.Errorf("volume %s already exists and does not belong to project %s; remove it or rename the volume", v.Name, r.t.Name)
			}
			r.report("volume", v.Name, "exists", true)
			return nil
		}
		labels := map[string]string{LabelProject: r.t.Name, LabelVolume: key}
		for k, val := range v.Labels {
			labels[k] = val
		}
		r.report("volume", v.Name, "creating", false)
		if err := ctx.Err(); err != nil {
			return err
		}
		cctx, cancel := r.e.detached(ctx)
		defer cancel()
		if _, err := r.e.api.VolumeCreate(cctx, volume.CreateOptions{Name: v.Name, Driver: v.Driver, Labels: labels}); err != nil {
			r.fail("volume", v.Name, err)
			return fmt.Errorf("create volume %s: %w", v.Name, r.e.callErr(err))
		}
		r.mu.Lock()
		r.createdVolumes = append(r.createdVolumes, v.Name)
		r.mu.Unlock()
		r.report("volume", v.Name, "created", true)
		return nil
	})
}

// step is what up does to one replica.
type step struct {
	spec   *containerSpec
	old    *container.Summary // the existing container, if any
	action string             // create, recreate, start, repair, keep
	id     string             // the container's id once it exists
}

type upPlan struct {
	steps  map[string][]*step // by service
	remove []container.Summary
}

func (p *upPlan) ids() map[string]string {
	ids := map[string]string{}
	for _, steps := range p.steps {
		for _, s := range steps {
			ids[s.id] = s.spec.Name
		}
	}
	return ids
}

// plan compares the desired containers with the project's existing ones by
// their config-hash label (compose's convergence): unchanged ones are kept,
// changed ones recreated, surplus replicas and (with RemoveOrphans) orphans
// removed.
func (r *upRun) plan(all []container.Summary) (*upPlan, error) {
	existing := map[string]container.Summary{}
	for _, c := range all {
		if ownedBy(c.Labels, r.t.Name) {
			existing[containerName(c)] = c
		}
	}
	p := &upPlan{steps: map[string][]*step{}}
	for _, name := range r.t.ServiceNames() {
		svc := r.t.Services[name]
		for n := 1; n <= svc.Replicas; n++ {
			spec, err := buildSpec(r.t, svc, n, r.imageIDs[svc.Image])
			if err != nil {
				return nil, err
			}
			s := &step{spec: spec, action: "create"}
			if old, ok := existing[spec.Name]; ok {
				delete(existing, spec.Name)
				s.old, s.id = &old, old.ID
				switch {
				case old.Labels[LabelConfigHash] != spec.Hash:
					s.action = "recreate"
				case old.State == container.StateRunning && onNetwork(old, r.t.Network.Name):
					s.action = "keep"
				default:
					s.action = "repair"
				}
			}
			p.steps[name] = append(p.steps[name], s)
		}
	}
	orphans := map[string]bool{}
	for _, c := range existing {
		svc := c.Labels[LabelService]
		if _, inFile := r.t.Services[svc]; inFile {
			p.remove = append(p.remove, c) // a surplus replica
			continue
		}
		orphans[svc] = true
		if r.opts.RemoveOrphans {
			p.remove = append(p.remove, c)
		}
	}
	for svc := range orphans {
		r.res.Orphans = append(r.res.Orphans, svc)
	}
	sort.Strings(r.res.Orphans)
	return p, nil
}

func onNetwork(c container.Summary, net string) bool {
	if c.NetworkSettings == nil {
		return false
	}
	_, ok := c.NetworkSettings.Networks[net]
	return ok
}

// apply removes what must go, creates every new container in parallel, then
// starts them as their depends_on allow (startAll).
func (r *upRun) apply(ctx context.Context, netID string, p *upPlan) error {
	if err := parallel(p.remove, func(c container.Summary) error {
		return r.e.removeContainer(ctx, c, nil)
	}); err != nil {
		return err
	}
	for _, c := range p.remove {
		r.res.Removed = append(r.res.Removed, containerName(c))
	}
	var all []*step
	for _, name := range r.t.ServiceNames() {
		all = append(all, p.steps[name]...)
	}
	if err := parallel(all, func(s *step) error { return r.prepare(ctx, netID, s) }); err != nil {
		return err
	}
	return r.startAll(ctx, p)
}

// prepare brings one replica to "exists, not yet started": create it, or
// remove and create it again when its definition changed.
func (r *upRun) prepare(ctx context.Context, netID string, s *step) error {
	name := s.spec.Name
	switch s.action {
	case "keep", "repair":
		return nil
	case "recreate":
		r.report("container", name, "recreating", false)
		if err := r.e.removeContainer(ctx, *s.old, nil); err != nil {
			return err
		}
	default:
		r.report("container", name, "creating", false)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cctx, cancel := r.e.detached(ctx)
	defer cancel()
	resp, err := r.e.api.ContainerCreate(cctx, s.spec.Config, s.spec.Host, s.spec.Net, nil, name)
	if err != nil {
		r.fail("container", name, err)
		return fmt.Errorf("create container %s (service %s): %w", name, s.spec.Service, r.e.callErr(err))
	}
	s.id = resp.ID
	r.mu.Lock()
	r.createdContainers = append(r.createdContainers, resp.ID)
	if s.action == "recreate" {
		r.res.Recreated = append(r.res.Recreated, name)
	} else {
		r.res.Created = append(r.res.Created, name)
	}
	r.mu.Unlock()
	r.report("container", name, "created", false)
	return nil
}

// start starts a created replica, or repairs drift on an existing one
// (stopped, paused or cut off the network behind chainctl's back).
func (r *upRun) start(ctx context.Context, s *step) error {
	name := s.spec.Name
	if s.action == "keep" {
		r.report("container", name, "running", true)
		r.mu.Lock()
		r.res.Unchanged = append(r.res.Unchanged, name)
		r.mu.Unlock()
		return nil
	}
	if s.action == "repair" {
		if err := r.e.repair(ctx, *s.old, r.t.Network.Name); err != nil {
			r.fail("container", name, err)
			return err
		}
	} else {
		r.report("container", name, "starting", false)
		if err := ctx.Err(); err != nil {
			return err
		}
		cctx, cancel := r.e.detached(ctx)
		defer cancel()
		if err := r.e.api.ContainerStart(cctx, s.id, container.StartOptions{}); err != nil {
			r.fail("container", name, err)
			return startError(s.spec, r.e.callErr(err))
		}
	}
	r.mu.Lock()
	r.res.Started = append(r.res.Started, name)
	r.mu.Unlock()
	r.report("container", name, "started", r.opts.NoWait)
	return nil
}

// startError turns the engine's port clash into one that names the port.
func startError(spec *containerSpec, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "port is already allocated") || strings.Contains(msg, "address already in use") {
		var ports []string
		for _, bs := range spec.Host.PortBindings {
			for _, b := range bs {
				if b.HostPort != "" {
					ports = append(ports, b.HostIP+":"+b.HostPort)
				}
			}
		}
		sort.Strings(ports)
		return fmt.Errorf("start %s (service %s): host port %s is already in use: %w", spec.Name, spec.Service, strings.Join(ports, ", "), err)
	}
	return fmt.Errorf("start %s (service %s): %w", spec.Name, spec.Service, err)
}

// rollback removes what this run created, newest first, on a context of its
// own so that it also runs after Ctrl-C.
func (r *upRun) rollback() error {
	ctx, cancel := context.WithTimeout(context.Background(), rollbackTimeout)
	defer cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	errs = append(errs, parallel(r.createdContainers, func(id string) error {
		err := r.e.api.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
		if gone(err) {
			return nil
		}
		return fmt.Errorf("remove container %s: %w", id[:12], err)
	}))
	errs = append(errs, parallel(r.createdVolumes, func(name string) error {
		err := r.e.api.VolumeRemove(ctx, name, true)
		if err == nil || cerrdefs.IsNotFound(err) {
			r.report("volume", name, "rolled back", true)
			return nil
		}
		return fmt.Errorf("remove volume %s: %w", name, err)
	}))
	if r.createdNetwork != "" {
		if err := r.e.removeNetwork(ctx, r.createdNetwork, r.t.Network.Name, r.t.Name); err != nil {
			errs = append(errs, err)
		} else {
			r.report("network", r.t.Network.Name, "rolled back", true)
		}
	}
	return errors.Join(errs...)
}

func (r *upRun) report(kind, name, status string, done bool) {
	r.e.progress.Report(progress.Event{Kind: kind, Resource: name, Status: status, Done: done})
}

func (r *upRun) fail(kind, name string, err error) {
	r.e.progress.Report(progress.Event{Kind: kind, Resource: name, Status: "failed", Detail: err.Error(), Failed: true})
}
