// Compose export: the docker-compose 2.4 file of a topology, with $ escaped so compose interpolates nothing.

package export

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/chainctl/chainctl/internal/topology"
)

// ComposeVersion is the compose file format written. 2.4, not 3.x:
// docker-compose v1 applies cpus, mem_limit, scale and depends_on
// conditions of a 2.4 file without a swarm, where 3.x moves them under
// deploy (ignored outside a swarm) and drops the conditions.
const ComposeVersion = "2.4"

// ComposeNetworkKey is the network every service joins. Naming it default
// makes it compose's own project network, only renamed and configured.
const ComposeNetworkKey = "default"

// ComposeFile is the part of the compose file format 2.4 that Compose writes.
type ComposeFile struct {
	Version  string                    `yaml:"version"`
	Services map[string]ComposeService `yaml:"services"`
	Networks map[string]ComposeNetwork `yaml:"networks,omitempty"`
	Volumes  map[string]ComposeVolume  `yaml:"volumes,omitempty"`
}

// ComposeService is one service. Lists and maps are written in their long
// forms (command as a list, environment as a mapping) so that no value is
// split or parsed again by compose.
type ComposeService struct {
	Image           string                           `yaml:"image"`
	Entrypoint      []string                         `yaml:"entrypoint,omitempty"`
	Command         []string                         `yaml:"command,omitempty"`
	Environment     map[string]string                `yaml:"environment,omitempty"`
	Ports           []string                         `yaml:"ports,omitempty"`
	Volumes         []string                         `yaml:"volumes,omitempty"`
	DependsOn       map[string]ComposeDependency     `yaml:"depends_on,omitempty"`
	Healthcheck     *ComposeHealthcheck              `yaml:"healthcheck,omitempty"`
	Restart         string                           `yaml:"restart,omitempty"`
	Labels          map[string]string                `yaml:"labels,omitempty"`
	User            string                           `yaml:"user,omitempty"`
	ReadOnly        bool                             `yaml:"read_only,omitempty"`
	CapAdd          []string                         `yaml:"cap_add,omitempty"`
	CapDrop         []string                         `yaml:"cap_drop,omitempty"`
	SecurityOpt     []string                         `yaml:"security_opt,omitempty"`
	Privileged      bool                             `yaml:"privileged,omitempty"`
	CPUs            float64                          `yaml:"cpus,omitempty"`
	MemLimit        int64                            `yaml:"mem_limit,omitempty"` // bytes
	StopGracePeriod string                           `yaml:"stop_grace_period,omitempty"`
	Scale           int                              `yaml:"scale,omitempty"`
	Networks        map[string]ComposeServiceNetwork `yaml:"networks"`
}

// ComposeDependency is the long form of a depends_on entry.
type ComposeDependency struct {
	Condition string `yaml:"condition"`
}

// ComposeHealthcheck overrides the image's HEALTHCHECK; empty durations and
// zero retries keep the image's values, as in the topology.
type ComposeHealthcheck struct {
	Test        []string `yaml:"test,omitempty"`
	Interval    string   `yaml:"interval,omitempty"`
	Timeout     string   `yaml:"timeout,omitempty"`
	StartPeriod string   `yaml:"start_period,omitempty"`
	Retries     int      `yaml:"retries,omitempty"`
	Disable     bool     `yaml:"disable,omitempty"`
}

// ComposeServiceNetwork is a service's attachment to a network.
type ComposeServiceNetwork struct {
	Aliases []string `yaml:"aliases,omitempty"`
}

// ComposeNetwork is a top-level network.
type ComposeNetwork struct {
	Name     string       `yaml:"name"`
	Internal bool         `yaml:"internal,omitempty"`
	IPAM     *ComposeIPAM `yaml:"ipam,omitempty"`
}

// ComposeIPAM holds the network's subnet.
type ComposeIPAM struct {
	Config []ComposeSubnet `yaml:"config"`
}

// ComposeSubnet is one IPAM pool.
type ComposeSubnet struct {
	Subnet  string `yaml:"subnet"`
	Gateway string `yaml:"gateway,omitempty"`
}

// ComposeVolume is a top-level named volume.
type ComposeVolume struct {
	Name   string            `yaml:"name"`
	Driver string            `yaml:"driver,omitempty"`
	Labels map[string]string `yaml:"labels,omitempty"`
}

