// Tests of loading as compose does: -f merging, .env, env_file, profiles, include, extends, the version note, the project name and default-file discovery.

package compose

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/chainctl/chainctl/internal/topology"
)

func load(t *testing.T, o Options) *Loaded {
	t.Helper()
	if o.LookupEnv == nil {
		o.LookupEnv = lookupTestEnv
	}
	l, err := Load(context.Background(), o)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return l
}

func TestMerge(t *testing.T) {
	l := load(t, Options{Files: []string{"testdata/merge/compose.yaml", "testdata/merge/compose.prod.yaml"}})
	top := l.Topology
	same(t, "files", top.Files, []string{"testdata/merge/compose.yaml", "testdata/merge/compose.prod.yaml"})
	if top.File != "testdata/merge/compose.yaml" || top.Name != "merge" {
		t.Errorf("file %q, name %q", top.File, top.Name)
	}
	web := top.Services["web"]
	if web.Image != "nginx:1.27" {
		t.Errorf("image %q: the later file wins", web.Image)
	}
	same(t, "environment", web.Environment, map[string]string{"MODE": "prod", "KEEP": "base"})
	same(t, "ports", web.Ports, []topology.Port{
		{HostIP: "127.0.0.1", HostPort: "8080", ContainerPort: "80", Protocol: "tcp"},
		{HostIP: "127.0.0.1", HostPort: "8443", ContainerPort: "443", Protocol: "tcp"},
	})
	same(t, "services", top.ServiceNames(), []string{"cache", "db", "web"})
}

// A problem that a later -f file brings is reported at its line there.
func TestMergeErrorLine(t *testing.T) {
	_, err := Load(context.Background(), Options{Files: []string{"testdata/merge/compose.yaml", "testdata/merge/compose.bad.yaml"}})
	if err == nil {
		t.Fatal("loaded")
	}
	checkLocated(t, err, "testdata/merge/compose.yaml", "testdata/merge/compose.bad.yaml")
	if want := "testdata/merge/compose.bad.yaml:4: services.web.restart: "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v, want %s...", err, want)
	}
}

// .env beside the file feeds interpolation; the process environment wins
// over it, as in compose.
func TestDotEnv(t *testing.T) {
	l := load(t, Options{Files: []string{"testdata/full/compose.yaml"}})
	if l.Topology.Name != "full-test" {
		t.Errorf("name %q: .env sets STAGE=test", l.Topology.Name)
	}
	env := func(k string) (string, bool) {
		if k == "STAGE" {
			return "prod", true
		}
		return lookupTestEnv(k)
	}
	l = load(t, Options{Files: []string{"testdata/full/compose.yaml"}, LookupEnv: env})
	if l.Topology.Name != "full-prod" {
		t.Errorf("name %q: the process's STAGE=prod wins over .env", l.Topology.Name)
	}
}

func TestEnvFileAndInclude(t *testing.T) {
	l := load(t, Options{Files: []string{"testdata/include/compose.yaml"}})
	api := l.Topology.Services["api"]
	if api == nil {
		t.Fatalf("no api: %v", l.Topology.ServiceNames())
	}
	// The included project's own .env feeds its interpolation; its env_file is read.
	if api.Image != "api:from-sub-dotenv" {
		t.Errorf("image %q", api.Image)
	}
	same(t, "environment", api.Environment, map[string]string{"API_MODE": "included"})
	same(t, "depends_on", l.Topology.Services["web"].DependsOn, map[string]topology.Condition{"api": topology.ServiceStarted})
}

func TestExtends(t *testing.T) {
	web := load(t, Options{Files: []string{"testdata/extends/compose.yaml"}}).Topology.Services["web"]
	if web.Image != "nginx" || web.Restart != "always" {
		t.Errorf("image %q restart %q", web.Image, web.Restart)
	}
	same(t, "environment", web.Environment, map[string]string{"FROM_BASE": "yes", "OWN": "yes"})
}

