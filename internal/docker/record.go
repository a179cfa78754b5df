// The recorded topology on plain docker: spec volumes, and the network's label as a fallback.

package docker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

// Labels cannot change once an object exists, so each revision of the
// record is an empty volume whose labels hold it: <project>-spec-<hash>.
// The network's label keeps the first revision as a fallback.

// recordSpec stores t as the project's current revision and drops older
// ones. It runs after a successful up, so a failed up keeps the old one.
func (b *Backend) recordSpec(ctx context.Context, t *topology.Topology, imageIDs map[string]string) error {
	raw, hash, err := engine.EncodeTopology(t)
	if err != nil {
		return err
	}
	// The images the containers were made from are part of the record: a
	// rebuilt image is a new revision, and heal can say that a tag moved.
	images, _ := json.Marshal(imageIDs)
	sum := sha256.Sum256(append([]byte(hash), images...))
	hash = hex.EncodeToString(sum[:6])
	old, err := b.specVolumes(ctx, t.Name)
	if err != nil {
		return err
	}
	current := false
	for _, v := range old {
		current = current || v.Labels[engine.LabelSpec] == hash
	}
	if !current {
		_, err := b.api.VolumeCreate(ctx, volume.CreateOptions{
			Name:   engine.RecordName(t.Name, hash),
			Labels: map[string]string{engine.LabelProject: t.Name, engine.LabelSpec: hash, engine.LabelTopology: string(raw), labelImages: string(images)},
		})
		if err != nil {
			return fmt.Errorf("record the topology of %s: %w", t.Name, err)
		}
	}
	for _, v := range old {
		if v.Labels[engine.LabelSpec] != hash {
			if err := b.api.VolumeRemove(ctx, v.Name, true); err != nil && !cerrdefs.IsNotFound(err) {
				return fmt.Errorf("remove old topology record %s: %w", v.Name, err)
			}
		}
	}
	return nil
}

// specVolumes lists the project's spec volumes, newest first.
func (b *Backend) specVolumes(ctx context.Context, project string) ([]*volume.Volume, error) {
	vs, err := b.api.VolumeList(ctx, volume.ListOptions{Filters: engine.ProjectFilter(project, filters.Arg("label", engine.LabelSpec))})
	if err != nil {
		return nil, fmt.Errorf("list topology records of %s: %w", project, err)
	}
	sort.Slice(vs.Volumes, func(i, j int) bool { return vs.Volumes[i].CreatedAt > vs.Volumes[j].CreatedAt })
	return vs.Volumes, nil
}

// storedTopology reads the newest recorded revision, else a network's;
// with neither, the networks' own labels say which is which.
func (b *Backend) storedTopology(ctx context.Context, project string) (*topology.Topology, error) {
	vs, err := b.specVolumes(ctx, project)
	if err != nil {
		return nil, err
	}
	sources := make([]map[string]string, 0, len(vs)+1)
	for _, v := range vs {
		sources = append(sources, v.Labels)
	}
	ns, err := engine.Networks(ctx, b.api, project)
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		sources = append(sources, n.Labels)
	}
	for _, labels := range sources {
		if raw := labels[engine.LabelTopology]; raw != "" {
			if t, err := engine.DecodeTopology([]byte(raw)); err == nil {
				return t, nil
			}
		}
	}
	return bareTopology(project, ns), nil
}

// bareTopology is what is known of a project without any record: its
// networks, by the key up labelled each with (a chainctl topology's
// default network, <project>-net, when none says default).
func bareTopology(project string, ns []network.Summary) *topology.Topology {
	t := &topology.Topology{Name: project, Network: topology.Network{Name: project + "-net"}}
	for _, n := range ns {
		switch key := n.Labels[labelNetwork]; key {
		case "":
		case topology.DefaultNetworkKey:
			t.Network = topology.Network{Name: n.Name}
		default:
			if t.Networks == nil {
				t.Networks = map[string]topology.Network{}
			}
			t.Networks[key] = topology.Network{Name: n.Name}
		}
	}
	return t
}

// recordedTopology rebuilds the project's topology from what the engine
// holds: the topology stored when it was brought up, updated with the
// service specs carried by the containers (newer when a service changed
// since). Break, heal, call and down need no file this way.
func (b *Backend) recordedTopology(ctx context.Context, project string, cs []container.Summary) (*topology.Topology, error) {
	t, err := b.storedTopology(ctx, project)
	if err != nil {
		return nil, err
	}
	if t.Services == nil {
		t.Services = map[string]*topology.Service{}
	}
	newest := map[string]int64{}
	for _, c := range cs {
		name := c.Labels[engine.LabelService]
		if c.Created < newest[name] {
			continue
		}
		svc := engine.ServiceSpec(c)
		if svc == nil {
			continue // a damaged label must not stop teardown
		}
		t.Services[name] = svc
		newest[name] = c.Created
	}
	return t, nil
}

// snapshot is the project's containers and its recorded topology, from one
// container list (and the record's lookups).
func (b *Backend) snapshot(ctx context.Context, project string) ([]container.Summary, *topology.Topology, error) {
	cs, err := engine.Containers(ctx, b.api, project)
	if err != nil {
		return nil, nil, err
	}
	t, err := b.recordedTopology(ctx, project, cs)
	return cs, t, err
}

// labelImages holds, on a record, the image ID each image reference named
// when the project was brought up.
const labelImages = "io.chainctl.images"

// recordedImages reads the image IDs of the newest record (none: an older
// chainctl made it).
func (b *Backend) recordedImages(ctx context.Context, project string) map[string]string {
	vs, err := b.specVolumes(ctx, project)
	out := map[string]string{}
	if err != nil || len(vs) == 0 {
		return out
	}
	_ = json.Unmarshal([]byte(vs[0].Labels[labelImages]), &out)
	return out
}
