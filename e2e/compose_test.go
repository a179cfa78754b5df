// End-to-end: a user's compose.yaml (build:, two networks, env_file, a secret, a one-shot, volumes) through chainctl's verbs, every mapped key checked through inspect.

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// composeDir is a copy of testdata/compose/chain in a directory named after
// the project (so the default project name is the test's), with the link
// binary in its build context and the variables its file interpolates.
type composeDir struct {
	project, dir string
	vars         map[string]string // PORT_A, PORT_B, API_NAME
}

var (
	linkOnce sync.Once
	linkBin  string
	linkErr  error
)

// staticLink builds cmd/link once per run, static, for FROM scratch.
func staticLink(t *testing.T) string {
	t.Helper()
	linkOnce.Do(func() {
		dir, err := os.MkdirTemp("", "chainctl-e2e-link-")
		if err != nil {
			linkErr = err
			return
		}
		linkBin = filepath.Join(dir, "link")
		cmd := exec.Command("go", "build", "-trimpath", "-tags", "nethttpomithttp2", "-ldflags", "-s -w", "-o", linkBin, "./cmd/link")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			linkErr = fmt.Errorf("go build ./cmd/link: %v\n%s", err, out)
		}
	})
	if linkErr != nil {
		t.Fatal(linkErr)
	}
	return linkBin
}

// newComposeDir lays the project out; with dotenv its variables go into a
// .env beside compose.yaml, as a user would write them.
func newComposeDir(t *testing.T, project string, dotenv bool) composeDir {
	t.Helper()
	dir := filepath.Join(t.TempDir(), project)
	copyTree(t, filepath.Join("testdata", "compose", "chain"), dir)
	bin, err := os.ReadFile(staticLink(t))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "app", "link"), string(bin), 0o755)
	// What .dockerignore keeps out of the context: a local secret and junk.
	writeFile(t, filepath.Join(dir, "app", "conf", "dev.secret"), "never in an image\n", 0o600)
	writeFile(t, filepath.Join(dir, "app", "junk", "big.bin"), strings.Repeat("x", 4<<20), 0o644)
	c := composeDir{project: project, dir: dir, vars: map[string]string{
		"PORT_A": strconv.Itoa(freePort(t)), "PORT_B": strconv.Itoa(freePort(t)), "API_NAME": project + "-api",
	}}
	if dotenv {
		var b strings.Builder
		for _, k := range []string{"PORT_A", "PORT_B", "API_NAME"} {
			fmt.Fprintf(&b, "%s=%s\n", k, c.vars[k])
		}
		writeFile(t, filepath.Join(dir, ".env"), b.String(), 0o644)
	}
	return c
}

