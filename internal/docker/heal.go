// Heal: undo whatever fault each replica shows, recreating removed ones from the recorded spec.

package docker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/progress"
)

// Heal undoes whatever fault each replica of the services shows (all
// services when none is named) and waits until they are healthy again.
func (b *Backend) Heal(ctx context.Context, project string, services []string, opts engine.HealOptions) (*engine.HealResult, error) {
	s, opts, done, err := engine.BeginHeal(ctx, b.c, project, opts, b.chaosState)
	if err != nil {
		return nil, err
	}
	defer done()
	netHealed, err := b.netHeal(ctx, project, services, opts.Partition)
	if err != nil || opts.Partition {
		return &engine.HealResult{Healed: netHealed}, err
	}
	if len(services) == 0 {
		services = s.t.ServiceNames()
	}
	targets, err := engine.ParseTargets(services)
	if err != nil {
		return nil, err
	}
	reps, err := s.selectReplicas(targets)
	if err != nil {
		return nil, err
	}
	res := &engine.HealResult{Healed: netHealed}
	var todo []replica
	var faults []string
	for _, r := range reps {
		if f := s.fault(r); f == engine.FaultNone || f == engine.FaultRestarting {
			res.Healthy = append(res.Healthy, r.name(project))
		} else {
			todo, faults = append(todo, r), append(faults, f)
		}
	}
	ids, notes := make([]string, len(todo)), make([]string, len(todo))
	err = engine.Parallel(engine.Indexes(len(todo)), func(i int) error {
		var err error
		ids[i], notes[i], err = b.healReplica(ctx, s, todo[i])
		return err
	})
	for i, r := range todo {
		res.Healed = append(res.Healed, healedEntry(r.name(project), faults[i], notes[i]))
	}
	if err != nil || opts.NoWait || len(todo) == 0 {
		return res, err
	}
	wait := map[string]string{}
	for i, r := range todo {
		wait[ids[i]] = r.name(project)
	}
	return res, b.waitReady(ctx, project, wait, opts.WaitTimeout, false)
}

// healedEntry is one line of the heal result: "p-c-1 (removed)", with what
// heal could not restore as it was after a semicolon.
func healedEntry(name, fault, note string) string {
	if note == "" {
		return fmt.Sprintf("%s (%s)", name, fault)
	}
	return fmt.Sprintf("%s (%s; %s)", name, fault, note)
}

// healReplica repairs one replica and returns its container id; a removed
// replica is recreated from the spec recorded on the engine, and the note
// says where the new container differs from the one removed.
func (b *Backend) healReplica(ctx context.Context, s *chaosState, r replica) (id, note string, err error) {
	if r.c != nil {
		return r.c.ID, "", b.repair(ctx, *r.c, s.t.Network.Name)
	}
	svc := s.t.Services[r.service]
	imageID, err := engine.ImageID(ctx, b.api, svc.Image)
	if err != nil {
		return "", "", fmt.Errorf("recreate %s: image %s: %w", r.name(s.project), svc.Image, err)
	}
	spec, err := buildSpec(s.t, svc, r.n, imageID)
	if err != nil {
		return "", "", err
	}
	note = s.imageDrift(r, svc.Image, imageID, func() map[string]string { return b.recordedImages(ctx, s.project) })
	b.c.Progress.Report(progress.Event{Kind: "container", Resource: spec.Name, Status: "recreating", Detail: note})
	resp, err := b.api.ContainerCreate(ctx, spec.Config, spec.Host, spec.Net, nil, spec.Name)
	if cerrdefs.IsConflict(err) {
		// A heal that was interrupted may be creating it right now.
		if id, ok := b.adoptStraggler(ctx, spec.Name, s.project); ok {
			resp.ID, err = id, nil
		}
	}
	if err != nil {
		return "", note, fmt.Errorf("recreate %s: %w", spec.Name, err)
	}
	if err := b.api.ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
		return resp.ID, note, startError(spec, err)
	}
	return resp.ID, note, nil
}

// imageDrift says, when the service's other replicas run another image
// than the one its tag names now, that the recreated replica runs the new
// one: the removed container is gone, and the image id is part of the
// config hash, so the replicas that remain are the record of what it ran.
// It is "" when they agree, or when no replica remains to ask.
func (s *chaosState) imageDrift(r replica, image, imageID string, recorded func() map[string]string) string {
	var ran []string
	for _, c := range s.cs {
		if c.Labels[engine.LabelService] == r.service && c.ImageID != "" && c.ImageID != imageID && !slices.Contains(ran, shortImageID(c.ImageID)) {
			ran = append(ran, shortImageID(c.ImageID))
		}
	}
	if len(ran) > 0 {
		return fmt.Sprintf("the image %s is now %s, the other replicas of %s run %s: recreated with the new image, its config hash differs",
			image, shortImageID(imageID), r.service, strings.Join(ran, ", "))
	}
	if s.hasReplicas(r.service) {
		return ""
	}
	// No replica left to ask: the record of the last up says what it ran.
	if rec := recorded()[image]; rec != "" && rec != imageID {
		return fmt.Sprintf("the image %s is now %s, the project was brought up with %s: recreated with the new image, its config hash differs",
			image, shortImageID(imageID), shortImageID(rec))
	}
	return ""
}

// hasReplicas reports whether any container of the service remains.
func (s *chaosState) hasReplicas(service string) bool {
	return slices.ContainsFunc(s.cs, func(c container.Summary) bool { return c.Labels[engine.LabelService] == service })
}

// shortImageID is sha256: and the first 12 hex digits of an image id.
func shortImageID(id string) string {
	algo, hex, ok := strings.Cut(id, ":")
	if !ok {
		algo, hex = "sha256", id
	}
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return algo + ":" + hex
}

// stragglerWindow bounds the wait for a container whose name is taken to
// become visible.
const stragglerWindow = 2 * time.Second

// adoptStraggler waits briefly for a container whose name is taken to show
// up (the engine reserves the name before the container can be inspected)
// and returns it if it is the project's own.
func (b *Backend) adoptStraggler(ctx context.Context, name, project string) (string, bool) {
	var id string
	var owned bool
	err := engine.Poll(ctx, engine.PollInterval, time.Now().Add(stragglerWindow), func() (bool, error) {
		ins, err := b.api.ContainerInspect(ctx, name)
		if err == nil {
			id, owned = ins.ID, ins.Config != nil && engine.OwnedBy(ins.Config.Labels, project)
			return true, nil
		}
		if !cerrdefs.IsNotFound(err) {
			return false, err
		}
		return false, nil
	})
	return id, err == nil && owned
}
