// Prepare and Build: a plan's builds and pulls run, two at a time, every image mapped to its ID.

package image

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

// concurrency bounds the builds and pulls that run at once.
const concurrency = 2

// Prepare builds and pulls what the topology's images need and maps every
// image to its ID, as engine.ResolveImages does (up's config hash
// includes these IDs: a rebuilt image recreates its service). With
// DryRun it builds and pulls nothing and maps only the images there.
func (m *Images) Prepare(ctx context.Context, t *topology.Topology, opts engine.UpOptions) (map[string]string, error) {
	p, err := m.Plan(ctx, t, opts)
	if err != nil || opts.DryRun {
		if p == nil {
			return nil, err
		}
		return p.IDs(), err
	}
	return m.Apply(ctx, t, p)
}

// Build builds the images of the named services (every service with a
// build when none is named), even when they are there: `chainctl build`.
func (m *Images) Build(ctx context.Context, t *topology.Topology, services []string) error {
	steps, err := buildSteps(t, services)
	if err != nil {
		return err
	}
	if len(steps) == 0 {
		m.report("project", t.Name, "nothing to build: no service has a build section", "", true)
		return nil
	}
	if m.lock != nil {
		unlock, err := m.lock(ctx, t.Name)
		if err != nil {
			return err
		}
		defer unlock()
	}
	_, err = m.Apply(ctx, t, &Plan{Images: steps})
	return err
}

// Apply runs the plan's builds and pulls, two at a time, and maps every
// image to its ID. Every failure is reported, not just the first.
func (m *Images) Apply(ctx context.Context, t *topology.Topology, p *Plan) (map[string]string, error) {
	ids := p.IDs()
	if m.authErr != nil && slices.ContainsFunc(p.Images, func(s Step) bool { return s.Action != ActionUse }) {
		return ids, m.authErr
	}
	var mu sync.Mutex
	sem := make(chan struct{}, concurrency)
	err := engine.Parallel(p.Images, func(s Step) error {
		if s.Action == ActionUse {
			return nil
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return fmt.Errorf("image %s: %w", s.Image, ctx.Err())
		}
		defer func() { <-sem }()
		var id string
		var err error
		if s.Action == ActionBuild {
			id, err = m.buildImage(ctx, t, t.Services[s.Service], s.Image)
		} else {
			id, err = m.pullImage(ctx, s, t.Services[s.Service].Platform)
		}
		if err != nil {
			return err
		}
		mu.Lock()
		ids[s.Image] = id
		mu.Unlock()
		return nil
	})
	return ids, err
}

// buildSteps is one build step per image of the named services; unknown
// names and services without build are refused.
func buildSteps(t *topology.Topology, services []string) ([]Step, error) {
	var errs []error
	for _, name := range services {
		svc, ok := t.Services[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("service %s: not in project %s (services: %s)", name, t.Name, strings.Join(t.ServiceNames(), ", ")))
		case svc.Build == nil:
			errs = append(errs, fmt.Errorf("service %s: has no build section; its image %s is pulled or used as it is, not built", name, svc.Image))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(services) == 0 {
		services = t.ServiceNames()
	}
	seen := map[string]bool{}
	var steps []Step
	for _, name := range slices.Sorted(slices.Values(services)) {
		svc := t.Services[name]
		img := Ref(t, svc)
		if svc.Build == nil || seen[img] {
			continue
		}
		seen[img] = true
		steps = append(steps, Step{Image: img, Action: ActionBuild, Service: name, Services: usersOf(t, img), Reason: "chainctl build"})
	}
	return steps, nil
}
