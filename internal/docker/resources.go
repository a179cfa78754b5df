// Up's networks and volumes: every project network the services join, the named volumes, and the external ones checked but never made.

package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

// labelNetwork holds, on a network chainctl created, its key in the file.
const labelNetwork = "io.chainctl.network"

// projectNetwork is one network the topology's services join.
type projectNetwork struct {
	Key string
	topology.Network
}

// usedNetworks are the networks the services join: the default one first
// (only when a service joins it), then the others by key.
func usedNetworks(t *topology.Topology) []projectNetwork {
	used := map[string]topology.Network{}
	for _, svc := range t.Services {
		for _, a := range t.NetworksOf(svc) {
			if n, ok := t.Networks[a.Key]; ok && a.Key != topology.DefaultNetworkKey {
				used[a.Key] = n
			} else {
				used[topology.DefaultNetworkKey] = t.Network
			}
		}
	}
	var out []projectNetwork
	if n, ok := used[topology.DefaultNetworkKey]; ok {
		out = append(out, projectNetwork{Key: topology.DefaultNetworkKey, Network: n})
		delete(used, topology.DefaultNetworkKey)
	}
	for _, k := range slices.Sorted(maps.Keys(used)) {
		out = append(out, projectNetwork{Key: k, Network: used[k]})
	}
	return out
}

// externalNames are the engine names of the topology's external networks
// and volumes: never created, relabelled or removed.
func externalNames(t *topology.Topology) map[string]bool {
	out := map[string]bool{}
	if t.Network.External {
		out["network:"+t.Network.Name] = true
	}
	for _, n := range t.Networks {
		if n.External {
			out["network:"+n.Name] = true
		}
	}
	for _, v := range t.Volumes {
		if v.External {
			out["volume:"+v.Name] = true
		}
	}
	return out
}

// findNetwork is the network named exactly name ("" when there is none);
// the name filter also matches substrings.
func (b *Backend) findNetwork(ctx context.Context, name string) (network.Summary, bool, error) {
	ns, err := b.api.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", name))})
	if err != nil {
		return network.Summary{}, false, fmt.Errorf("list networks: %w", err)
	}
	for _, n := range ns {
		if n.Name == name {
			return n, true, nil
		}
	}
	return network.Summary{}, false, nil
}

// checkExternal fails, before anything is created, when an external
// network or volume the topology uses does not exist.
func (r *upRun) checkExternal(ctx context.Context) []error {
	var errs []error
	for _, n := range usedNetworks(r.t) {
		if !n.External {
			continue
		}
		if _, ok, err := r.b.findNetwork(ctx, n.Name); err != nil {
			errs = append(errs, err)
		} else if !ok {
			errs = append(errs, fmt.Errorf("network %s is external (networks.%s.external) but does not exist on this engine: create it (`docker network create %s`) or drop external so that up creates it", n.Name, n.Key, n.Name))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.t.Volumes)) {
		v := r.t.Volumes[k]
		if !v.External {
			continue
		}
		if _, err := r.b.api.VolumeInspect(ctx, v.Name); cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("volume %s is external (volumes.%s.external) but does not exist on this engine: create it (`docker volume create %s`) or drop external so that up creates it", v.Name, k, v.Name))
		} else if err != nil {
			errs = append(errs, fmt.Errorf("inspect volume %s: %w", v.Name, err))
		}
	}
	return errs
}

// ensureNetworks creates every network the services join that is missing,
// and checks that the ones that exist are the project's.
func (r *upRun) ensureNetworks(ctx context.Context) error {
	spec, err := json.Marshal(r.t)
	if err != nil {
		return err
	}
	return engine.Parallel(usedNetworks(r.t), func(n projectNetwork) error {
		if n.External {
			r.b.c.Report("network", n.Name, "external", true)
			return nil
		}
		return r.ensureNetwork(ctx, n, string(spec))
	})
}

