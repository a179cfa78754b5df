package engine

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"

	"github.com/chainctl/chainctl/internal/topology"
)

func testTopology() *topology.Topology {
	grace := topology.Duration(3 * time.Second)
	return &topology.Topology{
		Name:    "p",
		Network: topology.Network{Name: "p-net"},
		Volumes: map[string]topology.Volume{"data": {Name: "p-data"}},
		Services: map[string]*topology.Service{
			"a": {Name: "a", Image: "img", Replicas: 1, Calls: []topology.Call{{Service: "b", Port: 8080}, {Service: "c", Port: 9000}},
				Ports: []topology.Port{{HostIP: "127.0.0.1", HostPort: "8080", ContainerPort: "8080", Protocol: "tcp"}}},
			"b": {Name: "b", Image: "img", Replicas: 2, Environment: map[string]string{"NEXT": "elsewhere:1"},
				StopGracePeriod: &grace, Restart: "on-failure:3", ReadOnly: true, CapDrop: []string{"ALL"},
				Resources: topology.Resources{CPUs: 0.5, Memory: 64 << 20}},
			"c": {Name: "c", Image: "img", Replicas: 1, Volumes: []topology.Mount{{Type: "volume", Source: "data", Target: "/data"}}},
		},
	}
}

func TestBuildSpecMapsTheService(t *testing.T) {
	top := testTopology()
	a, err := buildSpec(top, top.Services["a"], 1, "sha256:1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "p-a-1" {
		t.Errorf("name = %q", a.Name)
	}
	for _, want := range []string{"NEXT=b:8080,c:9000", "CHAINCTL_PROJECT=p", "CHAINCTL_SERVICE=a", "CHAINCTL_REPLICA=1"} {
		if !slices.Contains(a.Config.Env, want) {
			t.Errorf("env %v lacks %s", a.Config.Env, want)
		}
	}
	b := a.Host.PortBindings["8080/tcp"]
	if len(b) != 1 || b[0].HostIP != "127.0.0.1" || b[0].HostPort != "8080" {
		t.Errorf("port bindings = %+v", a.Host.PortBindings)
	}
	if got := a.Net.EndpointsConfig["p-net"]; got == nil || !slices.Equal(got.Aliases, []string{"a"}) {
		t.Errorf("endpoint = %+v, want alias a on p-net", got)
	}
	for k, v := range map[string]string{LabelProject: "p", LabelService: "a", LabelReplica: "1", LabelConfigHash: a.Hash} {
		if a.Config.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, a.Config.Labels[k], v)
		}
	}
}

func TestBuildSpecKeepsExplicitNextAndLimits(t *testing.T) {
	top := testTopology()
	b, err := buildSpec(top, top.Services["b"], 2, "sha256:1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(b.Config.Env, "NEXT=elsewhere:1") {
		t.Errorf("explicit NEXT lost: %v", b.Config.Env)
	}
	if b.Config.StopTimeout == nil || *b.Config.StopTimeout != 3 {
		t.Errorf("stop timeout = %v, want 3", b.Config.StopTimeout)
	}
	want := container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}
	if b.Host.RestartPolicy != want {
		t.Errorf("restart = %+v", b.Host.RestartPolicy)
	}
	if !b.Host.ReadonlyRootfs || !slices.Equal(b.Host.CapDrop, []string{"ALL"}) || b.Host.Privileged {
		t.Errorf("security settings not applied: %+v", b.Host)
	}
	if b.Host.NanoCPUs != 5e8 || b.Host.Memory != 64<<20 {
		t.Errorf("resources = %d cpus, %d memory", b.Host.NanoCPUs, b.Host.Memory)
	}
	c, _ := buildSpec(top, top.Services["c"], 1, "sha256:1")
	if len(c.Host.Mounts) != 1 || c.Host.Mounts[0].Source != "p-data" || c.Host.Mounts[0].Target != "/data" {
		t.Errorf("mounts = %+v", c.Host.Mounts)
	}
}

func TestConfigHashChangesOnlyWithTheDefinition(t *testing.T) {
	top := testTopology()
	h := func(img string) string {
		s, err := buildSpec(top, top.Services["a"], 1, img)
		if err != nil {
			t.Fatal(err)
		}
		return s.Hash
	}
	first := h("sha256:1")
	if again := h("sha256:1"); again != first {
		t.Errorf("hash not stable: %s vs %s", first, again)
	}
	if h("sha256:2") == first {
		t.Error("a rebuilt image must change the hash")
	}
	top.Services["a"].Environment = map[string]string{"X": "1"}
	if h("sha256:1") == first {
		t.Error("a changed environment must change the hash")
	}
}

