package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"

	"github.com/chainctl/chainctl/internal/topology"
)

// containers lists every container of the project, running or not, in one
// call.
func (e *Engine) containers(ctx context.Context, project string) ([]container.Summary, error) {
	cs, err := e.api.ContainerList(ctx, container.ListOptions{All: true, Filters: projectFilter(project)})
	if err != nil {
		return nil, fmt.Errorf("list containers of project %s: %w", project, err)
	}
	sort.Slice(cs, func(i, j int) bool { return containerName(cs[i]) < containerName(cs[j]) })
	return cs, nil
}

func (e *Engine) networks(ctx context.Context, project string) ([]network.Summary, error) {
	ns, err := e.api.NetworkList(ctx, network.ListOptions{Filters: projectFilter(project)})
	if err != nil {
		return nil, fmt.Errorf("list networks of project %s: %w", project, err)
	}
	return ns, nil
}

func (e *Engine) volumes(ctx context.Context, project string) ([]*volume.Volume, error) {
	vs, err := e.api.VolumeList(ctx, volume.ListOptions{Filters: projectFilter(project)})
	if err != nil {
		return nil, fmt.Errorf("list volumes of project %s: %w", project, err)
	}
	return vs.Volumes, nil
}

// containerName is the name without the leading slash the API adds.
func containerName(c container.Summary) string {
	if len(c.Names) == 0 {
		return c.ID[:12]
	}
	return strings.TrimPrefix(c.Names[0], "/")
}

func replicaOf(labels map[string]string) int {
	n, _ := strconv.Atoi(labels[LabelReplica])
	return n
}

// recordedTopology rebuilds the project's topology from what the engine
// holds: the topology stored on the network when it was created, updated
// with the service specs carried by the containers (newer when a service
// changed since). Break, heal, call and down need no file this way.
func (e *Engine) recordedTopology(ctx context.Context, project string, cs []container.Summary) (*topology.Topology, error) {
	t, err := e.storedTopology(ctx, project)
	if err != nil {
		return nil, err
	}
	if t == nil {
		t = &topology.Topology{Name: project, Network: topology.Network{Name: project + "-net"}}
	}
	if t.Services == nil {
		t.Services = map[string]*topology.Service{}
	}
	newest := map[string]int64{}
	for _, c := range cs {
		name := c.Labels[LabelService]
		if c.Created < newest[name] {
			continue
		}
		svc := serviceSpec(c)
		if svc == nil {
			continue // a damaged label must not stop teardown
		}
		t.Services[name] = svc
		newest[name] = c.Created
	}
	return t, nil
}

// serviceSpec reads the service definition a container was created from.
func serviceSpec(c container.Summary) *topology.Service {
	raw := c.Labels[LabelServiceSpec]
	if raw == "" {
		return nil
	}
	svc := &topology.Service{}
	if err := json.Unmarshal([]byte(raw), svc); err != nil {
		return nil
	}
	return svc
}
