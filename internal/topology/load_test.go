// Tests of Parse over testdata/valid-*.yaml and testdata/invalid-*.yaml, the flagship topology and project names.

package topology

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// testEnv is the environment every fixture is parsed with, so that the
// tests do not depend on the one they run in.
var testEnv = map[string]string{"TAG": "1.27", "FROM_ENV": "yes", "TEAM": "red", "B": "from-env", "EMPTY": ""}

func lookupTestEnv(k string) (string, bool) { v, ok := testEnv[k]; return v, ok }

func parseFixture(t testing.TB, file string) (*Topology, error) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(data, file, lookupTestEnv)
}

var (
	wantRE    = regexp.MustCompile(`^# want: (\d+): (.*)$`)
	problemRE = regexp.MustCompile(`^[^:]+:\d+: `)
)

// TestInvalidFixtures parses every testdata/invalid-*.yaml. Its first line
// says `# want: LINE: text`: one of the problems must be on LINE and
// contain text; every problem must read FILE:LINE: ...
func TestInvalidFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid-*.yaml")
	if len(files) < 25 {
		t.Fatalf("only %d invalid fixtures", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(data), "\n")
			m := wantRE.FindStringSubmatch(first)
			if m == nil {
				t.Fatalf("fixture lacks a `# want: LINE: text` first line")
			}
			top, err := Parse(data, f, lookupTestEnv)
			if err == nil || top != nil {
				t.Fatalf("parsed: top = %v, err = %v", top, err)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != f {
				t.Errorf("not an *Error for %s: %#v", f, err)
			}
			prefix, found := fmt.Sprintf("%s:%s: ", f, m[1]), false
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, f+":") || !problemRE.MatchString(line) {
					t.Errorf("problem not in FILE:LINE: form: %q", line)
				}
				found = found || strings.HasPrefix(line, prefix) && strings.Contains(line, m[2])
			}
			if !found {
				t.Errorf("want %q at %q, got:\n%v", m[2], prefix, err)
			}
		})
	}
}

// validChecks holds what each testdata/valid-*.yaml must normalise to,
// beyond the invariants checkNormalised asserts for all.
var validChecks = map[string]func(t *testing.T, top *Topology){
	"valid-minimal.yaml": func(t *testing.T, top *Topology) {
		want := &Topology{
			Name: "valid-minimal", File: "testdata/valid-minimal.yaml",
			Network:  Network{Name: "valid-minimal-net"},
			Services: map[string]*Service{"solo": {Name: "solo", Image: "chainctl/link:latest", Replicas: 1}},
		}
		if !reflect.DeepEqual(top, want) {
			t.Errorf("got  %s\nwant %s", dump(top), dump(want))
		}
	},
	"valid-full.yaml":          checkFull,
	"valid-anchors.yaml":       checkAnchors,
	"valid-compose-forms.yaml": checkComposeForms,
	"valid-swarm.yaml": func(t *testing.T, top *Topology) {
		a := top.Services["a"]
		want := []Port{
			{HostIP: "127.0.0.1", HostPort: "18080", ContainerPort: "8080", Protocol: "tcp", Mode: PortModeHost},
			{HostIP: "0.0.0.0", HostIPSet: true, ContainerPort: "9090", Protocol: "udp"},
			{HostIP: "127.0.0.1", HostIPSet: true, HostPort: "18081", ContainerPort: "8081", Protocol: "tcp"},
		}
		if !reflect.DeepEqual(a.Ports, want) {
			t.Errorf("ports %+v, want %+v", a.Ports, want)
		}
		if a.EndpointMode != EndpointDNSRR || top.Services["b"].EndpointMode != EndpointVIP {
			t.Errorf("endpoint modes %q, %q", a.EndpointMode, top.Services["b"].EndpointMode)
		}
	},
}

func TestValidFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid-*.yaml")
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			check := validChecks[filepath.Base(f)]
			if check == nil {
				t.Fatal("no entry in validChecks")
			}
			top, err := parseFixture(t, f)
			if err != nil {
				t.Fatal(err)
			}
			checkNormalised(t, top)
			checkRoundTrip(t, top)
			check(t, top)
		})
	}
}

