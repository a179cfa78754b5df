// Container specs: one replica of a service mapped to Engine API create options, with its config hash.

package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
	"github.com/chainctl/chainctl/internal/version"
)

// containerSpec is everything ContainerCreate needs for one replica, and
// what follows it before the start: the other networks and inline configs.
type containerSpec struct {
	Name    string
	Service string
	Replica int
	Config  *container.Config
	Host    *container.HostConfig
	Net     *network.NetworkingConfig // the first network's endpoint
	// Extra are the other networks: connected after create on API 1.41,
	// in ContainerCreate from API 1.44.
	Extra    []endpoint
	Platform *ocispec.Platform
	// NetworkOf is x for network_mode service:x: Host.NetworkMode becomes
	// container:<id of x's replica 1> at create.
	NetworkOf string
	// Files are configs given inline, copied in before the start.
	Files []engine.File
	Hash  string
}

// buildSpec maps one replica of a service to Engine API create options.
// imageID goes into the config hash so a rebuilt image recreates the
// container, as compose does. apiVersion is the negotiated API version:
// it decides where the MAC address and the other networks go.
func buildSpec(t *topology.Topology, svc *topology.Service, replica int, imageID, apiVersion string) (*containerSpec, error) {
	if svc.ContainerName != "" && svc.Replicas > 1 {
		return nil, fmt.Errorf("service %s: container_name %s names one container, and the service has %d replicas; drop container_name or run one replica", svc.Name, svc.ContainerName, svc.Replicas)
	}
	exposed, bindings, err := portBindings(svc.Ports)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", svc.Name, err)
	}
	platform, err := parsePlatform(svc.Platform)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", svc.Name, err)
	}
	cfg := &container.Config{
		Image:        svc.Image,
		Env:          engine.Environment(t.Name, svc, replica),
		Cmd:          svc.Command,
		Entrypoint:   svc.Entrypoint,
		User:         svc.User,
		ExposedPorts: exposed,
		Healthcheck:  engine.HealthConfig(svc.Healthcheck),
		Labels:       map[string]string{},
	}
	if svc.StopGracePeriod != nil {
		secs := int(time.Duration(*svc.StopGracePeriod).Round(time.Second) / time.Second)
		cfg.StopTimeout = &secs
	}
	if err := applyRunConfig(cfg, &svc.Run); err != nil {
		return nil, fmt.Errorf("service %s: %w", svc.Name, err)
	}
	host, err := hostConfig(t, svc, bindings)
	if err != nil {
		return nil, err
	}
	net, extra := networking(t, svc, apiVersion, cfg, host)
	var inline []engine.File
	for _, f := range engine.Files(t, svc) {
		if f.Content != "" {
			inline = append(inline, f)
		}
	}

	for k, v := range svc.Labels {
		cfg.Labels[k] = v
	}
	hash, err := configHash(hashed{Config: cfg, Host: host, Net: net, ImageID: imageID, Extra: extra, Platform: platform, Files: inline})
	if err != nil {
		return nil, err
	}
	svcJSON, err := json.Marshal(svc)
	if err != nil {
		return nil, err
	}
	cfg.Labels[engine.LabelProject] = t.Name
	cfg.Labels[engine.LabelService] = svc.Name
	cfg.Labels[engine.LabelReplica] = strconv.Itoa(replica)
	cfg.Labels[engine.LabelConfigHash] = hash
	cfg.Labels[engine.LabelVersion] = version.String()
	cfg.Labels[engine.LabelServiceSpec] = string(svcJSON)
	return &containerSpec{
		Name:      engine.ReplicaName(t.Name, svc, replica),
		Service:   svc.Name,
		Replica:   replica,
		Config:    cfg,
		Host:      host,
		Net:       net,
		Extra:     extra,
		Platform:  platform,
		NetworkOf: networkModeService(svc),
		Files:     inline,
		Hash:      hash,
	}, nil
}

// hostConfig is the replica's HostConfig but for its networking.
func hostConfig(t *topology.Topology, svc *topology.Service, bindings nat.PortMap) (*container.HostConfig, error) {
	restart, err := restartPolicy(svc.Restart)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", svc.Name, err)
	}
	binds, mounts := engine.ContainerMounts(t, svc)
	host := &container.HostConfig{
		PortBindings:   bindings,
		RestartPolicy:  restart,
		Binds:          binds,
		Mounts:         mounts,
		ReadonlyRootfs: svc.ReadOnly,
		CapAdd:         svc.CapAdd,
		CapDrop:        svc.CapDrop,
		SecurityOpt:    svc.SecurityOpt,
		Privileged:     svc.Privileged,
		Resources: container.Resources{
			NanoCPUs: int64(svc.Resources.CPUs * 1e9),
			Memory:   svc.Resources.Memory,
		},
	}
	applyRunHost(host, &svc.Run)
	return host, nil
}

// hashed is what the config hash covers. The fields after ImageID are
// omitted when empty, so a service that uses none of them keeps the hash
// it had before they existed (no recreate on upgrade).
type hashed struct {
	Config   *container.Config
	Host     *container.HostConfig
	Net      *network.NetworkingConfig
	ImageID  string
	Extra    []endpoint        `json:",omitempty"`
	Platform *ocispec.Platform `json:",omitempty"`
	Files    []engine.File     `json:",omitempty"`
}

// configHash fingerprints what the container would be, before chainctl's
// own labels are added, so an unchanged service is left alone on `up`.
// Host.NetworkMode is still service:x there, not the id of x's container:
// plan recreates the replica when x's container changes.
func configHash(h hashed) (string, error) {
	b, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("config hash: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12]), nil
}

func portBindings(ports []topology.Port) (nat.PortSet, nat.PortMap, error) {
	if len(ports) == 0 {
		return nil, nil, nil
	}
	exposed := nat.PortSet{}
	bindings := nat.PortMap{}
	for _, p := range ports {
		maps, err := nat.ParsePortSpec(p.Spec())
		if err != nil {
			return nil, nil, fmt.Errorf("port %q: %w", p.Spec(), err)
		}
		for _, m := range maps {
			exposed[m.Port] = struct{}{}
			bindings[m.Port] = append(bindings[m.Port], m.Binding)
		}
	}
	return exposed, bindings, nil
}

func restartPolicy(s string) (container.RestartPolicy, error) {
	name, count, _ := strings.Cut(s, ":")
	p := container.RestartPolicy{Name: container.RestartPolicyMode(name)}
	switch name {
	case "", "no":
		p.Name = container.RestartPolicyDisabled
	case "always", "unless-stopped":
	case "on-failure":
		if count != "" {
			n, err := strconv.Atoi(count)
			if err != nil || n < 0 {
				return p, fmt.Errorf("restart %q: bad retry count", s)
			}
			p.MaximumRetryCount = n
		}
	default:
		return p, fmt.Errorf("restart %q: want no, on-failure[:N], always or unless-stopped", s)
	}
	return p, nil
}
