// Tests of the compose export: fixtures decoded back strictly and checked service by service.

package export

import (
	"bytes"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/chainctl/chainctl/internal/topology"
)

// decodeCompose decodes a compose export strictly into the model.
func decodeCompose(t *testing.T, out []byte) *ComposeFile {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(out))
	dec.KnownFields(true)
	var f ComposeFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("strict decode: %v\n%s", err, out)
	}
	return &f
}

func svc(t *testing.T, f *ComposeFile, name string) ComposeService {
	t.Helper()
	s, ok := f.Services[name]
	if !ok {
		t.Fatalf("no service %s", name)
	}
	return s
}

func deps(s ComposeService) map[string]string {
	out := map[string]string{}
	for k, v := range s.DependsOn {
		out[k] = v.Condition
	}
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestCompose(t *testing.T) {
	tests := []struct {
		name  string
		topo  func(t *testing.T) *topology.Topology
		check func(t *testing.T, f *ComposeFile)
	}{{
		name:  "abc",
		topo:  func(t *testing.T) *topology.Topology { return load(t, abcPath) },
		check: checkComposeAbc,
	}, {
		name:  "full",
		topo:  func(t *testing.T) *topology.Topology { return load(t, fixture("valid-full.yaml")) },
		check: checkComposeFull,
	}, {
		name:  "compose forms",
		topo:  func(t *testing.T) *topology.Topology { return load(t, fixture("valid-compose-forms.yaml")) },
		check: checkComposeComposeForms,
	}, {
		name:  "anchors",
		topo:  func(t *testing.T) *topology.Topology { return load(t, fixture("valid-anchors.yaml")) },
		check: checkComposeAnchors,
	}, {
		name:  "minimal",
		topo:  func(t *testing.T) *topology.Topology { return load(t, fixture("valid-minimal.yaml")) },
		check: checkComposeMinimal,
	}, {
		name:  "swarm",
		topo:  func(t *testing.T) *topology.Topology { return load(t, fixture("valid-swarm.yaml")) },
		check: checkComposeSwarm,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := tt.topo(t)
			out, err := Compose(tp)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := Compose(tp)
			if !bytes.Equal(out, again) {
				t.Fatal("two exports of the same topology differ")
			}
			f := decodeCompose(t, out)
			equal(t, "version", f.Version, ComposeVersion)
			if got, want := len(f.Services), len(tp.Services); got != want {
				t.Errorf("%d services, want %d", got, want)
			}
			for name, s := range f.Services {
				equal(t, name+" CHAINCTL_SERVICE", s.Environment["CHAINCTL_SERVICE"], name)
				if _, ok := s.Environment["CHAINCTL_REPLICA"]; ok {
					t.Errorf("%s has CHAINCTL_REPLICA: replicas share one service definition", name)
				}
			}
			tt.check(t, f)
		})
	}
}

func checkComposeAbc(t *testing.T, f *ComposeFile) {
	a := svc(t, f, "a")
	if !slices.Equal(a.Ports, []string{"127.0.0.1:8080:8080/tcp"}) {
		t.Errorf("a ports %q, want the topology's 127.0.0.1 kept", a.Ports)
	}
	want := map[string]string{"NEXT": "b:8080", "CHAINCTL_PROJECT": "abc", "CHAINCTL_SERVICE": "a"}
	if !mapsEqual(a.Environment, want) {
		t.Errorf("a environment %v, want %v", a.Environment, want)
	}
	if got := deps(a); !mapsEqual(got, map[string]string{"b": "service_started"}) {
		t.Errorf("a depends_on %v, want b started (from calls)", got)
	}
	if !a.ReadOnly || !slices.Equal(a.CapDrop, []string{"ALL"}) || !slices.Equal(a.SecurityOpt, []string{"no-new-privileges"}) {
		t.Errorf("a hardening read_only=%v cap_drop=%v security_opt=%v", a.ReadOnly, a.CapDrop, a.SecurityOpt)
	}
	c := svc(t, f, "c")
	if !slices.Equal(c.Volumes, []string{"c-data:/data"}) {
		t.Errorf("c volumes %q", c.Volumes)
	}
	if c.DependsOn != nil {
		t.Errorf("c depends on %v, want nothing", c.DependsOn)
	}
	equal(t, "volume c-data name", f.Volumes["c-data"].Name, "abc-c-data")
	equal(t, "network name", f.Networks[ComposeNetworkKey].Name, "abc-net")
	for _, name := range []string{"a", "b", "c"} {
		if !slices.Equal(svc(t, f, name).Networks[ComposeNetworkKey].Aliases, []string{name}) {
			t.Errorf("%s aliases %v, want [%s]", name, svc(t, f, name).Networks, name)
		}
	}
}

