// Unit tests of the swarm backend's pure parts: service specs, ports, volumes, hashes, checks and restart policies.

package swarm

import (
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/enginetest"
	"github.com/chainctl/chainctl/internal/topology"
)

func TestSwarmServiceSpecMapsTheService(t *testing.T) {
	top := enginetest.Topology()
	b, err := swarmServiceSpec(top, top.Services["b"], "net1", engine.UpOptions{}, "1.41")
	if err != nil {
		t.Fatal(err)
	}
	cs := b.TaskTemplate.ContainerSpec
	if b.Name != "p-b" || b.Labels[engine.LabelProject] != "p" || b.Labels[engine.LabelService] != "b" || b.Labels[engine.LabelConfigHash] == "" {
		t.Errorf("name %q, labels %v", b.Name, b.Labels)
	}
	if cs.Labels[engine.LabelConfigHash] != b.Labels[engine.LabelConfigHash] || cs.Labels[engine.LabelReplica] != "{{.Task.Slot}}" {
		t.Errorf("container labels %v: want the spec's hash and the task slot", cs.Labels)
	}
	if !slices.Contains(cs.Env, "NEXT=elsewhere:1") || !slices.Contains(cs.Env, "CHAINCTL_REPLICA={{.Task.Slot}}") {
		t.Errorf("env %v", cs.Env)
	}
	if *b.Mode.Replicated.Replicas != 2 || !cs.ReadOnly || !slices.Equal(cs.CapabilityDrop, []string{"ALL"}) {
		t.Errorf("replicas %d, read-only %v, cap drop %v", *b.Mode.Replicated.Replicas, cs.ReadOnly, cs.CapabilityDrop)
	}
	if r := b.TaskTemplate.Resources; r.Limits.NanoCPUs != 5e8 || r.Reservations.MemoryBytes != 64<<20 {
		t.Errorf("resources %+v %+v", r.Limits, r.Reservations)
	}
	if rp := b.TaskTemplate.RestartPolicy; rp.Condition != swarm.RestartPolicyConditionOnFailure || *rp.MaxAttempts != 3 {
		t.Errorf("restart %+v", rp)
	}
	if u := b.UpdateConfig; u.Parallelism != 1 || u.Order != swarm.UpdateOrderStartFirst || u.FailureAction != swarm.UpdateFailureActionRollback {
		t.Errorf("update config %+v: want one at a time, start-first, roll back on failure", u)
	}
	if n := b.TaskTemplate.Networks; len(n) != 1 || n[0].Target != "net1" || !slices.Equal(n[0].Aliases, []string{"b"}) {
		t.Errorf("networks %+v: want the project network with the service name as alias", n)
	}
	if b.EndpointSpec.Mode != swarm.ResolutionModeVIP {
		t.Errorf("endpoint mode %q, want the swarm default vip", b.EndpointSpec.Mode)
	}
	if *cs.StopGracePeriod != 3e9 {
		t.Errorf("grace %s", cs.StopGracePeriod)
	}
}

func TestSwarmPortsAndVolumes(t *testing.T) {
	top := enginetest.Topology()
	a, err := swarmServiceSpec(top, top.Services["a"], "net1", engine.UpOptions{PublishMode: topology.PortModeHost}, "1.41")
	if err != nil {
		t.Fatal(err)
	}
	want := []swarm.PortConfig{{Protocol: "tcp", TargetPort: 8080, PublishedPort: 8080, PublishMode: swarm.PortConfigPublishModeHost}}
	if !slices.Equal(a.EndpointSpec.Ports, want) {
		t.Errorf("ports %+v, want %+v", a.EndpointSpec.Ports, want)
	}
	// A fixed host-mode port can be bound by one task per node: a rolling
	// update must stop the old task first.
	if a.UpdateConfig.Order != swarm.UpdateOrderStopFirst {
		t.Errorf("update order %q with a fixed host-mode port", a.UpdateConfig.Order)
	}
	c, err := swarmServiceSpec(top, top.Services["c"], "net1", engine.UpOptions{}, "1.41")
	if err != nil {
		t.Fatal(err)
	}
	m := c.TaskTemplate.ContainerSpec.Mounts
	if len(m) != 1 || m[0].Type != mount.TypeVolume || m[0].Source != "p-data" || m[0].VolumeOptions.Labels[engine.LabelProject] != "p" {
		t.Errorf("mounts %+v: want the project volume, labelled", m)
	}
}