func (c composeDir) env() []string {
	var env []string
	for k, v := range c.vars {
		env = append(env, k+"="+v)
	}
	return env
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// chainctlIn runs chainctl from dir, as a user in their project directory.
func chainctlIn(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return chainctlInEnv(t, dir, nil, args...)
}

func chainctlInEnv(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	return runChainctl(t, dir, 3*time.Minute, env, args...) // builds take longer
}

// removeImagesOf registers the removal of the images a project built,
// tagged <project>-<service> (chainctl) or <project>_<service> (v1), after
// down (an image in use cannot be removed).
func removeImagesOf(t *testing.T, project string, down func()) {
	t.Cleanup(func() {
		down()
		for _, ref := range []string{project + "-*", project + "_*"} {
			// By tag, not ID: identical builds share one ID under several tags.
			out, _ := exec.Command("docker", "images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference="+ref).Output()
			for _, tag := range strings.Fields(string(out)) {
				if msg, err := exec.Command("docker", "image", "rm", tag).CombinedOutput(); err != nil {
					t.Errorf("remove image %s of %s: %v %s", tag, project, err, msg)
				}
			}
		}
	})
}

// TestComposeChain is the "done when": a user's compose.yaml comes
// up by default discovery, answers, breaks, heals and comes down with
// nothing left, every mapped key is checked through inspect, and the same
// file run by docker-compose v1 is compared with it key by key.
func TestComposeChain(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	removeImagesOf(t, p, func() { chainctl(t, "down", "-q", "-p", p, "-t", "1s") })
	c := newComposeDir(t, p, true)

	if r := chainctlIn(t, c.dir, "config"); r.code != 0 || !strings.Contains(r.stdout, "api_token") {
		t.Fatalf("chainctl config (compose.yaml found by default): %s", r)
	}
	up := chainctlIn(t, c.dir, "up", "--progress", "plain")
	if up.code != 0 {
		t.Fatalf("chainctl up (no -f, from the project directory): %s", up)
	}
	if !strings.Contains(up.stderr, "FROM scratch") && !strings.Contains(up.stderr, "Step 1/") {
		t.Errorf("up streams no build progress (no Dockerfile step on stderr):\n%s", up.stderr)
	}
	entry := "http://127.0.0.1:" + c.vars["PORT_A"] + "/"
	status, body, err := get(entry)
	if err != nil || status != 200 || !regexp.MustCompile(`^web \(.*, 7, .*→ api \(.*, 7, .*→ store \(store-host, 7, `).MatchString(body) {
		t.Fatalf("GET %s = %d %q %v; want web → api → store, version 7 from the build arg", entry, status, body, err)
	}
	checkComposePS(t, c)
	if r := chainctl(t, "call", "-p", p); r.code != 0 || !strings.Contains(r.stdout, "web ✓") || !strings.Contains(r.stdout, "api ✓") || !strings.Contains(r.stdout, "store ✓") {
		t.Errorf("call: want the path web → api → store: %s", r)
	}
	cs := composeContainers(t, "io.chainctl.project", p, "io.chainctl.service")
	checkComposeMapping(t, c, cs)
	checkBuiltImage(t, p+"-web")

	br := chainctl(t, "break", "-q", "-p", p, "api")
	if br.code != 0 {
		t.Fatalf("break api: %s", br)
	}
	eventually(t, 20*time.Second, "the entry fails while api is broken", func() (bool, string) {
		s, b, err := get(entry)
		return err == nil && s != 200, fmt.Sprintf("%d %q %v", s, b, err)
	})
	// A hop that never answered is named by its URL's host: web calls api
	// by its alias api-front.
	if r := chainctl(t, "call", "-p", p); r.code != 1 || !strings.Contains(r.stdout, "web ✗") || !strings.Contains(r.stdout, "api-front ✗") {
		t.Errorf("call with api broken: want exit 1, web ✗ and api-front ✗: %s", r)
	}
	if r := chainctl(t, "heal", "-q", "-p", p, "api"); r.code != 0 {
		t.Fatalf("heal api: %s", r)
	}
	callOK(t, p)
	if s, b, err := get(entry); err != nil || s != 200 {
		t.Errorf("GET after heal = %d %q %v", s, b, err)
	}

	healed := composeContainers(t, "io.chainctl.project", p, "io.chainctl.service")
	if a, b := mountList(cs["api"], c.dir, p), mountList(healed["api"], c.dir, p); !slices.Equal(a, b) {
		t.Errorf("heal changed api's mounts: %v → %v", a, b)
	}
	compareResources(t, p, compareWithComposeV1(t, c, healed))

	volumes := append(volumesOf(cs), volumesOf(healed)...)
	if r := chainctlIn(t, c.dir, "down"); r.code != 0 {
		t.Fatalf("chainctl down (from the project directory): %s", r)
	}
	assertComposeGone(t, c, volumes)
}

// checkComposePS: the three long-running services run healthy; the
// one-shot, when ps lists it, has exited 0.
func checkComposePS(t *testing.T, c composeDir) {
	t.Helper()
	seen := map[string]psRow{}
	for _, r := range ps(t, c.project) {
		seen[r.Service] = r
	}
	for _, s := range []string{"web", "api", "store"} {
		if r, ok := seen[s]; !ok || r.State != "running" || r.Health != "healthy" {
			t.Errorf("ps: %s is %+v, want running and healthy", s, r)
		}
	}
	if r := seen["api"]; r.Container != c.vars["API_NAME"] {
		t.Errorf("ps: api's container is %q, want container_name %q", r.Container, c.vars["API_NAME"])
	}
	if r, ok := seen["migrate"]; ok && r.State == "running" {
		t.Errorf("ps: the one-shot migrate still runs: %+v", r)
	}
}

// checkBuiltImage: the build's args and labels are in the image, and
// .dockerignore kept the local secret and the junk out of the context.
func checkBuiltImage(t *testing.T, image string) {
	t.Helper()
	got := docker(t, "image", "inspect", image, "--format", `{{json .Config.Env}} {{index .Config.Labels "org.example.built-by"}} {{.Config.User}} {{json .Config.Entrypoint}}`)
	if !strings.Contains(got, `"VERSION=7"`) || !strings.Contains(got, " chainctl-e2e 65534 [\"/link\"]") {
		t.Errorf("image %s: %s; want VERSION=7 (build arg), the build label, USER 65534, ENTRYPOINT /link", image, got)
	}
	id := docker(t, "create", image)
	defer exec.Command("docker", "rm", "-f", id).Run()
	out, err := exec.Command("sh", "-c", "docker cp "+id+":/conf - | tar -t").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "conf/app.conf") || strings.Contains(string(out), "dev.secret") {
		t.Errorf("/conf in %s: %v %s; want app.conf and not dev.secret (.dockerignore)", image, err, out)
	}
}