// Compose renders t as a docker-compose file (format 2.4). The network and
// the volumes keep the engine's names; the containers carry compose's
// labels, not chainctl's, so `chainctl down` never removes what compose
// runs and `docker-compose down` never what chainctl runs.
func Compose(t *topology.Topology) ([]byte, error) {
	if errs := composeOnlyErrors(t, "the compose export"); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(ComposeModel(t)); err != nil {
		return nil, fmt.Errorf("compose: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("compose: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// ComposeModel is the compose file as Go values, before encoding. Strings
// that came from the topology are escaped for compose's interpolation: the
// topology's own ${VAR} were already expanded when it was loaded, so every
// $ left is meant literally.
func ComposeModel(t *topology.Topology) *ComposeFile {
	net := ComposeNetwork{Name: t.Network.Name, Internal: t.Network.Internal}
	if t.Network.Subnet != "" {
		net.IPAM = &ComposeIPAM{Config: []ComposeSubnet{{Subnet: t.Network.Subnet, Gateway: t.Network.Gateway}}}
	}
	f := &ComposeFile{
		Version:  ComposeVersion,
		Services: map[string]ComposeService{},
		Networks: map[string]ComposeNetwork{ComposeNetworkKey: net},
	}
	if len(t.Volumes) > 0 {
		f.Volumes = map[string]ComposeVolume{}
	}
	for key, v := range t.Volumes {
		name := v.Name
		if name == "" {
			name = t.Name + "-" + key
		}
		f.Volumes[key] = ComposeVolume{Name: name, Driver: v.Driver, Labels: escapeMap(v.Labels)}
	}
	for _, name := range t.ServiceNames() {
		f.Services[name] = composeService(t, t.Services[name])
	}
	return f
}

func composeService(t *topology.Topology, svc *topology.Service) ComposeService {
	s := ComposeService{
		Image:       escape(svc.Image),
		Entrypoint:  escapeList(svc.Entrypoint),
		Command:     escapeList(svc.Command),
		Environment: escapeMap(environment(t.Name, svc)),
		Restart:     svc.Restart,
		Labels:      escapeMap(svc.Labels),
		User:        escape(svc.User),
		ReadOnly:    svc.ReadOnly,
		CapAdd:      svc.CapAdd,
		CapDrop:     svc.CapDrop,
		SecurityOpt: escapeList(svc.SecurityOpt),
		Privileged:  svc.Privileged,
		CPUs:        svc.Resources.CPUs,
		MemLimit:    svc.Resources.Memory,
		Healthcheck: composeHealth(svc.Healthcheck),
		Networks:    map[string]ComposeServiceNetwork{ComposeNetworkKey: {Aliases: []string{svc.Name}}},
	}
	if svc.Replicas > 1 {
		s.Scale = svc.Replicas
	}
	if svc.StopGracePeriod != nil {
		s.StopGracePeriod = composeDuration(*svc.StopGracePeriod)
	}
	for _, p := range svc.Ports {
		if p.HostIP == "" {
			p.HostIP = "127.0.0.1" // the topology's default: never every address by accident
		}
		s.Ports = append(s.Ports, p.Spec())
	}
	for _, m := range svc.Volumes {
		v := escape(m.Source) + ":" + escape(m.Target)
		if m.ReadOnly {
			v += ":ro"
		}
		s.Volumes = append(s.Volumes, v)
	}
	// Calls start the called service first, as chainctl's levels do;
	// depends_on adds its own condition, the stronger one winning.
	for _, dep := range t.Dependencies(svc.Name) {
		cond := svc.DependsOn[dep]
		if cond == "" {
			cond = topology.ServiceStarted
		}
		if s.DependsOn == nil {
			s.DependsOn = map[string]ComposeDependency{}
		}
		s.DependsOn[dep] = ComposeDependency{Condition: string(cond)}
	}
	return s
}

func composeHealth(h *topology.Healthcheck) *ComposeHealthcheck {
	if h == nil {
		return nil
	}
	if h.Disable || len(h.Test) > 0 && h.Test[0] == "NONE" {
		return &ComposeHealthcheck{Disable: true}
	}
	return &ComposeHealthcheck{
		Test:        escapeList(h.Test),
		Interval:    composeDuration(h.Interval),
		Timeout:     composeDuration(h.Timeout),
		StartPeriod: composeDuration(h.StartPeriod),
		Retries:     h.Retries,
	}
}

// composeDuration prints a duration the way compose parses it ("1m30s",
// "500ms"); 0 is left out so that the default applies.
func composeDuration(d topology.Duration) string {
	if d == 0 {
		return ""
	}
	return time.Duration(d).String()
}

func escape(s string) string { return strings.ReplaceAll(s, "$", "$$") }

func escapeList(l []string) []string {
	if l == nil {
		return nil
	}
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = escape(s)
	}
	return out
}

func escapeMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = escape(v)
	}
	return out
}
