package topology

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var wantRE = regexp.MustCompile(`^# want: (\d+): (.*)$`)

// TestInvalidFixtures loads every testdata/invalid-*.yaml; its first line
// says the line and the message the error must carry.
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
				t.Fatalf("fixture lacks a `# want: LINE: message` first line")
			}
			_, err = Load(f)
			if err == nil {
				t.Fatal("loaded without error")
			}
			want := fmt.Sprintf("%s:%s: ", f, m[1])
			for _, line := range strings.Split(err.Error(), "\n") {
				if strings.HasPrefix(line, want) && strings.Contains(line, m[2]) {
					return
				}
			}
			t.Errorf("error does not contain %q at %q:\n%v", m[2], want, err)
		})
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	src := "services:\n  a:\n    image: x\n    replicas: many\n    ports: [\"99999\"]\n    bogus: 1\n"
	_, err := Parse([]byte(src), "multi.yaml", nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"multi.yaml:4: services.a.replicas", "multi.yaml:5: services.a.ports[0]", "multi.yaml:6: services.a.bogus"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
}

func TestValidFull(t *testing.T) {
	env := map[string]string{"B": "from-env"}
	data, err := os.ReadFile("testdata/valid-full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	top, err := Parse(data, "testdata/valid-full.yaml", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if top.Name != "full" || top.Network.Name != "full-lab" || top.Volumes["logs"].Name != "full-logs" || top.Volumes["logs"].Labels["team"] != "chaos" {
		t.Errorf("project/network/volumes = %q %+v %+v", top.Name, top.Network, top.Volumes)
	}
	front := top.Services["front"]
	if front.Image != "chainctl/link:latest" {
		t.Errorf("interpolated image = %q", front.Image)
	}
	wantPorts := []Port{
		{HostIP: "127.0.0.1", ContainerPort: "8080", Protocol: "tcp"},
		{HostIP: "0.0.0.0", HostPort: "9000", ContainerPort: "9000", Protocol: "udp"},
		{HostIP: "127.0.0.2", HostPort: "7000-7001", ContainerPort: "7000-7001", Protocol: "tcp"},
	}
	if !reflect.DeepEqual(front.Ports, wantPorts) {
		t.Errorf("ports = %+v", front.Ports)
	}
	if !reflect.DeepEqual(front.Calls, []Call{{"mid", 8080}, {"side", 9090}}) {
		t.Errorf("calls = %+v", front.Calls)
	}
	if front.Environment["VERSION"] != "1.2" || front.Environment["DEBUG"] != "true" || front.Labels["tier"] != "edge" {
		t.Errorf("env/labels = %v %v", front.Environment, front.Labels)
	}
	h := front.Healthcheck
	if !reflect.DeepEqual(h.Test, []string{"CMD-SHELL", "/link -health"}) || time.Duration(h.Interval) != time.Second || h.Retries != 2 {
		t.Errorf("healthcheck = %+v", h)
	}
	if front.Restart != "on-failure:3" || time.Duration(*front.StopGracePeriod) != 90*time.Second {
		t.Errorf("restart/grace = %q %v", front.Restart, front.StopGracePeriod)
	}
	mid := top.Services["mid"]
	if !reflect.DeepEqual(mid.Command, []string{"-verbose", "now"}) || mid.Replicas != 3 || mid.Environment["B"] != "from-env" {
		t.Errorf("mid = %+v", mid)
	}
	if mid.DependsOn["back"] != ServiceHealthy || mid.Resources.Memory != 64<<20 || mid.Resources.CPUs != 0.5 {
		t.Errorf("mid depends/resources = %v %+v", mid.DependsOn, mid.Resources)
	}
	abs, _ := filepath.Abs("testdata/conf")
	wantMounts := []Mount{{Type: "volume", Source: "data", Target: "/data", ReadOnly: true}, {Type: "bind", Source: abs, Target: "/conf"}}
	if !reflect.DeepEqual(mid.Volumes, wantMounts) {
		t.Errorf("mounts = %+v", mid.Volumes)
	}
	if !top.Services["side"].Healthcheck.Disable {
		t.Error("side healthcheck not disabled")
	}
}

func TestDefaultsFromFileName(t *testing.T) {
	top, err := Load("testdata/valid-minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if top.Name != "valid-minimal" || top.Network.Name != "valid-minimal-net" || top.Services["solo"].Replicas != 1 {
		t.Errorf("defaults: %+v", top)
	}
}

