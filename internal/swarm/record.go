// The recorded topology on a swarm: a config per revision, cluster-wide, with the last up's overrides.

package swarm

import (
	"context"
	"fmt"
	"sort"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/swarm"
)

// recordSpec stores the topology as a swarm config <project>-spec-<hash>
// (configs are immutable and cluster-wide: heal can recreate a removed
// service from any manager) and drops older revisions.
func (s *Backend) recordSpec(ctx context.Context, t *topology.Topology, opts engine.UpOptions) error {
	raw, hash, err := engine.EncodeTopology(t)
	if err != nil {
		return err
	}
	old, err := s.configs(ctx, t.Name)
	if err != nil {
		return err
	}
	current := false
	for _, c := range old {
		current = current || c.Spec.Labels[engine.LabelSpec] == hash
	}
	if !current {
		labels := map[string]string{engine.LabelProject: t.Name, engine.LabelSpec: hash,
			labelEndpointMode: opts.EndpointMode, labelPublishMode: opts.PublishMode}
		_, err := s.api.ConfigCreate(ctx, swarm.ConfigSpec{
			Annotations: swarm.Annotations{Name: engine.RecordName(t.Name, hash), Labels: labels},
			Data:        raw,
		})
		if err != nil {
			return fmt.Errorf("record the topology of %s: %w", t.Name, err)
		}
	}
	for _, c := range old {
		if c.Spec.Labels[engine.LabelSpec] != hash {
			if err := s.api.ConfigRemove(ctx, c.ID); err != nil && !cerrdefs.IsNotFound(err) {
				return fmt.Errorf("remove old topology record %s: %w", c.Spec.Name, err)
			}
		}
	}
	return nil
}

// The --endpoint-mode and --publish-mode of the last up, kept on its
// topology record: a later up without them must not undo them.
const (
	labelEndpointMode = "io.chainctl.endpoint-mode"
	labelPublishMode  = "io.chainctl.publish-mode"
)

// rememberOverrides fills the flags the command line left empty from the
// project's last up.
func (s *Backend) rememberOverrides(ctx context.Context, project string, opts *engine.UpOptions) error {
	cs, err := s.configs(ctx, project)
	if err != nil || len(cs) == 0 {
		return err
	}
	if opts.EndpointMode == "" {
		opts.EndpointMode = cs[0].Spec.Labels[labelEndpointMode]
	}
	if opts.PublishMode == "" {
		opts.PublishMode = cs[0].Spec.Labels[labelPublishMode]
	}
	return nil
}

// configs lists the project's topology records, newest first.
func (s *Backend) configs(ctx context.Context, project string) ([]swarm.Config, error) {
	cs, err := s.api.ConfigList(ctx, swarm.ConfigListOptions{Filters: engine.ProjectFilter(project)})
	if err != nil {
		return nil, fmt.Errorf("list topology records of %s: %w", project, err)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].CreatedAt.After(cs[j].CreatedAt) })
	return cs, nil
}

// storedTopology reads the topology the project was last brought up with.
func (s *Backend) storedTopology(ctx context.Context, project string) (*topology.Topology, error) {
	cs, err := s.configs(ctx, project)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("project %s not found on this swarm (see `chainctl ls`)", project)
	}
	t, err := engine.DecodeTopology(cs[0].Spec.Data)
	if err != nil {
		return nil, fmt.Errorf("read the recorded topology of %s: %w", project, err)
	}
	return t, nil
}
