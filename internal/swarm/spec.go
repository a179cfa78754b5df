// Service specs: one topology service mapped to a swarm service spec, with its config hash.

package swarm

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/versions"
	"github.com/docker/go-connections/nat"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
	"github.com/chainctl/chainctl/internal/version"
)

// endpointMode is how a service is exposed, after the command line's
// overrides (--publish-mode, --endpoint-mode).
func endpointMode(svc *topology.Service, opts engine.UpOptions) string {
	return cmp.Or(opts.EndpointMode, svc.EndpointMode, topology.EndpointVIP)
}

func publishMode(p topology.Port, opts engine.UpOptions) string {
	return cmp.Or(opts.PublishMode, p.Mode, topology.PortModeIngress)
}

// swarmServiceSpec turns one topology service into a swarm service spec.
func swarmServiceSpec(t *topology.Topology, svc *topology.Service, netID string, opts engine.UpOptions, apiVersion string) (swarm.ServiceSpec, error) {
	labels := map[string]string{
		engine.LabelProject: t.Name, engine.LabelService: svc.Name, engine.LabelVersion: version.Version, engine.LabelEngine: engine.KindSwarm,
	}
	cs := taskContainer(t, svc, labels, apiVersion)
	restart, err := swarmRestart(svc.Restart)
	if err != nil {
		return swarm.ServiceSpec{}, err
	}
	ports, err := swarmPorts(svc, opts)
	if err != nil {
		return swarm.ServiceSpec{}, err
	}
	// Start-first keeps the service answering during a rolling update, but
	// a host-mode port can be bound by one task per node: stop first then.
	order := swarm.UpdateOrderStartFirst
	for _, p := range ports {
		if p.PublishMode == swarm.PortConfigPublishModeHost && p.PublishedPort != 0 {
			order = swarm.UpdateOrderStopFirst
		}
	}
	replicas := uint64(svc.Replicas)
	spec := swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: ServiceName(t.Name, svc.Name), Labels: labels},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: cs,
			Resources:     swarmResources(svc.Resources),
			RestartPolicy: restart,
			Networks:      []swarm.NetworkAttachmentConfig{{Target: netID, Aliases: []string{svc.Name}}},
		},
		Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &replicas}},
		UpdateConfig: &swarm.UpdateConfig{
			Parallelism: 1, Order: order, FailureAction: swarm.UpdateFailureActionRollback, Monitor: 5 * time.Second,
		},
		RollbackConfig: &swarm.UpdateConfig{Parallelism: 1, Order: order},
		EndpointSpec: &swarm.EndpointSpec{
			Mode:  swarm.ResolutionMode(endpointMode(svc, opts)),
			Ports: ports,
		},
	}
	for k, v := range svc.Labels {
		spec.Labels[k] = v
	}
	hash, err := specHash(spec)
	if err != nil {
		return spec, err
	}
	spec.Labels[engine.LabelConfigHash] = hash
	cs.Labels[engine.LabelConfigHash] = hash // tasks carry it: which run the current spec
	return spec, nil
}

// taskContainer is the container each task of svc runs: the service's
// labels and chainctl's, the replica as the task's slot.
func taskContainer(t *topology.Topology, svc *topology.Service, labels map[string]string, apiVersion string) *swarm.ContainerSpec {
	cLabels := map[string]string{}
	for k, v := range svc.Labels {
		cLabels[k] = v
	}
	for k, v := range labels {
		cLabels[k] = v
	}
	cLabels[engine.LabelReplica] = "{{.Task.Slot}}"
	env := engine.Environment(t.Name, svc, 0)
	for i, kv := range env {
		if strings.HasPrefix(kv, "CHAINCTL_REPLICA=") {
			env[i] = "CHAINCTL_REPLICA={{.Task.Slot}}" // a swarm template: the task's slot
		}
	}
	cs := &swarm.ContainerSpec{
		Image:          svc.Image,
		Labels:         cLabels,
		Command:        svc.Entrypoint,
		Args:           svc.Command,
		Env:            env,
		User:           svc.User,
		ReadOnly:       svc.ReadOnly,
		Mounts:         swarmMounts(t, svc),
		Healthcheck:    engine.HealthConfig(svc.Healthcheck),
		CapabilityAdd:  svc.CapAdd,
		CapabilityDrop: svc.CapDrop,
	}
	if svc.StopGracePeriod != nil {
		d := time.Duration(*svc.StopGracePeriod)
		cs.StopGracePeriod = &d
	}
	if versions.GreaterThanOrEqualTo(apiVersion, "1.46") && hasNoNewPrivileges(svc.SecurityOpt) {
		cs.Privileges = &swarm.Privileges{NoNewPrivileges: true}
	}
	return cs
}

