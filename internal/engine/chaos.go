package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/progress"
	"github.com/chainctl/chainctl/internal/topology"
)

// Break modes, each one Engine API call.
const (
	ModeKill       = "kill"
	ModeStop       = "stop"
	ModePause      = "pause"
	ModeDisconnect = "disconnect"
	ModeRemove     = "remove"
	ModeRestart    = "restart"
	ModeScaleZero  = "scale-zero" // swarm only: replicas to 0
)

// dockerBreakModes and swarmBreakModes are what each backend can inject.
var (
	dockerBreakModes = []string{ModeKill, ModeStop, ModePause, ModeDisconnect, ModeRemove, ModeRestart}
	swarmBreakModes  = []string{ModeKill, ModeScaleZero, ModeRemove, ModePause, ModeDisconnect}
)

// BreakModes lists the modes of the plain Docker backend.
func (e *Engine) BreakModes() []string { return dockerBreakModes }

// checkMode says which modes a backend supports when asked for another.
func checkMode(kind, mode string, modes []string) error {
	for _, m := range modes {
		if m == mode {
			return nil
		}
	}
	return fmt.Errorf("break mode %q is not supported on %s (modes there: %s)", mode, kind, strings.Join(modes, ", "))
}

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

func (t Target) String() string {
	if t.Replica == 0 {
		return t.Service
	}
	return fmt.Sprintf("%s/%d", t.Service, t.Replica)
}

// BreakOptions tune `chainctl break`.
type BreakOptions struct {
	Mode   string
	Signal string // for kill; default SIGKILL
}

// BreakResult says what was broken and who feels it.
type BreakResult struct {
	Broken         []string // containers
	AlreadyBroken  []string // "abc-c-1 (killed)": left alone
	Affected       []string // services that call a broken one, directly or not
	AffectedByName map[string][]string
}

// chaosState is what break and heal work from: the project's containers and
// the topology recorded on the engine, no file needed.
type chaosState struct {
	project string
	t       *topology.Topology
	cs      []container.Summary
}

func (e *Engine) chaosState(ctx context.Context, project string) (*chaosState, error) {
	cs, err := e.containers(ctx, project)
	if err != nil {
		return nil, err
	}
	t, err := e.recordedTopology(ctx, project, cs)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 && len(t.Services) == 0 {
		return nil, fmt.Errorf("project %s not found on this engine (see `chainctl ls`)", project)
	}
	return &chaosState{project: project, t: t, cs: cs}, nil
}

// replica is one container slot: the container if it exists, else nil
// (removed).
type replica struct {
	service string
	n       int
	c       *container.Summary
}

func (r replica) name(project string) string { return ContainerName(project, r.service, r.n) }

// select resolves targets to replicas; an unknown service lists the known.
func (s *chaosState) selectReplicas(targets []Target) ([]replica, error) {
	byName := map[string]*container.Summary{}
	for i := range s.cs {
		byName[containerName(s.cs[i])] = &s.cs[i]
	}
	var out []replica
	var errs []error
	for _, tg := range targets {
		svc, ok := s.t.Services[tg.Service]
		if !ok {
			errs = append(errs, fmt.Errorf("no service %q in project %s (services: %s)", tg.Service, s.project, strings.Join(s.t.ServiceNames(), ", ")))
			continue
		}
		if tg.Replica > svc.Replicas {
			errs = append(errs, fmt.Errorf("%s: service %s has %d replica(s)", tg, tg.Service, svc.Replicas))
			continue
		}
		for n := 1; n <= svc.Replicas; n++ {
			if tg.Replica == 0 || tg.Replica == n {
				out = append(out, replica{service: tg.Service, n: n, c: byName[ContainerName(s.project, tg.Service, n)]})
			}
		}
	}
	return out, errors.Join(errs...)
}

func (s *chaosState) fault(r replica) string {
	if r.c == nil {
		return FaultRemoved
	}
	return fault(*r.c, s.t.Network.Name)
}

