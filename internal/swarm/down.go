// Down on a swarm: remove the services, wait for their tasks to drain, then the network, volumes and records.

package swarm

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/swarm"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/netfault"
	"github.com/chainctl/chainctl/internal/progress"
)

// swarmDrainTimeout bounds the wait for a removed service's tasks to stop,
// after which the network still has endpoints and cannot go.
const swarmDrainTimeout = 60 * time.Second

// Down removes the project's services, waits until their tasks are gone,
// then removes the overlay network, the volumes on this node (unless
// KeepVolumes) and the topology record. Only objects with the project's
// label are touched; running it twice is fine.
func (s *Backend) Down(ctx context.Context, project string, opts engine.DownOptions) (*engine.DownResult, error) {
	unlock, err := s.c.Lock(ctx, project)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.down(ctx, project, opts)
}

func (s *Backend) down(ctx context.Context, project string, opts engine.DownOptions) (*engine.DownResult, error) {
	res := &engine.DownResult{}
	helpers, err := netfault.Helpers(ctx, s.api, project)
	if err != nil {
		return res, err
	}
	if _, err := s.injector().RemoveAll(ctx, helpers); err != nil {
		return res, err
	}
	svcs, err := s.services(ctx, project)
	if err != nil {
		return res, err
	}
	err = engine.Parallel(mapValues(svcs), func(svc swarm.Service) error {
		s.c.Progress.Report(progress.Event{Kind: "service", Resource: svc.Spec.Name, Status: "removing"})
		if err := s.api.ServiceRemove(ctx, svc.ID); err != nil && !engine.Gone(err) {
			return fmt.Errorf("remove service %s: %w", svc.Spec.Name, err)
		}
		s.c.Progress.Report(progress.Event{Kind: "service", Resource: svc.Spec.Name, Status: "removed", Done: true})
		return nil
	})
	for name := range svcs {
		res.Services = append(res.Services, name)
	}
	sort.Strings(res.Services)
	if err != nil {
		return res, err
	}
	deadline := time.Now().Add(swarmDrainTimeout)
	if err := s.drain(ctx, project, deadline); err != nil {
		return res, err
	}
	if err := s.removeNetworks(ctx, project, res, deadline); err != nil {
		return res, err
	}
	if !opts.KeepVolumes {
		if err := s.removeVolumes(ctx, project, res, deadline); err != nil {
			return res, err
		}
	}
	cs, err := s.configs(ctx, project)
	if err != nil {
		return res, err
	}
	for _, c := range cs {
		if err := s.api.ConfigRemove(ctx, c.ID); err != nil && !cerrdefs.IsNotFound(err) {
			return res, fmt.Errorf("remove topology record %s: %w", c.Spec.Name, err)
		}
	}
	return res, nil
}

// pollInterval is how often a swarm wait looks: a snapshot is four list
// calls, and the swarm converges in seconds.
const pollInterval = 250 * time.Millisecond

// poll is engine.Poll for a swarm wait that says, past its deadline, what it
// still waited for.
func poll(ctx context.Context, deadline time.Time, check func() (done bool, waiting string, err error)) error {
	var waiting string
	err := engine.Poll(ctx, pollInterval, deadline, func() (bool, error) {
		done, w, err := check()
		waiting = w
		return done, err
	})
	if errors.Is(err, engine.ErrPollDeadline) {
		return fmt.Errorf("gave up waiting for %s", waiting)
	}
	return err
}

// drain waits until the removed services' task containers are gone from
// this node: the swarm stops them asynchronously, and until then the
// network and the volumes are in use. (Tasks on other nodes hold the
// network too; removeNetworks waits for those.)
func (s *Backend) drain(ctx context.Context, project string, deadline time.Time) error {
	return poll(ctx, deadline, func() (bool, string, error) {
		cs, err := engine.Containers(ctx, s.api, project)
		return len(cs) == 0, fmt.Sprintf("the %d task containers of project %s here to go", len(cs), project), err
	})
}

// removeNetworks removes the project's overlay networks and waits until
// the swarm has really deleted them (removal on a manager is
// asynchronous), retrying while endpoints linger (compose#10295).
func (s *Backend) removeNetworks(ctx context.Context, project string, res *engine.DownResult, deadline time.Time) error {
	removed := map[string]bool{}
	return poll(ctx, deadline, func() (bool, string, error) {
		ns, err := engine.Networks(ctx, s.api, project)
		if err != nil {
			return false, "", err
		}
		var left []string
		for _, n := range ns {
			left = append(left, n.Name)
			err := s.api.NetworkRemove(ctx, n.ID)
			switch {
			case err == nil || cerrdefs.IsNotFound(err):
				if !removed[n.Name] {
					removed[n.Name] = true
					res.Networks = append(res.Networks, n.Name)
					s.c.Progress.Report(progress.Event{Kind: "network", Resource: n.Name, Status: "removed", Done: true})
				}
			case strings.Contains(err.Error(), "active endpoints"):
			default:
				return false, "", fmt.Errorf("remove network %s: %w", n.Name, err)
			}
		}
		return len(ns) == 0, "network " + strings.Join(left, ", ") + " to go", nil
	})
}

// removeVolumes removes the project's volumes on this node, retrying while
// a stopping task still holds one. Volumes that tasks created on other
// nodes stay there: the Engine API of a manager cannot reach them.
func (s *Backend) removeVolumes(ctx context.Context, project string, res *engine.DownResult, deadline time.Time) error {
	return poll(ctx, deadline, func() (bool, string, error) {
		vs, err := engine.Volumes(ctx, s.api, project)
		if err != nil {
			return false, "", err
		}
		var busy []string
		for _, v := range vs {
			err := s.api.VolumeRemove(ctx, v.Name, false)
			switch {
			case err == nil || cerrdefs.IsNotFound(err):
				res.Volumes = append(res.Volumes, v.Name)
			case cerrdefs.IsConflict(err):
				busy = append(busy, v.Name)
			default:
				return false, "", fmt.Errorf("remove volume %s: %w", v.Name, err)
			}
		}
		return len(busy) == 0, "volume " + strings.Join(busy, ", ") + " to be released", nil
	})
}
