// Finding a project's helpers, telling a stale one, and removing one so that nothing stays in the target's namespace.

package netfault

import (
	"context"
	"fmt"
	"sort"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/netfault/spec"
)

// Helper is one helper on the engine and what it holds.
type Helper struct {
	Container container.Summary
	Job       spec.Job
	Target    string // the target container's ID
	Started   string // the target's StartedAt when the fault went on
}

// Name is the helper's container name.
func (h Helper) Name() string { return engine.NameOf(h.Container) }

// Helpers lists the project's helpers, in any state, by name. A helper
// whose job label cannot be read still comes back (with a zero job), so
// that it can be removed.
func Helpers(ctx context.Context, api engine.ContainerAPI, project string) ([]Helper, error) {
	cs, err := api.ContainerList(ctx, container.ListOptions{All: true, Filters: engine.ProjectFilter(project,
		filters.Arg("label", engine.LabelRole+"="+engine.RoleNetfault))})
	if err != nil {
		return nil, fmt.Errorf("list the network-fault helpers of project %s: %w", project, err)
	}
	out := make([]Helper, 0, len(cs))
	for _, c := range cs {
		if !engine.OwnedBy(c.Labels, project) {
			continue
		}
		h := Helper{Container: c, Target: c.Labels[LabelTarget], Started: c.Labels[LabelStarted]}
		h.Job, _ = spec.Decode(c.Labels[LabelJob])
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// InForce reports whether the helper's fault still acts on its target: the
// helper runs and the target has not restarted since (a restart gives the
// target a new namespace, without the rules).
func InForce(h Helper, target container.InspectResponse) bool {
	return h.Container.State == container.StateRunning && target.State != nil && target.State.Running &&
		target.ID == h.Target && target.State.StartedAt == h.Started
}

// stopGrace is how long a helper has to clear its rules on SIGTERM.
const stopGrace = 5

// Remove stops a helper with SIGTERM, so that it clears what it added, and
// removes it. A helper that did not say it cleared (it was killed, or
// crashed) may have left rules in the target's namespace: a one-shot
// `netfault clear` there removes them while the target runs. It runs on a
// context Ctrl-C cannot cut, so a fault never stays half removed.
func (in Injector) Remove(ctx context.Context, h Helper) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*in.Conn.CallTimeout)
	defer cancel()
	name := h.Name()
	in.Conn.Report("netfault", name, "removing", false)
	if h.Container.State == container.StateRunning {
		secs := stopGrace
		if err := in.API.ContainerStop(ctx, h.Container.ID, container.StopOptions{Timeout: &secs}); !engine.Gone(err) {
			return fmt.Errorf("stop network-fault helper %s: %w", name, err)
		}
	}
	st, err := in.status(ctx, h.Container.ID)
	if err != nil && !cerrdefs.IsNotFound(err) {
		return err
	}
	if !st.Cleared {
		if err := in.clear(ctx, h); err != nil {
			return err
		}
	}
	if err := in.API.ContainerRemove(ctx, h.Container.ID, container.RemoveOptions{Force: true}); !engine.Gone(err) {
		return fmt.Errorf("remove network-fault helper %s: %w", name, err)
	}
	in.Conn.Report("netfault", name, "removed", true)
	return nil
}

// clearTimeout bounds the one-shot clear.
const clearTimeout = 20 * time.Second

// clear runs `netfault clear` in the target's namespace, if the target
// still runs (a stopped or removed target took its namespace with it).
func (in Injector) clear(ctx context.Context, h Helper) error {
	ins, err := in.API.ContainerInspect(ctx, h.Target)
	if cerrdefs.IsNotFound(err) || (err == nil && (ins.State == nil || !ins.State.Running)) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("inspect the target of %s: %w", h.Name(), err)
	}
	name := h.Name() + "-clear"
	cfg := &container.Config{Image: Image, Cmd: []string{"clear"}, Labels: map[string]string{
		engine.LabelProject: h.Container.Labels[engine.LabelProject], engine.LabelRole: engine.RoleNetfault,
		engine.LabelService: h.Container.Labels[engine.LabelService], LabelTarget: h.Target,
	}}
	host := &container.HostConfig{NetworkMode: container.NetworkMode("container:" + h.Target), CapDrop: []string{"ALL"},
		CapAdd: []string{"NET_ADMIN"}, ReadonlyRootfs: true, SecurityOpt: []string{"no-new-privileges"}}
	resp, err := in.API.ContainerCreate(ctx, cfg, host, nil, nil, name)
	if cerrdefs.IsConflict(err) { // a clear left by an interrupted heal: replace it
		_ = in.API.ContainerRemove(ctx, name, container.RemoveOptions{Force: true})
		resp, err = in.API.ContainerCreate(ctx, cfg, host, nil, nil, name)
	}
	if err != nil {
		return fmt.Errorf("clear what %s left in %s's namespace: %w", h.Name(), engine.ShortID(h.Target), err)
	}
	defer in.API.ContainerRemove(ctx, resp.ID, container.RemoveOptions{Force: true})
	if err := in.API.ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
		return fmt.Errorf("clear what %s left: %w", h.Name(), err)
	}
	var st Status
	err = engine.Poll(ctx, engine.PollInterval, time.Now().Add(clearTimeout), func() (bool, error) {
		var err error
		st, err = in.status(ctx, resp.ID)
		return st.Cleared || st.Error != "", err
	})
	switch {
	case err != nil:
		return fmt.Errorf("clear what %s left: %w", h.Name(), err)
	case st.Error != "":
		return fmt.Errorf("clear what %s left: %s", h.Name(), st.Error)
	}
	return nil
}