// Break injects a fault into the target replicas through the Engine API.
// Replicas that are already broken are left as they are.
func (e *Engine) Break(ctx context.Context, project string, targets []Target, opts BreakOptions) (*BreakResult, error) {
	if opts.Mode == "" {
		opts.Mode = ModeKill
	}
	if err := checkMode(KindDocker, opts.Mode, dockerBreakModes); err != nil {
		return nil, err
	}
	unlock, err := e.lockProject(ctx, project)
	if err != nil {
		return nil, err
	}
	defer unlock()
	s, err := e.chaosState(ctx, project)
	if err != nil {
		return nil, err
	}
	reps, err := s.selectReplicas(targets)
	if err != nil {
		return nil, err
	}
	res := &BreakResult{AffectedByName: map[string][]string{}}
	var todo []replica
	for _, r := range reps {
		if f := s.fault(r); f != FaultNone {
			res.AlreadyBroken = append(res.AlreadyBroken, fmt.Sprintf("%s (%s)", r.name(project), f))
			continue
		}
		todo = append(todo, r)
	}
	err = parallel(todo, func(r replica) error { return e.inject(ctx, s, r, opts) })
	affected := map[string]bool{}
	for _, r := range todo {
		res.Broken = append(res.Broken, r.name(project))
		callers := s.t.Callers(r.service)
		res.AffectedByName[r.service] = callers
		for _, c := range callers {
			affected[c] = true
		}
	}
	for c := range affected {
		res.Affected = append(res.Affected, c)
	}
	sort.Strings(res.Affected)
	return res, err
}

func (e *Engine) inject(ctx context.Context, s *chaosState, r replica, opts BreakOptions) error {
	c := *r.c
	name := containerName(c)
	e.progress.Report(progress.Event{Kind: "container", Resource: name, Status: "breaking", Detail: opts.Mode})
	var err error
	switch opts.Mode {
	case ModeKill:
		sig := opts.Signal
		if sig == "" {
			sig = "SIGKILL"
		}
		err = e.api.ContainerKill(ctx, c.ID, sig)
	case ModeStop:
		secs := int(graceFor(c, nil) / time.Second)
		err = e.api.ContainerStop(ctx, c.ID, container.StopOptions{Timeout: &secs})
	case ModePause:
		err = e.api.ContainerPause(ctx, c.ID)
	case ModeDisconnect:
		err = e.api.NetworkDisconnect(ctx, s.t.Network.Name, c.ID, true)
	case ModeRemove:
		err = e.api.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
	case ModeRestart:
		zero := 0 // a crash and a come-back, not a graceful restart
		err = e.api.ContainerRestart(ctx, c.ID, container.StopOptions{Timeout: &zero})
	}
	if err != nil {
		e.progress.Report(progress.Event{Kind: "container", Resource: name, Status: "failed", Detail: err.Error(), Failed: true})
		return fmt.Errorf("break %s (%s): %w", name, opts.Mode, err)
	}
	e.progress.Report(progress.Event{Kind: "container", Resource: name, Status: "broken", Detail: opts.Mode, Done: true})
	return nil
}

// HealOptions tune `chainctl heal`.
type HealOptions struct {
	NoWait      bool
	WaitTimeout time.Duration
}

// HealResult says what heal undid.
type HealResult struct {
	Healed  []string // "abc-c-1 (killed)"
	Healthy []string // already fine: left alone
}

// Heal undoes whatever fault each replica of the services shows (all
// services when none is named) and waits until they are healthy again.
func (e *Engine) Heal(ctx context.Context, project string, services []string, opts HealOptions) (*HealResult, error) {
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = DefaultWaitTimeout
	}
	unlock, err := e.lockProject(ctx, project)
	if err != nil {
		return nil, err
	}
	defer unlock()
	s, err := e.chaosState(ctx, project)
	if err != nil {
		return nil, err
	}
	if len(services) == 0 {
		services = s.t.ServiceNames()
	}
	targets := make([]Target, len(services))
	for i, svc := range services {
		if targets[i], err = ParseTarget(svc); err != nil {
			return nil, err
		}
	}
	reps, err := s.selectReplicas(targets)
	if err != nil {
		return nil, err
	}
	res := &HealResult{}
	var todo []replica
	for _, r := range reps {
		if f := s.fault(r); f == FaultNone || f == FaultRestarting {
			res.Healthy = append(res.Healthy, r.name(project))
		} else {
			todo = append(todo, r)
			res.Healed = append(res.Healed, fmt.Sprintf("%s (%s)", r.name(project), f))
		}
	}
	ids := make([]string, len(todo))
	err = parallel(indexes(len(todo)), func(i int) error {
		id, err := e.healReplica(ctx, s, todo[i])
		ids[i] = id
		return err
	})
	if err != nil || opts.NoWait || len(todo) == 0 {
		return res, err
	}
	wait := map[string]string{}
	for i, r := range todo {
		wait[ids[i]] = r.name(project)
	}
	return res, e.waitReady(ctx, project, wait, opts.WaitTimeout, false)
}

