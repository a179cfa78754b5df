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

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
	"github.com/chainctl/chainctl/internal/version"
)

// containerSpec is everything ContainerCreate needs for one replica.
type containerSpec struct {
	Name    string
	Service string
	Replica int
	Config  *container.Config
	Host    *container.HostConfig
	Net     *network.NetworkingConfig
	Hash    string
}

// buildSpec maps one replica of a service to Engine API create options.
// imageID goes into the config hash so a rebuilt image recreates the
// container, as compose does.
func buildSpec(t *topology.Topology, svc *topology.Service, replica int, imageID string) (*containerSpec, error) {
	exposed, bindings, err := portBindings(svc.Ports)
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
	restart, err := restartPolicy(svc.Restart)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", svc.Name, err)
	}
	host := &container.HostConfig{
		NetworkMode:    container.NetworkMode(t.Network.Name),
		PortBindings:   bindings,
		RestartPolicy:  restart,
		Mounts:         engine.Mounts(t, svc),
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
	net := &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
		t.Network.Name: {Aliases: []string{svc.Name}},
	}}

	for k, v := range svc.Labels {
		cfg.Labels[k] = v
	}
	hash, err := configHash(cfg, host, net, imageID)
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
		Name:    engine.ContainerName(t.Name, svc.Name, replica),
		Service: svc.Name,
		Replica: replica,
		Config:  cfg,
		Host:    host,
		Net:     net,
		Hash:    hash,
	}, nil
}

// configHash fingerprints what the container would be, before chainctl's
// own labels are added, so an unchanged service is left alone on `up`.
func configHash(cfg *container.Config, host *container.HostConfig, net *network.NetworkingConfig, imageID string) (string, error) {
	b, err := json.Marshal(struct {
		Config  *container.Config
		Host    *container.HostConfig
		Net     *network.NetworkingConfig
		ImageID string
	}{cfg, host, net, imageID})
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