func TestProfiles(t *testing.T) {
	top := load(t, Options{Files: []string{"testdata/full/compose.yaml"}, Profiles: []string{"cache"}}).Topology
	if top.Services["cache"] == nil {
		t.Fatalf("--profile cache: services %v", top.ServiceNames())
	}
	// With cache enabled, web's dependency on it is kept.
	if top.Services["web"].DependsOn["cache"] != topology.ServiceStarted {
		t.Errorf("depends_on %v", top.Services["web"].DependsOn)
	}
	env := func(k string) (string, bool) {
		if k == envProfiles {
			return " cache ,", true
		}
		return lookupTestEnv(k)
	}
	top = load(t, Options{Files: []string{"testdata/full/compose.yaml"}, LookupEnv: env}).Topology
	if top.Services["cache"] == nil {
		t.Errorf("COMPOSE_PROFILES=cache: services %v", top.ServiceNames())
	}
}

func TestProjectName(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "My_App.2")
	write(t, filepath.Join(sub, "compose.yaml"), "services:\n  web:\n    image: nginx\n")
	named := filepath.Join(dir, "named-compose.yaml")
	write(t, named, "name: from-file\nservices:\n  web: {image: nginx}\n")
	setEnv := func(k string) (string, bool) {
		if k == envProjectName {
			return "from-env", true
		}
		return "", false
	}
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Dir: sub}, "my_app2"}, // the directory, normalised as compose does
		{Options{Dir: sub, ProjectName: "cli"}, "cli"},
		{Options{Files: []string{named}}, "from-file"},
		{Options{Files: []string{named}, LookupEnv: setEnv}, "from-env"},
		{Options{Files: []string{named}, LookupEnv: setEnv, ProjectName: "cli"}, "cli"},
	} {
		if got := load(t, c.o).Topology; got.Name != c.want || got.Network.Name != c.want+"_default" {
			t.Errorf("%+v: name %q network %q, want %q", c.o, got.Name, got.Network.Name, c.want)
		}
	}
	if _, err := Load(context.Background(), Options{Dir: sub, ProjectName: "Bad Name"}); err == nil || !strings.Contains(err.Error(), "invalid project name") {
		t.Errorf("bad -p: %v", err)
	}
}

func TestVersionNote(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "docker-compose.yml")
	write(t, f, "version: '3.8'\nservices:\n  web:\n    image: nginx:${UNSET_TAG}\n")
	l := load(t, Options{Files: []string{f}})
	same(t, "notes", l.Notes, []string{
		f + ": `version` is obsolete and ignored",
		`The "UNSET_TAG" variable is not set. Defaulting to a blank string.`,
	})
	// Loading again notes it again: the note is per load, not per process.
	same(t, "notes again", load(t, Options{Files: []string{f}}).Notes, l.Notes)
}

// Find and the default files: compose's names in compose's order, and the
// override file beside the one found.
func TestFindAndOverride(t *testing.T) {
	dir := t.TempDir()
	if _, err := Find(dir); err == nil || !strings.Contains(err.Error(), "compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml") {
		t.Errorf("empty dir: %v", err)
	}
	order := []string{"docker-compose.yaml", "docker-compose.yml", "compose.yml", "compose.yaml"}
	for _, name := range order { // each added file is preferred to those before
		write(t, filepath.Join(dir, name), "services:\n  "+strings.NewReplacer(".", "-").Replace(name)+": {image: nginx}\n")
		if got, err := Find(dir); err != nil || got != filepath.Join(dir, name) {
			t.Errorf("with %s: %q, %v", name, got, err)
		}
	}
	write(t, filepath.Join(dir, "compose.override.yaml"), "services:\n  compose-yaml: {image: nginx:override}\n")
	l := load(t, Options{Dir: dir})
	same(t, "files", l.Topology.Files, []string{filepath.Join(dir, "compose.yaml"), filepath.Join(dir, "compose.override.yaml")})
	if img := l.Topology.Services["compose-yaml"].Image; img != "nginx:override" {
		t.Errorf("override not merged: %q", img)
	}
	if len(l.Notes) == 0 || !strings.Contains(l.Notes[0], "found several compose files") {
		t.Errorf("notes %q", l.Notes)
	}
}