func (r *upRun) ensureNetwork(ctx context.Context, n projectNetwork, spec string) error {
	old, ok, err := r.b.findNetwork(ctx, n.Name)
	if err != nil {
		return err
	}
	if ok {
		if !engine.OwnedBy(old.Labels, r.t.Name) {
			return fmt.Errorf("network %s already exists and does not belong to project %s; remove it, rename the network in the file, or mark it external to use it as it is", n.Name, r.t.Name)
		}
		r.b.c.Report("network", n.Name, "exists", true)
		return nil
	}
	labels := map[string]string{}
	maps.Copy(labels, n.Labels)
	labels[engine.LabelProject] = r.t.Name
	labels[engine.LabelTopology] = spec // the record's fallback, on every network up makes
	labels[labelNetwork] = n.Key
	opts := network.CreateOptions{
		Driver:     n.Driver,
		Options:    n.DriverOpts,
		Internal:   n.Internal,
		Attachable: n.Attachable,
		Labels:     labels,
	}
	if opts.Driver == "" {
		opts.Driver = "bridge"
	}
	if n.EnableIPv6 {
		on := true
		opts.EnableIPv6 = &on
	}
	if n.Subnet != "" {
		opts.IPAM = &network.IPAM{Config: []network.IPAMConfig{{Subnet: n.Subnet, Gateway: n.Gateway}}}
	}
	r.b.c.Report("network", n.Name, "creating", false)
	if err := ctx.Err(); err != nil {
		return err
	}
	cctx, cancel := r.b.c.Detached(ctx)
	defer cancel()
	resp, err := r.b.api.NetworkCreate(cctx, n.Name, opts)
	if err != nil {
		r.b.c.Fail("network", n.Name, err)
		return fmt.Errorf("create network %s: %w", n.Name, r.b.c.CallErr(err))
	}
	r.mu.Lock()
	r.createdNetworks = append(r.createdNetworks, createdNetwork{id: resp.ID, name: n.Name})
	r.mu.Unlock()
	r.b.c.Report("network", n.Name, "created", true)
	return nil
}

// createdNetwork is a network this up made, for the rollback.
type createdNetwork struct{ id, name string }

func (r *upRun) ensureVolumes(ctx context.Context) error {
	if len(r.t.Volumes) == 0 {
		return nil
	}
	existing, err := r.b.api.VolumeList(ctx, volume.ListOptions{})
	if err != nil {
		return fmt.Errorf("list volumes: %w", err)
	}
	byName := map[string]*volume.Volume{}
	for _, v := range existing.Volumes {
		byName[v.Name] = v
	}
	keys := slices.Sorted(maps.Keys(r.t.Volumes))
	return engine.Parallel(keys, func(key string) error {
		v := r.t.Volumes[key]
		if v.External {
			r.b.c.Report("volume", v.Name, "external", true)
			return nil
		}
		if old, ok := byName[v.Name]; ok {
			if !engine.OwnedBy(old.Labels, r.t.Name) {
				return fmt.Errorf("volume %s already exists and does not belong to project %s; remove it, rename the volume, or mark it external to use it as it is", v.Name, r.t.Name)
			}
			r.b.c.Report("volume", v.Name, "exists", true)
			return nil
		}
		return r.createVolume(ctx, key, v)
	})
}

func (r *upRun) createVolume(ctx context.Context, key string, v topology.Volume) error {
	labels := map[string]string{}
	maps.Copy(labels, v.Labels)
	labels[engine.LabelProject] = r.t.Name
	labels[engine.LabelVolume] = key
	r.b.c.Report("volume", v.Name, "creating", false)
	if err := ctx.Err(); err != nil {
		return err
	}
	cctx, cancel := r.b.c.Detached(ctx)
	defer cancel()
	if _, err := r.b.api.VolumeCreate(cctx, volume.CreateOptions{Name: v.Name, Driver: v.Driver, DriverOpts: v.DriverOpts, Labels: labels}); err != nil {
		r.b.c.Fail("volume", v.Name, err)
		return fmt.Errorf("create volume %s: %w", v.Name, r.b.c.CallErr(err))
	}
	r.mu.Lock()
	r.createdVolumes = append(r.createdVolumes, v.Name)
	r.mu.Unlock()
	r.b.c.Report("volume", v.Name, "created", true)
	return nil
}

// rollbackNetworks removes the networks this up made.
func (r *upRun) rollbackNetworks(ctx context.Context) error {
	var errs []error
	for _, n := range r.createdNetworks {
		if err := r.b.removeNetwork(ctx, n.id, n.name, r.t.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		r.b.c.Report("network", n.name, "rolled back", true)
	}
	return errors.Join(errs...)
}
