// Unit tests of the docker backend's pure parts: specs, hashes, restart policies, readiness, port clashes.

package docker

import (
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/enginetest"
)

func TestBuildSpecMapsTheService(t *testing.T) {
	top := enginetest.Topology()
	a, err := buildSpec(top, top.Services["a"], 1, "sha256:1", "1.41")
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
	for k, v := range map[string]string{engine.LabelProject: "p", engine.LabelService: "a", engine.LabelReplica: "1", engine.LabelConfigHash: a.Hash} {
		if a.Config.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, a.Config.Labels[k], v)
		}
	}
}

func TestBuildSpecKeepsExplicitNextAndLimits(t *testing.T) {
	top := enginetest.Topology()
	b, err := buildSpec(top, top.Services["b"], 2, "sha256:1", "1.41")
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
	c, _ := buildSpec(top, top.Services["c"], 1, "sha256:1", "1.41")
	if len(c.Host.Mounts) != 1 || c.Host.Mounts[0].Source != "p-data" || c.Host.Mounts[0].Target != "/data" {
		t.Errorf("mounts = %+v", c.Host.Mounts)
	}
}

func TestConfigHashChangesOnlyWithTheDefinition(t *testing.T) {
	top := enginetest.Topology()
	h := func(img string) string {
		s, err := buildSpec(top, top.Services["a"], 1, img, "1.41")
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

func TestPortClashNamesTheHolder(t *testing.T) {
	top := enginetest.Topology()
	foreign := container.Summary{Names: []string{"/web"}, State: "running", Labels: map[string]string{},
		Ports: []container.Port{{IP: "0.0.0.0", PublicPort: 8080, PrivatePort: 80, Type: "tcp"}}}
	errs := portClashes(top, []container.Summary{foreign}, "tcp://remote:2376")
	if len(errs) != 1 || !containsAll(errs[0].Error(), "service a", "127.0.0.1:8080", "container web") {
		t.Fatalf("errs = %v", errs)
	}
	own := foreign
	own.Labels = map[string]string{engine.LabelProject: "p", engine.LabelService: "a"}
	if errs := portClashes(top, []container.Summary{own}, "tcp://remote:2376"); len(errs) != 0 {
		t.Errorf("our own replica of a must not clash: %v", errs)
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

func TestLateProbesAreToldApartFromFailingOnes(t *testing.T) {
	res := func(code int, out string) *container.HealthcheckResult {
		return &container.HealthcheckResult{ExitCode: code, Output: out}
	}
	cases := []struct {
		log  []*container.HealthcheckResult
		late bool
	}{
		{[]*container.HealthcheckResult{res(0, ""), res(-1, "Health check exceeded timeout (1s)"), res(-1, "Health check exceeded timeout (1s)")}, true},
		{[]*container.HealthcheckResult{res(-1, "OCI runtime exec failed: context deadline exceeded")}, true},
		{[]*container.HealthcheckResult{res(-1, "Health check exceeded timeout (1s)"), res(1, "connection refused")}, false},
		{[]*container.HealthcheckResult{res(1, "HTTP 500")}, false},
		{[]*container.HealthcheckResult{res(0, "")}, false},
		{nil, false},
	}
	for i, c := range cases {
		if got := lateFailures(c.log); got != c.late {
			t.Errorf("case %d: lateFailures = %v, want %v", i, got, c.late)
		}
	}
}

// A container the list showed as failed is looked at again: one that runs
// healthy by now (the list, read under load, was behind) or is unhealthy
// only through late probes is waited for, and the error for the others
// says what is true of them, never "exited" for one that runs.
func TestFailedIsCheckedAgainstTheInspect(t *testing.T) {
	late := []*container.HealthcheckResult{{ExitCode: -1, Output: "Health check exceeded timeout (1s)"}}
	refused := []*container.HealthcheckResult{{ExitCode: 1, Output: "connection refused"}}
	ins := func(running bool, health string, log []*container.HealthcheckResult, code int) container.InspectResponse {
		st := &container.State{Running: running, ExitCode: code}
		if health != "" {
			st.Health = &container.Health{Status: health, Log: log}
		}
		return container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{State: st}}
	}
	c := container.Summary{Names: []string{"/p-s041-1"}, Labels: map[string]string{"io.chainctl.service": "s041"}, Status: "Up 30 seconds (unhealthy)"}
	for _, tc := range []struct {
		what      string
		ins       container.InspectResponse
		notFailed bool
		says      string
	}{
		{"healthy by now", ins(true, container.Healthy, nil, 0), true, ""},
		{"starting again", ins(true, container.Starting, nil, 0), true, ""},
		{"unhealthy through late probes", ins(true, container.Unhealthy, late, 0), true, ""},
		{"unhealthy on the service's word", ins(true, container.Unhealthy, refused, 0), false, "is unhealthy: last probe said: exit 1: connection refused"},
		{"exited", ins(false, container.Unhealthy, refused, 3), false, "exited with code 3; last log lines:\n  boom"},
		{"no healthcheck, running", ins(true, "", nil, 0), false, "failed: Up 30 seconds (unhealthy)"},
	} {
		if got := notFailed(tc.ins); got != tc.notFailed {
			t.Errorf("%s: notFailed = %v, want %v", tc.what, got, tc.notFailed)
		}
		if tc.notFailed {
			continue
		}
		err := explainFailure(c, tc.ins, nil, false, func() string { return "  boom" })
		if !strings.Contains(err.Error(), "service s041 (p-s041-1) "+tc.says) {
			t.Errorf("%s: error %q, want it to say %q", tc.what, err, tc.says)
		}
	}
}
