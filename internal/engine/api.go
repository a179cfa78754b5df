// The narrow slices of the Docker client that chainctl uses, one per kind of object.

package engine

import (
	"context"
	"io"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ContainerAPI is what chainctl does to containers.
type ContainerAPI interface {
	ContainerCreate(ctx context.Context, cfg *container.Config, host *container.HostConfig, net *network.NetworkingConfig, platform *ocispec.Platform, name string) (container.CreateResponse, error)
	ContainerList(ctx context.Context, opts container.ListOptions) ([]container.Summary, error)
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
	ContainerStart(ctx context.Context, id string, opts container.StartOptions) error
	ContainerStop(ctx context.Context, id string, opts container.StopOptions) error
	ContainerKill(ctx context.Context, id, signal string) error
	ContainerRestart(ctx context.Context, id string, opts container.StopOptions) error
	ContainerPause(ctx context.Context, id string) error
	ContainerUnpause(ctx context.Context, id string) error
	ContainerRemove(ctx context.Context, id string, opts container.RemoveOptions) error
	ContainerRename(ctx context.Context, id, newName string) error
	ContainerLogs(ctx context.Context, id string, opts container.LogsOptions) (io.ReadCloser, error)
}

// NetworkAPI is what chainctl does to networks.
type NetworkAPI interface {
	NetworkCreate(ctx context.Context, name string, opts network.CreateOptions) (network.CreateResponse, error)
	NetworkList(ctx context.Context, opts network.ListOptions) ([]network.Summary, error)
	NetworkRemove(ctx context.Context, id string) error
	NetworkInspect(ctx context.Context, id string, opts network.InspectOptions) (network.Inspect, error)
	NetworkConnect(ctx context.Context, networkID, containerID string, cfg *network.EndpointSettings) error
	NetworkDisconnect(ctx context.Context, networkID, containerID string, force bool) error
}

// VolumeAPI is what chainctl does to volumes.
type VolumeAPI interface {
	VolumeCreate(ctx context.Context, opts volume.CreateOptions) (volume.Volume, error)
	VolumeList(ctx context.Context, opts volume.ListOptions) (volume.ListResponse, error)
	VolumeRemove(ctx context.Context, id string, force bool) error
	VolumeInspect(ctx context.Context, id string) (volume.Volume, error)
}

// ImageAPI finds (and, where a registry answers, pulls) images.
type ImageAPI interface {
	ImageInspect(ctx context.Context, ref string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImagePull(ctx context.Context, ref string, opts image.PullOptions) (io.ReadCloser, error)
	// The images chainctl built, for down --rmi local.
	ImageList(ctx context.Context, opts image.ListOptions) ([]image.Summary, error)
	ImageRemove(ctx context.Context, ref string, opts image.RemoveOptions) ([]image.DeleteResponse, error)
}

// SwarmAPI is what the swarm backend does besides containers, networks and
// volumes: services, tasks, nodes and the configs that record topologies.
type SwarmAPI interface {
	Info(ctx context.Context) (system.Info, error)
	NodeList(ctx context.Context, opts swarm.NodeListOptions) ([]swarm.Node, error)
	ServiceCreate(ctx context.Context, spec swarm.ServiceSpec, opts swarm.ServiceCreateOptions) (swarm.ServiceCreateResponse, error)
	ServiceList(ctx context.Context, opts swarm.ServiceListOptions) ([]swarm.Service, error)
	ServiceUpdate(ctx context.Context, id string, version swarm.Version, spec swarm.ServiceSpec, opts swarm.ServiceUpdateOptions) (swarm.ServiceUpdateResponse, error)
	ServiceRemove(ctx context.Context, id string) error
	ServiceLogs(ctx context.Context, id string, opts container.LogsOptions) (io.ReadCloser, error)
	TaskList(ctx context.Context, opts swarm.TaskListOptions) ([]swarm.Task, error)
	ConfigCreate(ctx context.Context, spec swarm.ConfigSpec) (swarm.ConfigCreateResponse, error)
	ConfigList(ctx context.Context, opts swarm.ConfigListOptions) ([]swarm.Config, error)
	ConfigRemove(ctx context.Context, id string) error
}

// ObserveAPI is what events and stats read: the engine's event stream and
// each container's resource use.
type ObserveAPI interface {
	Events(ctx context.Context, opts events.ListOptions) (<-chan events.Message, <-chan error)
	ContainerStats(ctx context.Context, id string, stream bool) (container.StatsResponseReader, error)
}

// SystemAPI is the connection itself.
type SystemAPI interface {
	Ping(ctx context.Context) (types.Ping, error)
	DaemonHost() string
	ClientVersion() string
	Close() error
}

// Client is every slice at once: what *client.Client gives and a
// connection holds. Each part of chainctl takes only the slices it uses.
type Client interface {
	ContainerAPI
	NetworkAPI
	VolumeAPI
	ImageAPI
	SwarmAPI
	ObserveAPI
	SystemAPI
}