// checkNormalised asserts what the engine relies on in every topology.
func checkNormalised(t *testing.T, top *Topology) {
	t.Helper()
	if top.Name == "" || top.Network.Name == "" || top.File == "" {
		t.Errorf("name %q, network %q, file %q", top.Name, top.Network.Name, top.File)
	}
	for key, v := range top.Volumes {
		if v.Name != top.Name+"-"+key {
			t.Errorf("volume %s named %q", key, v.Name)
		}
	}
	for name, s := range top.Services {
		if s.Name != name || s.Replicas < 1 || s.Image == "" {
			t.Errorf("service %s: name %q, replicas %d, image %q", name, s.Name, s.Replicas, s.Image)
		}
		for _, p := range s.Ports {
			if p.HostIP == "" || p.Protocol == "" || p.ContainerPort == "" {
				t.Errorf("service %s: port %+v", name, p)
			}
		}
		for _, c := range s.Calls {
			if c.Port == 0 || top.Services[c.Service] == nil {
				t.Errorf("service %s: call %+v", name, c)
			}
		}
		for _, m := range s.Volumes {
			if m.Type == "bind" && !filepath.IsAbs(m.Source) || m.Type == "volume" && top.Volumes[m.Source].Name == "" {
				t.Errorf("service %s: mount %+v", name, m)
			}
		}
	}
}

// checkRoundTrip: the engine stores a topology as JSON and reads it back.
func checkRoundTrip(t *testing.T, top *Topology) {
	t.Helper()
	b, err := json.Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	var back Topology
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, top) {
		t.Errorf("JSON round trip differs:\n got %s\nwant %s", dump(&back), dump(top))
	}
}

func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func checkFull(t *testing.T, top *Topology) {
	if top.Name != "full" || !reflect.DeepEqual(top.Network, Network{Name: "full-lab", Subnet: "172.31.5.0/24", Gateway: "172.31.5.1"}) {
		t.Errorf("project/network = %q %+v", top.Name, top.Network)
	}
	if top.Volumes["logs"].Name != "full-logs" || top.Volumes["logs"].Driver != "local" || top.Volumes["logs"].Labels["team"] != "chaos" {
		t.Errorf("volumes = %+v", top.Volumes)
	}
	front := top.Services["front"]
	if front.Image != "chainctl/link:latest" {
		t.Errorf("interpolated image = %q", front.Image)
	}
	wantPorts := []Port{
		{HostIP: "127.0.0.1", ContainerPort: "8080", Protocol: "tcp"},
		{HostIP: "0.0.0.0", HostIPSet: true, HostPort: "9000", ContainerPort: "9000", Protocol: "udp"},
		{HostIP: "127.0.0.2", HostIPSet: true, HostPort: "7000-7001", ContainerPort: "7000-7001", Protocol: "tcp"},
	}
	if !reflect.DeepEqual(front.Ports, wantPorts) {
		t.Errorf("ports = %+v", front.Ports)
	}
	if !reflect.DeepEqual(front.Calls, []Call{{"mid", 8080}, {"side", 9090}}) {
		t.Errorf("calls = %+v", front.Calls)
	}
	if !reflect.DeepEqual(front.Environment, map[string]string{"VERSION": "1.2", "DEBUG": "true"}) || front.Labels["tier"] != "edge" {
		t.Errorf("env/labels = %v %v", front.Environment, front.Labels)
	}
	wantHealth := &Healthcheck{Test: []string{"CMD-SHELL", "/link -health"}, Interval: Duration(time.Second),
		Timeout: Duration(500 * time.Millisecond), StartPeriod: Duration(3 * time.Second), Retries: 2}
	if !reflect.DeepEqual(front.Healthcheck, wantHealth) {
		t.Errorf("healthcheck = %+v", front.Healthcheck)
	}
	if front.Restart != "on-failure:3" || time.Duration(*front.StopGracePeriod) != 90*time.Second {
		t.Errorf("restart/grace = %q %v", front.Restart, front.StopGracePeriod)
	}
	mid := top.Services["mid"]
	if !reflect.DeepEqual(mid.Command, []string{"-verbose", "now"}) || !reflect.DeepEqual(mid.Entrypoint, []string{"/link"}) || mid.Replicas != 3 {
		t.Errorf("mid = %+v", mid)
	}
	if !reflect.DeepEqual(mid.Environment, map[string]string{"A": "1", "B": "from-env"}) {
		t.Errorf("mid environment = %v", mid.Environment)
	}
	if !reflect.DeepEqual(mid.DependsOn, map[string]Condition{"back": ServiceHealthy}) || mid.Resources != (Resources{CPUs: 0.5, Memory: 64 << 20}) {
		t.Errorf("mid depends/resources = %v %+v", mid.DependsOn, mid.Resources)
	}
	if mid.User != "65534:65534" || !mid.ReadOnly || !reflect.DeepEqual(mid.CapAdd, []string{"NET_BIND_SERVICE"}) || !reflect.DeepEqual(mid.SecurityOpt, []string{"no-new-privileges"}) {
		t.Errorf("mid hardening = %+v", mid)
	}
	abs, _ := filepath.Abs("testdata/conf")
	wantMounts := []Mount{{Type: "volume", Source: "data", Target: "/data", ReadOnly: true}, {Type: "bind", Source: abs, Target: "/conf"}}
	if !reflect.DeepEqual(mid.Volumes, wantMounts) {
		t.Errorf("mounts = %+v", mid.Volumes)
	}
	if !top.Services["side"].Healthcheck.Disable || top.Services["side"].DependsOn["back"] != ServiceStarted {
		t.Errorf("side = %+v", top.Services["side"])
	}
}

