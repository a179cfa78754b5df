package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/versions"
	"github.com/docker/go-connections/nat"

	"github.com/chainctl/chainctl/internal/topology"
	"github.com/chainctl/chainctl/internal/version"
)

// Swarm runs a project as Swarm services on the manager the client talks
// to: one overlay network, one service per topology service, the topology
// recorded as a swarm config. It never creates, joins or leaves a swarm.
type Swarm struct {
	e      *Engine
	nodeID string // this engine's node: kill, pause and disconnect act on its tasks
}

// LabelEngine marks containers a swarm made for a chainctl service, so the
// docker backend knows they are not its own.
const LabelEngine = "io.chainctl.engine"

// swarm checks that the engine is a swarm manager.
func (e *Engine) swarm(ctx context.Context) (*Swarm, error) {
	ctx, cancel := context.WithTimeout(ctx, e.callTimeout)
	defer cancel()
	info, err := e.api.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("engine info: %w", err)
	}
	sw := info.Swarm
	switch {
	case sw.LocalNodeState == swarm.LocalNodeStateActive && sw.ControlAvailable:
		return &Swarm{e: e, nodeID: sw.NodeID}, nil
	case sw.LocalNodeState == swarm.LocalNodeStateActive:
		return nil, errors.New("this engine is a swarm worker, not a manager: point DOCKER_HOST at a manager of the swarm")
	}
	state := string(sw.LocalNodeState)
	if state == "" {
		state = "inactive"
	}
	return nil, fmt.Errorf("this engine is not a swarm manager (swarm: %s): make it one with `docker swarm init` (chainctl never creates or leaves a swarm for you), or use --engine docker", state)
}

// Kind names the backend: swarm.
func (s *Swarm) Kind() string { return KindSwarm }

// BreakModes lists what break can do on a swarm.
func (s *Swarm) BreakModes() []string { return swarmBreakModes }

// ServiceName is the swarm service of a topology service: <project>-<svc>.
func ServiceName(project, service string) string { return project + "-" + service }

// swarmOptions is how a service is exposed, after the command line's
// overrides (--publish-mode, --endpoint-mode).
func endpointMode(svc *topology.Service, opts UpOptions) string {
	switch {
	case opts.EndpointMode != "":
		return opts.EndpointMode
	case svc.EndpointMode != "":
		return svc.EndpointMode
	}
	return topology.EndpointVIP
}

func publishMode(p topology.Port, opts UpOptions) string {
	switch {
	case opts.PublishMode != "":
		return opts.PublishMode
	case p.Mode != "":
		return p.Mode
	}
	return topology.PortModeIngress
}

// checkSwarm finds what a swarm cannot run as the topology says (errors)
// and what it runs differently (warnings), before anything is created.
func checkSwarm(t *topology.Topology, opts UpOptions, ipvs bool, apiVersion string) (errs []error, warnings []string) {
	var looseIPs, secOpts []string
	for _, name := range t.ServiceNames() {
		svc := t.Services[name]
		if svc.Privileged {
			errs = append(errs, fmt.Errorf("services.%s.privileged: swarm services cannot run privileged (use --engine docker)", name))
		}
		mode := endpointMode(svc, opts)
		for _, p := range svc.Ports {
			pm := publishMode(p, opts)
			if mode == topology.EndpointDNSRR && pm == topology.PortModeIngress {
				errs = append(errs, fmt.Errorf("services.%s: endpoint_mode dnsrr cannot publish %s through the ingress routing mesh: publish it in host mode (mode: host, or --publish-mode host)", name, p.ContainerPort))
			}
			if pm == topology.PortModeIngress && !ipvs {
				warnings = append(warnings, fmt.Sprintf("%s publishes %s through the ingress routing mesh, but this kernel has no IPVS: nothing will answer on it; use --publish-mode host", name, p.ContainerPort))
			}
			if p.HostIP != "" && p.HostIP != "0.0.0.0" && p.HostIP != "::" {
				looseIPs = append(looseIPs, name+" "+p.ContainerPort)
			}
		}
		if mode == topology.EndpointVIP && !ipvs && len(t.Callers(name)) > 0 {
			warnings = append(warnings, fmt.Sprintf("%s has a virtual IP, but this kernel has no IPVS: its callers will get \"no route to host\"; use endpoint_mode: dnsrr or --endpoint-mode dnsrr", name))
		}
		if len(svc.SecurityOpt) > 0 {
			secOpts = append(secOpts, name)
		}
	}
	if len(secOpts) > 0 && !versions.GreaterThanOrEqualTo(apiVersion, "1.46") {
		warnings = append(warnings, "security_opt of "+strings.Join(secOpts, ", ")+" is not applied: swarm services take no-new-privileges from API 1.46 on, this engine speaks "+apiVersion)
	}
	if len(looseIPs) > 0 {
		warnings = append(warnings, "a swarm publishes on every address of its nodes: the host IP of "+strings.Join(looseIPs, ", ")+" is not applied")
	}
	return errs, warnings
}

// hasIPVS reports whether the kernel under a local engine can balance
// virtual IPs; a remote engine is given the benefit of the doubt.
func hasIPVS(daemonHost string) bool {
	if !localDaemon(daemonHost) {
		return true
	}
	_, err := os.Stat("/proc/net/ip_vs")
	return err == nil
}

// swarmServiceSpec turns one topology service into a swarm service spec.
func swarmServiceSpec(t *topology.Topology, svc *topology.Service, netID string, opts UpOptions, apiVersion string) (swarm.ServiceSpec, error) {
	labels := map[string]string{
		LabelProject: t.Name, LabelService: svc.Name, LabelVersion: version.Version, LabelEngine: KindSwarm,
	}
	cLabels := map[string]string{}
	for k, v := range svc.Labels {
		cLabels[k] = v
	}
	for k, v := range labels {
		cLabels[k] = v
	}
	cLabels[LabelReplica] = "{{.Task.Slot}}"
	env := environment(t.Name, svc, 0)
	for i, kv := range env {
		if strings.HasPrefix(kv, "CHAINCTL_REPLICA=") {
			env[i] = "CHAINCTL_REPLICA={{.Task.Slot}}" // a swarm template: the task's slot
		}
	}
	restart, err := swarmRestart(svc.Restart)
	if err != nil {
		return swarm.ServiceSpec{}, err
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
		Healthcheck:    healthConfig(svc.Healthcheck),
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
	spec.Labels[LabelConfigHash] = hash
	cs.Labels[LabelConfigHash] = hash // tasks carry it: which run the current spec
	return spec, nil
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
func swarmPorts(svc *topology.Service, opts UpOptions) ([]swarm.PortConfig, error) {
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
	ms := mounts(t, svc)
	for i, m := range ms {
		if m.Type != mount.TypeVolume {
			continue
		}
		key := svc.Volumes[i].Source
		vl := map[string]string{LabelProject: t.Name, LabelVolume: key}
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
		return svcs[i].Spec.Labels[LabelService] < svcs[j].Spec.Labels[LabelService]
	})
	return svcs
}