// Every file chainctl itself ships loads exactly as topology.Load gives it.
func TestChainctlTopologiesUnchanged(t *testing.T) {
	files, _ := filepath.Glob("../../topologies/*.yaml")
	valid, _ := filepath.Glob("../topology/testdata/valid-*.yaml")
	if len(files) < 2 || len(valid) < 4 {
		t.Fatalf("fixtures: %v %v", files, valid)
	}
	for _, f := range append(files, valid...) {
		want, err := topology.Load(f, lookupTestEnv)
		if err != nil {
			t.Fatalf("topology.Load(%s): %v", f, err)
		}
		l := load(t, Options{Files: []string{f}})
		if !reflect.DeepEqual(l.Topology, want) || l.Notes != nil {
			t.Errorf("%s: differs from topology.Load (notes %q)", f, l.Notes)
		}
	}
	l := load(t, Options{Files: []string{"../../topologies/abc.yaml"}, ProjectName: "other"})
	if l.Topology.Name != "other" || l.Topology.Network.Name != "other-net" {
		t.Errorf("-p on a topology: %q %q", l.Topology.Name, l.Topology.Network.Name)
	}
	if _, err := Load(context.Background(), Options{Files: []string{"testdata/merge/compose.yaml", "../../topologies/abc.yaml"}}); err == nil ||
		!strings.Contains(err.Error(), "abc.yaml is a chainctl topology") {
		t.Errorf("a topology in a merge: %v", err)
	}
}

// Problems are all reported at once: compose-go's consistency check and
// the mapping's refusals together.
func TestEveryProblemAtOnce(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "compose.yaml")
	write(t, f, `services:
  web:
    image: nginx
    networks: [nope]
    restart: sometimes
    develop: {watch: [{path: ., action: rebuild}]}
    build: {context: ., ssh: [default]}
`)
	_, err := Load(context.Background(), Options{Files: []string{f}})
	if err == nil {
		t.Fatal("loaded")
	}
	checkLocated(t, err, f)
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		lines = append(lines, strings.TrimPrefix(l, f+":"))
	}
	same(t, "problems", lines, []string{
		`4: services.web.networks: service "web" refers to undefined network nope`,
		`5: services.web.restart: "sometimes": want no, on-failure[:N], always or unless-stopped`,
		`6: services.web.develop: not supported by chainctl: chainctl does not watch files`,
		"7: services.web.build.ssh: not supported by chainctl: " + buildkitReason,
	})
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestErrNoFile(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(context.Background(), Options{Dir: dir})
	if !errors.Is(err, ErrNoFile) {
		t.Errorf("Load: %v is not ErrNoFile", err)
	}
	if _, err := Find(dir); !errors.Is(err, ErrNoFile) {
		t.Errorf("Find: %v is not ErrNoFile", err)
	}
	same(t, "names", DefaultNames, []string{"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"})
}

// Upper-case service and volume names are compose's to accept; the built
// image's tag is lower-cased. A declared default network is the
// topology's Network.
func TestNamesAndDefaultNetwork(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "compose.yaml")
	write(t, f, `name: Proj
services:
  serviceA:
    build: .
    volumes: ["dataVol:/data"]
    networks:
      default: {aliases: [a]}
volumes:
  dataVol: {}
networks:
  default:
    name: my-net
    driver_opts: {mtu: "1400"}
`)
	top := load(t, Options{Files: []string{f}}).Topology
	svc := top.Services["serviceA"]
	if top.Name != "proj" || svc == nil || svc.Image != "proj-servicea" || svc.Build.Context != dir {
		t.Fatalf("name %q services %v", top.Name, top.ServiceNames())
	}
	same(t, "volume", top.Volumes["dataVol"], topology.Volume{Name: "proj_dataVol"})
	same(t, "network", top.Network, topology.Network{Name: "my-net", DriverOpts: map[string]string{"mtu": "1400"}})
	same(t, "attach", svc.Networks, []topology.NetworkAttach{{Key: "default", Aliases: []string{"a"}}})
	same(t, "joined", top.NetworksOf(svc), []topology.AttachedNetwork{{Key: "default", Name: "my-net", Aliases: []string{"serviceA", "a"}}})
}
