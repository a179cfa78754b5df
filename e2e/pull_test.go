// End-to-end tests of pulls from a real registry on this machine: per-layer progress, --pull never, a wrong tag, credentials from DOCKER_CONFIG.

package e2e

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chainctl/chainctl/internal/enginetest"
	"github.com/chainctl/chainctl/internal/registrytest"
)

// pulledChain is one link service running image REF.
const pulledChain = `name: PROJECT
services:
  a:
    image: REF
    ports: ["8080"]
    healthcheck: {test: ["CMD", "/link", "-health"], interval: 500ms, timeout: 1s, retries: 3}
`

func pulledTopology(t *testing.T, project, ref string) string {
	return writeTopology(t, project, strings.ReplaceAll(pulledChain, "REF", ref))
}

// emptyDockerConfig is a DOCKER_CONFIG with no credentials, so the
// machine's own ~/.docker plays no part.
func emptyDockerConfig(t *testing.T) string {
	return "DOCKER_CONFIG=" + t.TempDir()
}

// TestUpPullsWithLayerProgress: a missing image is pulled from a real
// registry, one progress line per layer.
func TestUpPullsWithLayerProgress(t *testing.T) {
	needDaemon(t)
	_, cli := enginetest.Daemon(t)
	reg := registrytest.Start(t, registrytest.Options{})
	ref := reg.Repo(t) + ":latest"
	reg.PushFresh(t, cli, "chainctl/link:latest", ref, 4<<20) // removed after the project's down
	p := newProject(t)
	file := pulledTopology(t, p, ref)

	never := chainctlEnv(t, []string{emptyDockerConfig(t)}, "up", "-p", p, "--pull", "never", file)
	if never.code == 0 || !strings.Contains(never.stderr, "image "+ref) || !strings.Contains(never.stderr, "--pull never") || !strings.Contains(never.stderr, "--pull missing") {
		t.Errorf("up --pull never with the image missing: %s", never)
	}
	if left := leftovers(p); left != "" {
		t.Errorf("a refused up left: %s", left)
	}

	up := chainctlEnv(t, []string{emptyDockerConfig(t)}, "up", "-p", p, "--progress", "plain", file)
	if up.code != 0 {
		t.Fatalf("up: %s", up)
	}
	for _, re := range []string{
		`(?m)^image\s+` + regexp.QuoteMeta(ref) + `\s+pulling`,
		`(?m)^layer\s+[0-9a-f]{12}\s+Already exists`,
		`(?m)^layer\s+[0-9a-f]{12}\s+Pulling fs layer`,
		`(?m)^layer\s+[0-9a-f]{12}\s+Downloading: [0-9.]+[kMG]?B/4\.[0-9]+MB`,
		`(?m)^layer\s+[0-9a-f]{12}\s+Extracting`,
		`(?m)^layer\s+[0-9a-f]{12}\s+Pull complete`,
		`(?m)^image\s+` + regexp.QuoteMeta(ref) + `\s+pulled: 2 layers \(1 already there\), 4\.[0-9]+MB downloaded, sha256:`,
	} {
		if !regexp.MustCompile(re).MatchString(up.stderr) {
			t.Errorf("up's progress lacks %s:\n%s", re, up.stderr)
		}
	}
	if status, _, err := get(endpoint(t, p, "a")); err != nil || status != 200 {
		t.Errorf("the pulled service answers %d, %v", status, err)
	}
	again := chainctlEnv(t, []string{emptyDockerConfig(t)}, "up", "-p", p, "--progress", "plain", file)
	if again.code != 0 || strings.Contains(again.stderr, "pulling") {
		t.Errorf("second up, the image there: it must not pull: %s", again)
	}
}

// TestUpWrongTagSaysSo: a tag the registry lacks is named as such.
func TestUpWrongTagSaysSo(t *testing.T) {
	needDaemon(t)
	_, cli := enginetest.Daemon(t)
	reg := registrytest.Start(t, registrytest.Options{})
	repo := reg.Repo(t)
	reg.Push(t, cli, "chainctl/link:latest", repo+":latest")
	p := newProject(t)
	r := chainctlEnv(t, []string{emptyDockerConfig(t)}, "up", "-p", p, pulledTopology(t, p, repo+":nope"))
	if r.code == 0 || !strings.Contains(r.stderr, "image "+repo+":nope: the registry has no such tag") {
		t.Errorf("up with a wrong tag: %s", r)
	}
	if left := leftovers(p); left != "" {
		t.Errorf("a failed pull left: %s", left)
	}
}

// TestUpPullsWithCredentials: a registry with auth takes the credentials
// of $DOCKER_CONFIG/config.json, and refuses clearly without them.
func TestUpPullsWithCredentials(t *testing.T) {
	needDaemon(t)
	_, cli := enginetest.Daemon(t)
	reg := registrytest.Start(t, registrytest.Options{User: "chainctl", Password: "s3cret"})
	ref := reg.Repo(t) + ":latest"
	reg.Push(t, cli, "chainctl/link:latest", ref)
	p := newProject(t)
	file := pulledTopology(t, p, ref)

	anon := chainctlEnv(t, []string{emptyDockerConfig(t)}, "up", "-p", p, file)
	if anon.code == 0 || !strings.Contains(anon.stderr, "refused access") || !strings.Contains(anon.stderr, "docker login "+reg.Addr) {
		t.Errorf("up without credentials: %s", anon)
	}

	withAuths := t.TempDir()
	cfg := `{"auths": {"` + reg.Addr + `": {"auth": "` + base64.StdEncoding.EncodeToString([]byte("chainctl:s3cret")) + `"}}}`
	if err := os.WriteFile(filepath.Join(withAuths, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := chainctlEnv(t, []string{"DOCKER_CONFIG=" + withAuths}, "up", "-p", p, file); r.code != 0 {
		t.Fatalf("up with credentials in DOCKER_CONFIG: %s", r)
	}
	mustChainctl(t, "down", "-q", "-p", p, "-t", "1s")
	registrytest.Remove(t, cli, ref)

	// The same through a credential helper on PATH (credsStore).
	withHelper, bin := t.TempDir(), t.TempDir()
	helper := `#!/bin/sh
read -r server
[ "$1" = get ] && [ "$server" = "` + reg.Addr + `" ] && { printf '{"ServerURL":"%s","Username":"chainctl","Secret":"s3cret"}' "$server"; exit 0; }
echo "credentials not found in native keychain"; exit 1
`
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-chainctltest"), []byte(helper), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(withHelper, "config.json"), []byte(`{"credsStore": "chainctltest"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"DOCKER_CONFIG=" + withHelper, "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}
	if r := chainctlEnv(t, env, "up", "-p", p, file); r.code != 0 {
		t.Fatalf("up with a credential helper: %s", r)
	}
}
