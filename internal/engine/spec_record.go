package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/volume"

	"github.com/chainctl/chainctl/internal/topology"
)

// The topology a project was last brought up with is recorded on the
// engine, so that ps, break, heal, call and down work without the file and
// can recreate a removed container exactly. Labels cannot change once an
// object exists, so each revision is an empty volume whose labels hold it:
// <project>-spec-<hash>. The network's label keeps the first revision as a
// fallback.

func specVolumeName(project, hash string) string {
	return fmt.Sprintf("%s-spec-%s", project, hash)
}

// recordSpec stores t as the project's current revision and drops older
// ones. It runs after a successful up, so a failed up keeps the old one.
func (e *Engine) recordSpec(ctx context.Context, t *topology.Topology) error {
	raw, err := json.Marshal(t)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	hash := hex.EncodeToString(sum[:6])
	old, err := e.specVolumes(ctx, t.Name)
	if err != nil {
		return err
	}
	current := false
	for _, v := range old {
		current = current || v.Labels[LabelSpec] == hash
	}
	if !current {
		_, err := e.api.VolumeCreate(ctx, volume.CreateOptions{
			Name:   specVolumeName(t.Name, hash),
			Labels: map[string]string{LabelProject: t.Name, LabelSpec: hash, LabelTopology: string(raw)},
		})
		if err != nil {
			return fmt.Errorf("record the topology of %s: %w", t.Name, err)
		}
	}
	for _, v := range old {
		if v.Labels[LabelSpec] != hash {
			if err := e.api.VolumeRemove(ctx, v.Name, true); err != nil && !cerrdefs.IsNotFound(err) {
				return fmt.Errorf("remove old topology record %s: %w", v.Name, err)
			}
		}
	}
	return nil
}

// specVolumes lists the project's spec volumes, newest first.
func (e *Engine) specVolumes(ctx context.Context, project string) ([]*volume.Volume, error) {
	vs, err := e.api.VolumeList(ctx, volume.ListOptions{Filters: projectFilter(project, filters.Arg("label", LabelSpec))})
	if err != nil {
		return nil, fmt.Errorf("list topology records of %s: %w", project, err)
	}
	sort.Slice(vs.Volumes, func(i, j int) bool { return vs.Volumes[i].CreatedAt > vs.Volumes[j].CreatedAt })
	return vs.Volumes, nil
}

// storedTopology reads the newest recorded revision, else the network's.
func (e *Engine) storedTopology(ctx context.Context, project string) (*topology.Topology, error) {
	vs, err := e.specVolumes(ctx, project)
	if err != nil {
		return nil, err
	}
	sources := make([]map[string]string, 0, len(vs)+1)
	for _, v := range vs {
		sources = append(sources, v.Labels)
	}
	ns, err := e.networks(ctx, project)
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		sources = append(sources, n.Labels)
	}
	for _, labels := range sources {
		if raw := labels[LabelTopology]; raw != "" {
			t := &topology.Topology{}
			if err := json.Unmarshal([]byte(raw), t); err == nil {
				return t, nil
			}
		}
	}
	return nil, nil
}