func checkAnchors(t *testing.T, top *Topology) {
	a, b, c := top.Services["a"], top.Services["b"], top.Services["c"]
	health := &Healthcheck{Test: []string{"CMD", "/link", "-health"}, Interval: Duration(2 * time.Second)}
	if a.Image != "chainctl/link:latest" || !a.ReadOnly || !reflect.DeepEqual(a.CapDrop, []string{"ALL"}) || !reflect.DeepEqual(a.Healthcheck, health) {
		t.Errorf("a did not get the merged defaults: %s", dump(a))
	}
	if a.Environment["MODE"] != "chain" {
		t.Errorf("a environment = %v", a.Environment)
	}
	health.Retries = 5
	if b.ReadOnly || !reflect.DeepEqual(b.Healthcheck, health) {
		t.Errorf("b's own keys must win: %s", dump(b))
	}
	if c.User != "1000" || !c.ReadOnly || c.DependsOn["b"] != ServiceStarted {
		t.Errorf("c merged from a list: %s", dump(c))
	}
}

func checkComposeForms(t *testing.T, top *Topology) {
	if top.Name != "forms-dev" {
		t.Errorf("name = %q", top.Name)
	}
	web, api, warmer := top.Services["web"], top.Services["api"], top.Services["cache-warmer"]
	if web.Image != "docker.io/library/nginx:1.27" {
		t.Errorf("image = %q", web.Image)
	}
	wantPorts := []Port{
		{HostIP: "127.0.0.1", ContainerPort: "80", Protocol: "tcp"},
		{HostIP: "::1", HostIPSet: true, HostPort: "8443", ContainerPort: "443", Protocol: "tcp"},
		{HostIP: "127.0.0.1", HostIPSet: true, ContainerPort: "9000", Protocol: "tcp"},
		{HostIP: "127.0.0.1", HostPort: "8000-8001", ContainerPort: "8000-8001", Protocol: "udp"},
	}
	if !reflect.DeepEqual(web.Ports, wantPorts) {
		t.Errorf("ports = %+v", web.Ports)
	}
	if want := []string{"sh", "-c", `echo "hello world" && sleep 1`, "", "$HOME"}; !reflect.DeepEqual(web.Command, want) {
		t.Errorf("command = %q", web.Command)
	}
	if want := map[string]string{"PRICE": "$5", "FROM_ENV": "yes", "EMPTY": ""}; !reflect.DeepEqual(web.Environment, want) {
		t.Errorf("environment = %v", web.Environment)
	}
	if want := map[string]string{"team": "chaos-red", "lone": ""}; !reflect.DeepEqual(web.Labels, want) {
		t.Errorf("labels = %v", web.Labels)
	}
	if want := map[string]Condition{"api": ServiceHealthy, "cache-warmer": ServiceStarted}; !reflect.DeepEqual(web.DependsOn, want) {
		t.Errorf("depends_on = %v", web.DependsOn)
	}
	if time.Duration(*web.StopGracePeriod) != 10*time.Second || web.Restart != "unless-stopped" {
		t.Errorf("grace/restart = %v %q", web.StopGracePeriod, web.Restart)
	}
	if api.Replicas != 2 || api.Privileged || api.Resources != (Resources{CPUs: 1.5, Memory: 256 << 20}) {
		t.Errorf("api = %s", dump(api))
	}
	if want := []string{"CMD-SHELL", "curl -fs localhost:7000/health"}; !reflect.DeepEqual(api.Healthcheck.Test, want) {
		t.Errorf("test = %q", api.Healthcheck.Test)
	}
	dir, _ := filepath.Abs("testdata")
	wantMounts := []Mount{
		{Type: "volume", Source: "cache", Target: "/cache"},
		{Type: "bind", Source: "/etc/hosts", Target: "/etc/hosts", ReadOnly: true},
		{Type: "bind", Source: dir, Target: "/fixtures"},
	}
	if !reflect.DeepEqual(api.Volumes, wantMounts) {
		t.Errorf("mounts = %+v", api.Volumes)
	}
	if warmer.User != "1000" || warmer.Entrypoint != nil || !reflect.DeepEqual(warmer.Calls, []Call{{"api", 7000}}) {
		t.Errorf("cache-warmer = %s", dump(warmer))
	}
	if top.Volumes["cache"].Name != "forms-dev-cache" {
		t.Errorf("volumes = %+v", top.Volumes)
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	src := "services:\n  a:\n    image: x\n    replicas: many\n    ports: [\"99999\"]\n    bogus: 1\n    calls: [nowhere]\n"
	_, err := Parse([]byte(src), "multi.yaml", nil)
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		"multi.yaml:4: services.a.replicas: want a whole number, got the string \"many\"",
		"multi.yaml:5: services.a.ports[0]: \"99999\": invalid port",
		"multi.yaml:6: services.a.bogus: unknown field \"bogus\"",
		"multi.yaml:7: services.a.calls[0]: unknown service \"nowhere\" (services: a)",
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("want %d problems, got:\n%v", len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("problem %d = %q, want prefix %q", i, lines[i], w)
		}
	}
}