// specHash fingerprints a spec (without its hash label), so an unchanged
// service is left alone by the next up.
func specHash(spec swarm.ServiceSpec) (string, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return "", fmt.Errorf("config hash: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12]), nil
}

func hasNoNewPrivileges(opts []string) bool {
	for _, o := range opts {
		if o == "no-new-privileges" || o == "no-new-privileges:true" || o == "no-new-privileges=true" {
			return true
		}
	}
	return false
}

// swarmPorts expands the topology's ports (ranges included) into port
// configs; a swarm has no host IP to bind to.
func swarmPorts(svc *topology.Service, opts engine.UpOptions) ([]swarm.PortConfig, error) {
	var out []swarm.PortConfig
	for _, p := range svc.Ports {
		maps, err := nat.ParsePortSpec(p.Spec())
		if err != nil {
			return nil, fmt.Errorf("%s: port %q: %w", svc.Name, p.Spec(), err)
		}
		for _, m := range maps {
			published := 0
			if m.Binding.HostPort != "" {
				if published, err = strconv.Atoi(m.Binding.HostPort); err != nil {
					// A host range for one container port: the engine picks
					// on plain docker; a swarm wants one port.
					return nil, fmt.Errorf("%s: port %q: a swarm publishes one host port per container port, not a range", svc.Name, p.Spec())
				}
			}
			out = append(out, swarm.PortConfig{
				Protocol:      swarm.PortConfigProtocol(m.Port.Proto()),
				TargetPort:    uint32(m.Port.Int()),
				PublishedPort: uint32(published),
				PublishMode:   swarm.PortConfigPublishMode(publishMode(p, opts)),
			})
		}
	}
	return out, nil
}

// swarmMounts are the service's mounts; named volumes carry the project's
// labels, which the node applies when a task creates them.
func swarmMounts(t *topology.Topology, svc *topology.Service) []mount.Mount {
	ms := engine.Mounts(t, svc)
	for i, m := range ms {
		if m.Type != mount.TypeVolume {
			continue
		}
		key := svc.Volumes[i].Source
		vl := map[string]string{engine.LabelProject: t.Name, engine.LabelVolume: key}
		for k, v := range t.Volumes[key].Labels {
			vl[k] = v
		}
		ms[i].VolumeOptions = &mount.VolumeOptions{Labels: vl}
		if d := t.Volumes[key].Driver; d != "" {
			ms[i].VolumeOptions.DriverConfig = &mount.Driver{Name: d}
		}
	}
	return ms
}

// swarmResources sets limits and reservations alike: the scheduler places
// a task only where what it may use is free.
func swarmResources(r topology.Resources) *swarm.ResourceRequirements {
	if r.CPUs == 0 && r.Memory == 0 {
		return nil
	}
	cpus := int64(r.CPUs * 1e9)
	return &swarm.ResourceRequirements{
		Limits:       &swarm.Limit{NanoCPUs: cpus, MemoryBytes: r.Memory},
		Reservations: &swarm.Resources{NanoCPUs: cpus, MemoryBytes: r.Memory},
	}
}

// swarmRestart maps compose's restart to a task restart policy. The swarm
// default, any, is what makes a killed task come back.
func swarmRestart(s string) (*swarm.RestartPolicy, error) {
	name, count, _ := strings.Cut(s, ":")
	switch name {
	case "", "always", "unless-stopped":
		return &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny}, nil
	case "no":
		return &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionNone}, nil
	case "on-failure":
		p := &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionOnFailure}
		if count != "" {
			n, err := strconv.ParseUint(count, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("restart %q: bad retry count", s)
			}
			p.MaxAttempts = &n
		}
		return p, nil
	}
	return nil, fmt.Errorf("restart %q: want no, on-failure[:N], always or unless-stopped", s)
}

// sortedServices returns the project's services by topology name.
func sortedServices(svcs []swarm.Service) []swarm.Service {
	sort.Slice(svcs, func(i, j int) bool {
		return svcs[i].Spec.Labels[engine.LabelService] < svcs[j].Spec.Labels[engine.LabelService]
	})
	return svcs
}