func TestFlagshipTopology(t *testing.T) {
	top, err := Load("../../topologies/abc.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(top.Levels()); got != "[[c] [b] [a]]" {
		t.Errorf("levels = %s", got)
	}
	a := top.Services["a"]
	if len(a.Ports) != 1 || a.Ports[0].HostIP != "127.0.0.1" || a.Ports[0].HostPort != "8080" {
		t.Errorf("a ports = %+v", a.Ports)
	}
	for _, s := range top.Services {
		if !s.ReadOnly || len(s.CapDrop) != 1 || s.Privileged {
			t.Errorf("%s is not locked down: %+v", s.Name, s)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	top, err := Load("testdata/valid-full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	var back Topology
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, top) {
		t.Errorf("round trip differs:\n%+v\n%+v", &back, top)
	}
}

func TestInterpolation(t *testing.T) {
	env := map[string]string{"SET": "v", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cases := map[string]string{
		"${SET}":          "v",
		"$SET/x":          "v/x",
		"${UNSET:-d}":     "d",
		"${EMPTY:-d}":     "d",
		"${EMPTY-d}":      "",
		"${UNSET-d}":      "d",
		"cost: $$5":       "cost: $5",
		"plain":           "plain",
		"${SET}-${UNSET}": "v-",
	}
	for in, want := range cases {
		got, err := interpolate(in, lookup)
		if err != nil || got != want {
			t.Errorf("interpolate(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := interpolate("${1BAD}", lookup); err == nil {
		t.Error("a bad variable name was accepted")
	}
}

func TestGraph(t *testing.T) {
	src := `services:
  a: {image: x, calls: [b, d]}
  b: {image: x, calls: [c]}
  c: {image: x}
  d: {image: x, depends_on: [c]}
  e: {image: x}
`
	top, err := Parse([]byte(src), "g.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(top.Levels()); got != "[[c e] [b d] [a]]" {
		t.Errorf("levels = %s", got)
	}
	if got := fmt.Sprint(top.ReverseLevels()); got != "[[a] [b d] [c e]]" {
		t.Errorf("reverse = %s", got)
	}
	if got := fmt.Sprint(top.Callers("c")); got != "[a b d]" {
		t.Errorf("callers(c) = %s", got)
	}
	if got := fmt.Sprint(top.Callers("a")); got != "[]" {
		t.Errorf("callers(a) = %s", got)
	}
	top.Rename("other")
	if top.Name != "other" || top.Network.Name != "other-net" {
		t.Errorf("rename: %q %q", top.Name, top.Network.Name)
	}
}

func TestLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("services:\n")
	for i := 0; i < MaxServices; i++ {
		if i+1 < MaxServices {
			fmt.Fprintf(&b, "  s%d: {image: x, calls: [s%d]}\n", i, i+1)
		} else {
			fmt.Fprintf(&b, "  s%d: {image: x}\n", i)
		}
	}
	src := b.String()
	start := time.Now()
	top, err := Parse([]byte(src), "big.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(top.Services) != MaxServices || len(top.Levels()) != MaxServices {
		t.Errorf("%d services in %d levels", len(top.Services), len(top.Levels()))
	}
	t.Logf("%d services loaded in %s", MaxServices, time.Since(start))
	tooMany := src + "  extra: {image: x}\n"
	if _, err := Parse([]byte(tooMany), "big.yaml", nil); err == nil || !strings.Contains(err.Error(), "the limit is "+strconv.Itoa(MaxServices)) {
		t.Errorf("1001 services: err = %v", err)
	}
	huge := "services:\n  a: {image: x}\n#" + strings.Repeat("x", MaxFileBytes) + "\n"
	if _, err := Parse([]byte(huge), "huge.yaml", nil); err == nil || !strings.Contains(err.Error(), "the limit is") {
		t.Errorf("huge file: err = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		top, err := Parse(data, "fuzz.yaml", nil)
		if err == nil {
			_ = top.Levels()
			_, _ = json.Marshal(top)
		}
	})
}

func BenchmarkLoadFlagship(b *testing.B) {
	data, err := os.ReadFile("../../topologies/abc.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Parse(data, "abc.yaml", nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad100(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("services:\n")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&sb, "  s%d: {image: x, ports: [\"%d:8080\"], environment: {K: v}}\n", i, 20000+i)
	}
	data := []byte(sb.String())
	for b.Loop() {
		if _, err := Parse(data, "n100.yaml", nil); err != nil {
			b.Fatal(err)
		}
	}
}
