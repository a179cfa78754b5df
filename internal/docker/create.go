// Creating one replica's container as up and heal do: ContainerCreate, then its other networks and its inline configs, before any start.

package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/versions"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// copier is the engine call that puts inline configs into a container;
// *client.Client has it.
type copier interface {
	CopyToContainer(ctx context.Context, id, dstPath string, content io.Reader, opts container.CopyToContainerOptions) error
}

// createReplica creates the replica's container and readies it to start:
// on API 1.41 the networks after the first are connected one by one (on
// 1.44 and later ContainerCreate takes them all), as compose does, and
// configs given inline are copied in. containerOf gives the id of a
// service's replica 1, for network_mode service:x. The id is returned
// whenever the container was created, even with an error after, so the
// caller can remove it.
func (b *Backend) createReplica(ctx context.Context, spec *containerSpec, containerOf func(service string) string) (string, error) {
	host := spec.Host
	if spec.NetworkOf != "" {
		id := containerOf(spec.NetworkOf)
		if id == "" {
			return "", fmt.Errorf("network_mode service:%s: service %s has no container to share the namespace of; bring it up first", spec.NetworkOf, spec.NetworkOf)
		}
		h := *spec.Host
		h.NetworkMode = container.NetworkMode("container:" + id)
		host = &h
	}
	net, extra := spec.Net, spec.Extra
	if len(extra) > 0 && !versions.LessThan(b.api.ClientVersion(), apiEndpointsAtCreate) {
		all := maps.Clone(net.EndpointsConfig)
		for _, ep := range extra {
			all[ep.Network] = ep.Settings
		}
		net, extra = &network.NetworkingConfig{EndpointsConfig: all}, nil
	}
	resp, err := b.api.ContainerCreate(ctx, spec.Config, host, net, spec.Platform, spec.Name)
	if err != nil {
		if p := spec.Platform; p != nil && cerrdefs.IsNotFound(err) {
			return "", fmt.Errorf("image %s has no %s variant on this engine (platform: %s): %w", spec.Config.Image, platforms(p), platforms(p), err)
		}
		return "", err
	}
	for _, ep := range extra {
		if err := b.api.NetworkConnect(ctx, ep.Network, resp.ID, ep.Settings); err != nil {
			return resp.ID, fmt.Errorf("connect %s to network %s: %w", spec.Name, ep.Network, err)
		}
	}
	if len(spec.Files) > 0 {
		if err := b.copyFiles(ctx, resp.ID, spec); err != nil {
			return resp.ID, err
		}
	}
	return resp.ID, nil
}

// copyFiles writes the spec's inline configs into the created container,
// read-only for everyone unless the file gives a mode.
func (b *Backend) copyFiles(ctx context.Context, id string, spec *containerSpec) error {
	cp, ok := b.api.(copier)
	if !ok {
		return fmt.Errorf("service %s has inline configs, and this client cannot copy files into containers", spec.Service)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range spec.Files {
		hdr := &tar.Header{Name: strings.TrimPrefix(f.Target, "/"), Mode: f.Mode, Size: int64(len(f.Content)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write([]byte(f.Content)); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := cp.CopyToContainer(ctx, id, "/", &buf, container.CopyToContainerOptions{}); err != nil {
		return fmt.Errorf("copy the configs of service %s into %s: %w", spec.Service, spec.Name, err)
	}
	return nil
}

// platforms prints a platform as the file writes it.
func platforms(p *ocispec.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