func checkComposeFull(t *testing.T, f *ComposeFile) {
	mid := svc(t, f, "mid")
	equal(t, "mid scale", mid.Scale, 3)
	equal(t, "mid cpus", mid.CPUs, 0.5)
	equal(t, "mid mem_limit", mid.MemLimit, int64(64<<20))
	equal(t, "mid user", mid.User, "65534:65534")
	if !slices.Equal(mid.Entrypoint, []string{"/link"}) || !slices.Equal(mid.Command, []string{"-verbose", "now"}) {
		t.Errorf("mid entrypoint %q command %q", mid.Entrypoint, mid.Command)
	}
	if got := deps(mid); !mapsEqual(got, map[string]string{"back": "service_healthy"}) {
		t.Errorf("mid depends_on %v, want back healthy", got)
	}
	if !slices.Contains(mid.Volumes, "data:/data:ro") {
		t.Errorf("mid volumes %q, want data:/data:ro", mid.Volumes)
	}
	front := svc(t, f, "front")
	equal(t, "front NEXT", front.Environment["NEXT"], "mid:8080,side:9090")
	equal(t, "front scale (1 is the default, left out)", front.Scale, 0)
	equal(t, "front stop_grace_period", front.StopGracePeriod, "1m30s")
	equal(t, "front restart", front.Restart, "on-failure:3")
	if !slices.Contains(front.Ports, "0.0.0.0:9000:9000/udp") || !slices.Contains(front.Ports, "127.0.0.1::8080/tcp") {
		t.Errorf("front ports %q", front.Ports)
	}
	h := front.Healthcheck
	if h == nil || !slices.Equal(h.Test, []string{"CMD-SHELL", "/link -health"}) ||
		h.Interval != "1s" || h.Timeout != "500ms" || h.StartPeriod != "3s" || h.Retries != 2 {
		t.Errorf("front healthcheck %+v", h)
	}
	if h := svc(t, f, "side").Healthcheck; h == nil || !h.Disable || h.Test != nil {
		t.Errorf("side healthcheck %+v, want disable only", h)
	}
	net := f.Networks[ComposeNetworkKey]
	if net.Name != "full-lab" || net.IPAM == nil || len(net.IPAM.Config) != 1 ||
		net.IPAM.Config[0] != (ComposeSubnet{Subnet: "172.31.5.0/24", Gateway: "172.31.5.1"}) {
		t.Errorf("network %+v", net)
	}
	logs := f.Volumes["logs"]
	if logs.Name != "full-logs" || logs.Driver != "local" || logs.Labels["team"] != "chaos" {
		t.Errorf("volume logs %+v", logs)
	}
}

func checkComposeComposeForms(t *testing.T, f *ComposeFile) {
	web := svc(t, f, "web")
	// The topology already expanded its variables: a $ left is
	// literal and must not be expanded again by compose.
	equal(t, "web PRICE", web.Environment["PRICE"], "$$5")
	if !slices.Contains(web.Command, "$$HOME") {
		t.Errorf("web command %q, want $$HOME escaped", web.Command)
	}
	if got := deps(web); !mapsEqual(got, map[string]string{"api": "service_healthy", "cache-warmer": "service_started"}) {
		t.Errorf("web depends_on %v", got)
	}
	if !slices.Contains(web.Ports, "[::1]:8443:443/tcp") {
		t.Errorf("web ports %q, want the IPv6 address kept", web.Ports)
	}
	api := svc(t, f, "api")
	equal(t, "api scale", api.Scale, 2)
	if !slices.Contains(api.Volumes, "/etc/hosts:/etc/hosts:ro") {
		t.Errorf("api volumes %q, want the bind mount kept", api.Volumes)
	}
	equal(t, "cache-warmer NEXT", svc(t, f, "cache-warmer").Environment["NEXT"], "api:7000")
}

func checkComposeAnchors(t *testing.T, f *ComposeFile) {
	equal(t, "c user", svc(t, f, "c").User, "1000")
	equal(t, "b read_only", svc(t, f, "b").ReadOnly, false)
	equal(t, "b retries", svc(t, f, "b").Healthcheck.Retries, 5)
	if got := deps(svc(t, f, "c")); !mapsEqual(got, map[string]string{"b": "service_started"}) {
		t.Errorf("c depends_on %v", got)
	}
}

func checkComposeMinimal(t *testing.T, f *ComposeFile) {
	equal(t, "network name", f.Networks[ComposeNetworkKey].Name, "valid-minimal-net")
	if f.Volumes != nil {
		t.Errorf("volumes %v, want none", f.Volumes)
	}
	if solo := svc(t, f, "solo"); solo.Healthcheck != nil || solo.Ports != nil || solo.DependsOn != nil {
		t.Errorf("solo %+v, want only what was given", solo)
	}
}

func checkComposeSwarm(t *testing.T, f *ComposeFile) {
	want := []string{"127.0.0.1:18080:8080/tcp", "0.0.0.0::9090/udp", "127.0.0.1:18081:8081/tcp"}
	if got := svc(t, f, "a").Ports; !slices.Equal(got, want) {
		t.Errorf("a ports %q, want %q", got, want)
	}
}