func TestRestartPolicy(t *testing.T) {
	for in, want := range map[string]container.RestartPolicyMode{"": "no", "no": "no", "always": "always", "unless-stopped": "unless-stopped", "on-failure": "on-failure"} {
		got, err := restartPolicy(in)
		if err != nil || got.Name != want {
			t.Errorf("restartPolicy(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"sometimes", "on-failure:x", "on-failure:-1"} {
		if _, err := restartPolicy(bad); err == nil {
			t.Errorf("restartPolicy(%q) accepted", bad)
		}
	}
}

func TestJudgeReadsHealthFromStatus(t *testing.T) {
	cases := []struct {
		state, status string
		want          readiness
	}{
		{"running", "Up 2 seconds (healthy)", ready},
		{"running", "Up 1 second (health: starting)", pending},
		{"running", "Up 40 seconds (unhealthy)", failed},
		{"running", "Up 3 seconds", ready},
		{"created", "Created", pending},
		{"restarting", "Restarting (1) 1 second ago", pending},
		{"exited", "Exited (2) 1 second ago", failed},
	}
	for _, c := range cases {
		if got, _ := judge(container.Summary{State: c.state, Status: c.status}, true); got != c.want {
			t.Errorf("judge(%s, %q) = %v, want %v", c.state, c.status, got, c.want)
		}
	}
}

func TestFaultFromEngineState(t *testing.T) {
	on := &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{"p-net": {}}}
	off := &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{}}
	cases := []struct {
		c    container.Summary
		want string
	}{
		{container.Summary{State: "running", NetworkSettings: on}, FaultNone},
		{container.Summary{State: "running", NetworkSettings: off}, FaultDisconnected},
		{container.Summary{State: "paused", NetworkSettings: on}, FaultPaused},
		{container.Summary{State: "exited", Status: "Exited (137) 2 seconds ago"}, FaultKilled},
		{container.Summary{State: "exited", Status: "Exited (0) 2 seconds ago"}, FaultStopped},
		{container.Summary{State: "exited", Status: "Exited (2) 2 seconds ago"}, FaultExited},
	}
	for _, c := range cases {
		if got := fault(c.c, "p-net"); got != c.want {
			t.Errorf("fault(%s %q) = %s, want %s", c.c.State, c.c.Status, got, c.want)
		}
	}
}

func TestParseTarget(t *testing.T) {
	if tg, err := ParseTarget("b/2"); err != nil || tg != (Target{Service: "b", Replica: 2}) {
		t.Errorf("ParseTarget(b/2) = %+v, %v", tg, err)
	}
	if tg, err := ParseTarget("c"); err != nil || tg != (Target{Service: "c"}) {
		t.Errorf("ParseTarget(c) = %+v, %v", tg, err)
	}
	for _, bad := range []string{"b/0", "b/x", "/1"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q) accepted", bad)
		}
	}
}

func TestPortClashNamesTheHolder(t *testing.T) {
	top := testTopology()
	foreign := container.Summary{Names: []string{"/web"}, State: "running", Labels: map[string]string{},
		Ports: []container.Port{{IP: "0.0.0.0", PublicPort: 8080, PrivatePort: 80, Type: "tcp"}}}
	errs := portClashes(top, []container.Summary{foreign}, "tcp://remote:2376")
	if len(errs) != 1 || !containsAll(errs[0].Error(), "service a", "127.0.0.1:8080", "container web") {
		t.Fatalf("errs = %v", errs)
	}
	own := foreign
	own.Labels = map[string]string{LabelProject: "p", LabelService: "a"}
	if errs := portClashes(top, []container.Summary{own}, "tcp://remote:2376"); len(errs) != 0 {
		t.Errorf("our own replica of a must not clash: %v", errs)
	}
}

func TestEntryServiceIsPublishedAndUncalled(t *testing.T) {
	if got := entryService(testTopology()); got != "a" {
		t.Errorf("entry = %q, want a", got)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func TestPolicyAsksForExplicitPermission(t *testing.T) {
	top := testTopology()
	top.Services["a"].Privileged = true
	top.Services["b"].CapAdd = []string{"cap_sys_admin"}
	top.Services["c"].Volumes = append(top.Services["c"].Volumes, topology.Mount{Type: "bind", Source: "/", Target: "/host"})
	if errs := (Policy{}).check(top); len(errs) != 3 {
		t.Errorf("default policy: %v, want 3 refusals", errs)
	}
	if errs := (Policy{AllowPrivileged: true, AllowHostAccess: true}).check(top); len(errs) != 0 {
		t.Errorf("permissive policy: %v", errs)
	}
}