// assertComposeGone: nothing is left by label, and nothing by name either:
// the container_name container, the compose-named networks and volume,
// the anonymous volume.
func assertComposeGone(t *testing.T, c composeDir, volumes []string) {
	t.Helper()
	if left := leftovers(c.project); left != "" {
		t.Errorf("down left, by label: %s", left)
	}
	for _, n := range []string{c.vars["API_NAME"], c.project + "-web-1", c.project + "-store-1", c.project + "-migrate-1"} {
		if exec.Command("docker", "container", "inspect", n).Run() == nil {
			t.Errorf("down left container %s", n)
		}
	}
	for _, n := range []string{c.project + "_front", c.project + "_back", c.project + "_default", c.project + "-net"} {
		if exec.Command("docker", "network", "inspect", n).Run() == nil {
			t.Errorf("down left network %s", n)
		}
	}
	for _, v := range volumes {
		if exec.Command("docker", "volume", "inspect", v).Run() == nil {
			t.Errorf("down left volume %s", v)
		}
	}
	if len(volumes) < 2 {
		t.Errorf("volumes seen before down: %v; want the named and the anonymous one", volumes)
	}
}

// compareResources compares the project networks and the named volume
// that chainctl and v1 made, field by field: driver, options, the file's
// labels.
func compareResources(t *testing.T, mine, theirs string) {
	t.Helper()
	// v1 makes every network attachable; compose v2, and chainctl with it,
	// follow the file (attachable: false unless it says true). On a local
	// bridge network it changes nothing.
	allowed := map[string]bool{"network/attachable": true}
	fields := map[string][]string{
		"network": {"driver={{.Driver}}", "internal={{.Internal}}", "attachable={{.Attachable}}", "ipv6={{.EnableIPv6}}", "options={{json .Options}}", `tier={{index .Labels "org.example.tier"}}`},
		"volume":  {"driver={{.Driver}}", "options={{json .Options}}"},
	}
	for _, r := range []struct{ kind, key string }{{"network", "front"}, {"network", "back"}, {"volume", "data"}} {
		for _, f := range fields[r.kind] {
			a := docker(t, r.kind, "inspect", mine+"_"+r.key, "--format", f)
			b := docker(t, r.kind, "inspect", theirs+"_"+r.key, "--format", f)
			name, _, _ := strings.Cut(f, "=")
			switch {
			case a == b:
			case allowed[r.kind+"/"+name]:
				t.Logf("intended difference, %s %s: chainctl %q, v1 %q", r.kind, r.key, a, b)
			default:
				t.Errorf("%s %s: chainctl %q, docker-compose v1 %q", r.kind, r.key, a, b)
			}
		}
	}
}