func TestFlagshipTopology(t *testing.T) {
	top, err := Load("../../topologies/abc.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkNormalised(t, top)
	checkRoundTrip(t, top)
	if top.Name != "abc" || top.File != "../../topologies/abc.yaml" || top.Volumes["c-data"].Name != "abc-c-data" {
		t.Errorf("top = %s", dump(top))
	}
	if got := fmt.Sprint(top.Levels()); got != "[[c] [b] [a]]" {
		t.Errorf("levels = %s", got)
	}
	if got := fmt.Sprint(top.Callers("c")); got != "[a b]" {
		t.Errorf("callers(c) = %s", got)
	}
	a := top.Services["a"]
	if want := []Port{{HostIP: "127.0.0.1", HostPort: "8080", ContainerPort: "8080", Protocol: "tcp"}}; !reflect.DeepEqual(a.Ports, want) {
		t.Errorf("a ports = %+v", a.Ports)
	}
	if want := []Mount{{Type: "volume", Source: "c-data", Target: "/data"}}; !reflect.DeepEqual(top.Services["c"].Volumes, want) {
		t.Errorf("c volumes = %+v", top.Services["c"].Volumes)
	}
	for _, s := range top.Services {
		if !s.ReadOnly || !reflect.DeepEqual(s.CapDrop, []string{"ALL"}) || !reflect.DeepEqual(s.SecurityOpt, []string{"no-new-privileges"}) || s.Privileged {
			t.Errorf("%s is not locked down: %s", s.Name, dump(s))
		}
	}
}

func TestProjectName(t *testing.T) {
	cases := map[string]string{
		"dir/My_Chain.yaml":    "my_chain",
		"dir/chain v2.yml":     "chainv2",
		"-lead.yaml":           "lead",
		"/tmp/abc.topo.yaml":   "abctopo",
		"compose":              "compose",
		"dir/UPPER-case.yaml":  "upper-case",
		"dir/__x__.yaml":       "x__",
		"dir/ünïcode-ok.yaml":  "ncode-ok",
		"dir/0start.yaml":      "0start",
		"dir/a.b.c.d.e.f.yaml": "abcdef",
	}
	for file, want := range cases {
		if got := projectFromFile(file); got != want {
			t.Errorf("projectFromFile(%q) = %q, want %q", file, got, want)
		}
	}
	_, err := Parse([]byte("services:\n  a: {image: x}\n"), "dir/---.yaml", nil)
	if err == nil || !strings.Contains(err.Error(), "dir/---.yaml:1: name: the file name \"dir/---.yaml\" gives no project name") {
		t.Errorf("err = %v", err)
	}
}
