// Down: remove everything that carries the project's label, and nothing else.

package docker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	dimage "github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/image"
	"github.com/chainctl/chainctl/internal/netfault"
)

// Down removes everything that carries the project's label — containers,
// networks and, unless KeepVolumes, volumes — and nothing else. It works
// without the topology file, after a failed or interrupted up, and twice.
func (b *Backend) Down(ctx context.Context, project string, opts engine.DownOptions) (*engine.DownResult, error) {
	unlock, err := b.c.Lock(ctx, project)
	if err != nil {
		return nil, err
	}
	defer unlock()
	res := &engine.DownResult{}
	// Pass again until a pass finds nothing: a create sent by an up that
	// was interrupted (not killed) may still land during the first one.
	const passes = 3
	for pass := 0; pass < passes; pass++ {
		found, err := b.downPass(ctx, project, opts, res)
		if err != nil {
			return res, err
		}
		if !found {
			break
		}
	}
	if opts.RemoveImages {
		return res, b.removeImages(ctx, project, res)
	}
	return res, nil
}

// removeImages removes the images chainctl built for the project (their
// label says so); one that a container outside the project still uses is
// kept, and said.
func (b *Backend) removeImages(ctx context.Context, project string, res *engine.DownResult) error {
	imgs, err := b.api.ImageList(ctx, dimage.ListOptions{Filters: filters.NewArgs(filters.Arg("label", image.LabelProject+"="+project))})
	if err != nil {
		return fmt.Errorf("list the project's images: %w", err)
	}
	var errs []error
	for _, im := range imgs {
		refs := im.RepoTags // removing the last tag removes the image
		if len(refs) == 0 {
			refs = []string{im.ID}
		}
		for _, ref := range refs {
			b.c.Report("image", ref, "removing", false)
			_, err := b.api.ImageRemove(ctx, ref, dimage.RemoveOptions{PruneChildren: true})
			if err != nil && !cerrdefs.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("remove image %s (kept): %w", ref, err))
				continue
			}
			b.c.Report("image", ref, "removed", true)
			res.Images = append(res.Images, ref)
		}
	}
	return errors.Join(errs...)
}

// downPass removes what the project has now and says whether it found
// anything.
func (b *Backend) downPass(ctx context.Context, project string, opts engine.DownOptions, res *engine.DownResult) (bool, error) {
	if err := b.removeHelpers(ctx, project, res); err != nil {
		return true, err
	}
	cs, t, err := b.snapshot(ctx, project)
	if err != nil {
		return false, err
	}
	callersFirst(cs, t.ReverseLevels())
	if err := b.sweepContainers(ctx, project, cs, opts.Timeout, res); err != nil {
		return true, err
	}
	found := len(cs) > 0

	ns, err := engine.Networks(ctx, b.api, project)
	if err != nil {
		return found, err
	}
	found = found || len(ns) > 0
	external := externalNames(t)
	var errs []error
	for _, n := range ns {
		if external["network:"+n.Name] {
			continue // the file says it is not the project's to remove, whatever its labels
		}
		b.c.Report("network", n.Name, "removing", false)
		if err := b.removeNetwork(ctx, n.ID, n.Name, project); err != nil {
			errs = append(errs, err)
			continue
		}
		res.Networks = append(res.Networks, n.Name)
		b.c.Report("network", n.Name, "removed", true)
	}
	vs, err := engine.Volumes(ctx, b.api, project)
	if err != nil {
		return found, errors.Join(append(errs, err)...)
	}
	for _, v := range vs {
		if isRecord(v) { // chainctl's record of a break or heal: gone with the project, not one of its volumes
			found = true
			errs = append(errs, b.removeRecord(ctx, v.Name))
			continue
		}
		if opts.KeepVolumes && v.Labels[engine.LabelSpec] == "" || external["volume:"+v.Name] {
			continue // data is kept (the topology record goes with the project), and an external volume is never ours
		}
		found = true
		err := b.api.VolumeRemove(ctx, v.Name, false)
		if cerrdefs.IsConflict(err) {
			// In use: by a container an interrupted up had in flight; sweep again.
			if serr := b.sweepContainers(ctx, project, nil, opts.Timeout, res); serr != nil {
				errs = append(errs, serr)
			}
			err = b.api.VolumeRemove(ctx, v.Name, false)
		}
		if err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove volume %s: %w", v.Name, err))
			continue
		}
		res.Volumes = append(res.Volumes, v.Name)
		b.c.Report("volume", v.Name, "removed", true)
	}
	return found, errors.Join(errs...)
}