// healReplica repairs one replica and returns its container id; a removed
// replica is recreated from the spec recorded on the engine.
func (e *Engine) healReplica(ctx context.Context, s *chaosState, r replica) (string, error) {
	if r.c != nil {
		return r.c.ID, e.repair(ctx, *r.c, s.t.Network.Name)
	}
	svc := s.t.Services[r.service]
	imageID, err := e.imageID(ctx, svc.Image)
	if err != nil {
		return "", fmt.Errorf("recreate %s: image %s: %w", r.name(s.project), svc.Image, err)
	}
	spec, err := buildSpec(s.t, svc, r.n, imageID)
	if err != nil {
		return "", err
	}
	e.progress.Report(progress.Event{Kind: "container", Resource: spec.Name, Status: "recreating"})
	resp, err := e.api.ContainerCreate(ctx, spec.Config, spec.Host, spec.Net, nil, spec.Name)
	if cerrdefs.IsConflict(err) {
		// A heal that was interrupted may be creating it right now.
		if id, ok := e.adoptStraggler(ctx, spec.Name, s.project); ok {
			resp.ID, err = id, nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("recreate %s: %w", spec.Name, err)
	}
	if err := e.api.ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
		return resp.ID, startError(spec, err)
	}
	return resp.ID, nil
}

// Endpoint returns the URL of a service's first published TCP port. With
// service "" it picks the entry: a service with a published port that no
// other service calls.
func (e *Engine) Endpoint(ctx context.Context, project, service string) (string, string, error) {
	s, err := e.chaosState(ctx, project)
	if err != nil {
		return "", "", err
	}
	if service == "" {
		service = entryService(s.t)
		if service == "" {
			return "", "", fmt.Errorf("project %s has no service with a published port that nobody calls; name the service to call", project)
		}
	} else if _, ok := s.t.Services[service]; !ok {
		return "", "", fmt.Errorf("no service %q in project %s (services: %s)", service, project, strings.Join(s.t.ServiceNames(), ", "))
	}
	for _, c := range s.cs {
		if c.Labels[LabelService] != service {
			continue
		}
		if eps := endpoints(c); len(eps) > 0 {
			return service, eps[0], nil
		}
	}
	// No running container publishes it (broken entry): use the fixed port
	// from the spec so the call fails the way a user's curl would.
	for _, p := range s.t.Services[service].Ports {
		if p.HostPort != "" && p.Protocol == "tcp" && !strings.Contains(p.HostPort, "-") {
			ip := p.HostIP
			if ip == "" || ip == "0.0.0.0" {
				ip = "127.0.0.1"
			}
			return service, "http://" + ip + ":" + p.HostPort, nil
		}
	}
	return service, "", &NotServingError{Service: service}
}

// NotServingError says the service to call has no published port up now
// (it is broken, or publishes an engine-chosen port and is not running).
type NotServingError struct{ Service string }

func (e *NotServingError) Error() string {
	return fmt.Sprintf("service %s has no published port up now", e.Service)
}

func entryService(t *topology.Topology) string {
	called := map[string]bool{}
	for _, svc := range t.Services {
		for _, c := range svc.Calls {
			called[c.Service] = true
		}
	}
	for _, name := range t.ServiceNames() {
		if !called[name] && len(t.Services[name].Ports) > 0 {
			return name
		}
	}
	return ""
}

// adoptStraggler waits briefly for a container whose name is taken to show
// up (the engine reserves the name before the container can be inspected)
// and returns it if it is the project's own.
func (e *Engine) adoptStraggler(ctx context.Context, name, project string) (string, bool) {
	deadline := time.Now().Add(stragglerWindow)
	for {
		ins, err := e.api.ContainerInspect(ctx, name)
		if err == nil {
			return ins.ID, ins.Config != nil && ownedBy(ins.Config.Labels, project)
		}
		if !cerrdefs.IsNotFound(err) || time.Now().After(deadline) {
			return "", false
		}
		select {
		case <-ctx.Done():
			return "", false
		case <-time.After(pollInterval):
		}
	}
}