func TestSwarmSpecHashIsStable(t *testing.T) {
	top := enginetest.Topology()
	one, _ := swarmServiceSpec(top, top.Services["a"], "net1", engine.UpOptions{}, "1.41")
	two, _ := swarmServiceSpec(top, top.Services["a"], "net1", engine.UpOptions{}, "1.41")
	if one.Labels[engine.LabelConfigHash] != two.Labels[engine.LabelConfigHash] {
		t.Error("the same service hashes differently: every up would update it")
	}
	top.Services["a"].Environment = map[string]string{"X": "1"}
	three, _ := swarmServiceSpec(top, top.Services["a"], "net1", engine.UpOptions{}, "1.41")
	if three.Labels[engine.LabelConfigHash] == one.Labels[engine.LabelConfigHash] {
		t.Error("a changed environment keeps the hash: up would not update it")
	}
}

func TestCheckSwarm(t *testing.T) {
	top := enginetest.Topology()
	top.Services["a"].EndpointMode = topology.EndpointDNSRR
	top.Services["c"].Privileged = true
	top.Services["b"].Hostname = "bee"
	errs, warnings := checkSwarm(top, engine.UpOptions{}, false, "1.41")
	got := strings.Join(errorStrings(errs), "\n")
	for _, want := range []string{
		"services.a: endpoint_mode dnsrr cannot publish 8080 through the ingress routing mesh",
		"services.c.privileged: swarm services cannot run privileged",
		"services.b.hostname: the swarm backend does not run this yet (use --engine docker)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors:\n%s\nwant %q", got, want)
		}
	}
	w := strings.Join(warnings, "\n")
	for _, want := range []string{
		"b has a virtual IP, but this kernel has no IPVS",
		"the host IP of a 8080 is not applied",
	} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings:\n%s\nwant %q", w, want)
		}
	}
	// Host publishing and dnsrr from the command line: nothing to refuse.
	errs, warnings = checkSwarm(withSwarmOverrides(enginetest.Topology(), engine.UpOptions{PublishMode: "host", EndpointMode: "dnsrr"}), engine.UpOptions{}, false, "1.41")
	if len(errs) != 0 || strings.Contains(strings.Join(warnings, " "), "IPVS") {
		t.Errorf("with host mode and dnsrr: errors %v, warnings %v", errs, warnings)
	}
}

func TestWithSwarmOverridesKeepsTheOriginal(t *testing.T) {
	top := enginetest.Topology()
	over := withSwarmOverrides(top, engine.UpOptions{PublishMode: "host", EndpointMode: "dnsrr"})
	if over.Services["a"].EndpointMode != "dnsrr" || over.Services["a"].Ports[0].Mode != "host" {
		t.Errorf("override not applied: %+v", over.Services["a"])
	}
	if top.Services["a"].EndpointMode != "" || top.Services["a"].Ports[0].Mode != "" {
		t.Error("the caller's topology was changed")
	}
}

func TestSwarmRestart(t *testing.T) {
	for in, want := range map[string]swarm.RestartPolicyCondition{
		"": swarm.RestartPolicyConditionAny, "always": swarm.RestartPolicyConditionAny,
		"unless-stopped": swarm.RestartPolicyConditionAny, "no": swarm.RestartPolicyConditionNone,
		"on-failure": swarm.RestartPolicyConditionOnFailure,
	} {
		if p, err := swarmRestart(in); err != nil || p.Condition != want {
			t.Errorf("swarmRestart(%q) = %+v, %v; want %s", in, p, err, want)
		}
	}
	if _, err := swarmRestart("sometimes"); err == nil {
		t.Error("swarmRestart(sometimes): no error")
	}
}

func errorStrings(errs []error) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}
