// Lookups by label: a project's containers, networks and volumes, and what a container's labels say.

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

// Containers lists every container of the project's services, running or
// not, in one call, by name; helpers (LabelRole) are left out.
func Containers(ctx context.Context, api ContainerAPI, project string) ([]container.Summary, error) {
	all, err := api.ContainerList(ctx, container.ListOptions{All: true, Filters: ProjectFilter(project)})
	if err != nil {
		return nil, fmt.Errorf("list containers of project %s: %w", project, err)
	}
	cs := all[:0]
	for _, c := range all {
		if c.Labels[LabelRole] == "" {
			cs = append(cs, c)
		}
	}
	sort.Slice(cs, func(i, j int) bool { return NameOf(cs[i]) < NameOf(cs[j]) })
	return cs, nil
}

// Networks lists the project's networks.
func Networks(ctx context.Context, api NetworkAPI, project string) ([]network.Summary, error) {
	ns, err := api.NetworkList(ctx, network.ListOptions{Filters: ProjectFilter(project)})
	if err != nil {
		return nil, fmt.Errorf("list networks of project %s: %w", project, err)
	}
	return ns, nil
}

// Volumes lists the project's volumes.
func Volumes(ctx context.Context, api VolumeAPI, project string) ([]*volume.Volume, error) {
	vs, err := api.VolumeList(ctx, volume.ListOptions{Filters: ProjectFilter(project)})
	if err != nil {
		return nil, fmt.Errorf("list volumes of project %s: %w", project, err)
	}
	return vs.Volumes, nil
}

// ContainerName is <project>-<service>-<n>, as compose names them.
func ContainerName(project, service string, replica int) string {
	return fmt.Sprintf("%s-%s-%d", project, service, replica)
}

// ReplicaName is the name of one replica's container: the service's
// container_name (a service that sets one has one replica), else
// ContainerName. Lookups go by labels; only create and the name checks
// before it use it.
func ReplicaName(project string, svc *topology.Service, replica int) string {
	if svc.ContainerName != "" {
		return svc.ContainerName
	}
	return ContainerName(project, svc.Name, replica)
}

// NameOf is a listed container's name without the leading slash the API adds.
func NameOf(c container.Summary) string {
	if len(c.Names) == 0 {
		return c.ID[:12]
	}
	return strings.TrimPrefix(c.Names[0], "/")
}

// ReplicaOf reads the replica number from a container's labels.
func ReplicaOf(labels map[string]string) int {
	n, _ := strconv.Atoi(labels[LabelReplica])
	return n
}

// ServiceSpec reads the service definition a container was created from
// (nil when the label is missing or damaged).
func ServiceSpec(c container.Summary) *topology.Service {
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

// OnNetwork reports whether a listed container is attached to the network.
func OnNetwork(c container.Summary, net string) bool {
	if c.NetworkSettings == nil {
		return false
	}
	_, ok := c.NetworkSettings.Networks[net]
	return ok
}

// ShortID is the 12-character form of an ID.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
