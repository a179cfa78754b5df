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
func (b *Backend) Heal(ctx context.Context, project string, services []string, opts engine.HealOptions) (res *engine.HealResult, err error) {
	s, opts, done, err := engine.BeginHeal(ctx, b.c, project, opts, b.chaosState)
	if err != nil {
		return nil, err
	}
	defer done()
	defer func() { b.recordHeal(ctx, project, res, err) }() // for chainctl events
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
	res = &engine.HealResult{Healed: netHealed}
	var items []*healItem
	for _, r := range reps {
		if f := s.fault(r); f == engine.FaultNone || f == engine.FaultRestarting || f == faultCompleted {
			res.Healthy = append(res.Healthy, r.name(project))
		} else {
			items = append(items, &healItem{r: r, fault: f})
		}
	}
	items, err = b.healInWaves(ctx, s, items)
	for _, it := range items {
		res.Healed = append(res.Healed, healedEntry(it.r.name(project), it.fault, it.note))
		res.Healthy = slices.DeleteFunc(res.Healthy, func(n string) bool { return n == it.r.name(project) })
	}
	if err != nil || opts.NoWait || len(items) == 0 {
		return res, err
	}
	wait := map[string]string{}
	for _, it := range items {
		wait[it.id] = it.r.name(project)
	}
	return res, b.waitReady(ctx, project, wait, opts.WaitTimeout, false, oneShots(s.t))
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
func (b *Backend) healReplica(ctx context.Context, s *chaosState, r replica, fault string) (id, note string, err error) {
	if r.c != nil {
		x := networkModeService(s.t.Services[r.service])
		if owner := s.replicaOne(x); x != "" && owner != "" && r.c.HostConfig.NetworkMode != "container:"+owner {
			// Its namespace's owner is a new container: only a new one joins it.
			if err := b.removeNow(ctx, *r.c); err != nil && !engine.Gone(err) {
				return "", "", fmt.Errorf("recreate %s in the namespace of %s: %w", r.name(s.project), x, err)
			}
			r.c = nil
		} else if fault == faultNamespace {
			secs := int(graceFor(*r.c, nil) / time.Second)
			if err := b.api.ContainerRestart(ctx, r.c.ID, container.StopOptions{Timeout: &secs}); err != nil {
				return r.c.ID, "", fmt.Errorf("restart %s into the namespace of %s: %w", r.name(s.project), x, err)
			}
			return r.c.ID, "", nil
		}
	}
	if r.c != nil {
		return r.c.ID, "", b.repair(ctx, *r.c, s.t)
	}
	svc := s.t.Services[r.service]
	imageID, err := engine.ImageID(ctx, b.api, svc.Image)
	if err != nil {
		return "", "", fmt.Errorf("recreate %s: image %s: %w", r.name(s.project), svc.Image, err)
	}
	spec, err := buildSpec(s.t, svc, r.n, imageID, b.api.ClientVersion())
	if err != nil {
		return "", "", err
	}
	note = s.imageDrift(r, svc.Image, imageID, func() map[string]string { return b.recordedImages(ctx, s.project) })
	b.c.Progress.Report(progress.Event{Kind: "container", Resource: spec.Name, Status: "recreating", Detail: note})
	id, err = b.createReplica(ctx, spec, s.replicaOne)
	if cerrdefs.IsConflict(err) {
		// A heal that was interrupted may be creating it right now.
		if sid, ok := b.adoptStraggler(ctx, spec.Name, s.project); ok {
			id, err = sid, nil
		}
	}
	if err != nil {
		if id != "" { // created, not ready to start: heal again makes it anew
			_ = b.api.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
		}
		return "", note, fmt.Errorf("recreate %s: %w", spec.Name, err)
	}
	if err := b.api.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		return id, note, startError(spec, err)
	}
	return id, note, nil
}

// replicaOne is the id of the service's replica 1 ("" when it has none),
// for network_mode service:x: the one heal made, else the one listed.
func (s *chaosState) replicaOne(service string) string {
	if id := s.healed[service]; id != "" {
		return id
	}
	for _, c := range s.cs {
		if c.Labels[engine.LabelService] == service && engine.ReplicaOf(c.Labels) == 1 {
			return c.ID
		}
	}
	return ""
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