// sweepContainers removes cs, then lists again until no container of the
// project is left: a create that an interrupted up had sent may land on the
// engine after the first list.
func (b *Backend) sweepContainers(ctx context.Context, project string, cs []container.Summary, grace *time.Duration, res *engine.DownResult) error {
	const passes = 5
	for pass := 0; pass < passes; pass++ {
		if cs == nil || pass > 0 {
			var err error
			if cs, err = engine.Containers(ctx, b.api, project); err != nil {
				return err
			}
		}
		if len(cs) == 0 {
			return nil
		}
		if err := b.removeAll(ctx, cs, grace); err != nil {
			return err
		}
		for _, c := range cs {
			res.Containers = append(res.Containers, engine.NameOf(c))
		}
	}
	return nil
}

// callersFirst orders cs level by level, callers before callees, so that
// removeAll takes a chain off its networks from its entry.
func callersFirst(cs []container.Summary, levels [][]string) {
	rank := map[string]int{}
	for i, level := range levels {
		for _, svc := range level {
			rank[svc] = i
		}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		return rank[cs[i].Labels[engine.LabelService]] < rank[cs[j].Labels[engine.LabelService]]
	})
}

// networkBusyWait bounds how long a network whose only endpoints are the
// project's own (containers still going away) is tried again.
const networkBusyWait = 10 * time.Second

// removeNetwork removes one of the project's networks. "Active endpoints"
// has three causes, each handled apart: the project's own containers still
// going away (tried again, compose#10295), containers of someone else
// (named, never touched), and a count of endpoints above the endpoints
// there are (dockerd 20.10 loses a decrement when many endpoints of one
// network go at once, which removeAll avoids; only a restart recounts).
func (b *Backend) removeNetwork(ctx context.Context, id, name, project string) error {
	var attached int
	err := engine.Poll(ctx, engine.PollInterval, time.Now().Add(networkBusyWait), func() (bool, error) {
		err := b.api.NetworkRemove(ctx, id)
		if err == nil || cerrdefs.IsNotFound(err) {
			return true, nil
		}
		if !strings.Contains(err.Error(), "active endpoints") {
			return false, fmt.Errorf("remove network %s: %w", name, err)
		}
		ins, ierr := b.api.NetworkInspect(ctx, id, network.InspectOptions{})
		if cerrdefs.IsNotFound(ierr) {
			return true, nil
		}
		if ierr != nil {
			return false, fmt.Errorf("remove network %s: %w (and inspecting it: %v)", name, err, ierr)
		}
		attached = len(ins.Containers)
		if foreign := b.foreignEndpoints(ctx, ins, project); len(foreign) > 0 {
			return false, fmt.Errorf("network %s has containers attached that are not project %s's: %s; chainctl does not touch them: disconnect them (`docker network disconnect %s CONTAINER`) and run down again",
				name, project, strings.Join(foreign, ", "), name)
		}
		return false, nil
	})
	if !errors.Is(err, engine.ErrPollDeadline) {
		return err
	}
	if attached == 0 {
		return fmt.Errorf("network %s: the engine reports active endpoints but shows no container on it: its count of the network's endpoints went wrong (a dockerd 20.10 fault when many leave at once, RELIABILITY.md), and only a restart recounts them; everything else is removed, `up` still works on the network, and after `systemctl restart docker` (or a new dockerd) `chainctl down -p %s` finishes the job", name, project)
	}
	return fmt.Errorf("network %s: project %s's containers are still attached after %s; run down again", name, project, networkBusyWait)
}

// foreignEndpoints names the containers on a network that are not the
// project's.
func (b *Backend) foreignEndpoints(ctx context.Context, ins network.Inspect, project string) []string {
	var foreign []string
	for cid, ep := range ins.Containers {
		c, err := b.api.ContainerInspect(ctx, cid)
		if err == nil && c.Config != nil && !engine.OwnedBy(c.Config.Labels, project) {
			foreign = append(foreign, ep.Name)
		}
	}
	sort.Strings(foreign)
	return foreign
}

// removeHelpers removes the project's network-fault helpers at once: their
// targets are going away, and their rules with the targets' namespaces.
func (b *Backend) removeHelpers(ctx context.Context, project string, res *engine.DownResult) error {
	helpers, err := netfault.Helpers(ctx, b.api, project)
	if err != nil {
		return err
	}
	names, err := b.injector().RemoveAll(ctx, helpers)
	res.Containers = append(res.Containers, names...)
	return err
}
