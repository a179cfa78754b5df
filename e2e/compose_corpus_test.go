// The public compose corpus in CI: docker/compose's own e2e fixtures, from the Go module proxy, through `chainctl config`.

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The fixtures come from a released docker/compose module, so the set is
// fixed and the floor below means the same thing on every machine.
const (
	composeModule  = "github.com/docker/compose/v2"
	composeVersion = "v2.40.3"
	// composeCorpusFloor is how many of the module's 148 compose fixtures
	// `chainctl config` accepted when last measured: fewer is a regression.
	// (28 loaded with the topology loader alone, before internal/compose;
	// 97 with its first cut; 106 once dockerfile_inline, ipc, pid,
	// userns_mode, cpu_shares, logging, network_mode bridge, inline and
	// environment configs and raw env_files were mapped. docker compose
	// v2.40.3's own `config -q` accepts 141.)
	composeCorpusFloor = 106
)

// composeRepresentative are fixtures that must load, each for the keys it
// brings, with the services `config` must print (and, after a !, must not).
var composeRepresentative = map[string][]string{
	"simple-composefile/compose.yaml":               {"simple", "another"},
	"build-test/minimal/compose.yaml":               {"test"},                                 // build: .
	"network-test/compose.yaml":                     {"mydb", "db", "words", "web"},           // networks with name:, network_mode service:, init
	"volume-test/compose.yaml":                      {"nginx", "nginx2"},                      // build, anonymous, upper-case and named volumes, a config and a secret
	"bridge/compose.yaml":                           {"serviceA", "serviceB"},                 // upper-case names, an internal network, configs, secrets
	"dependencies/deps-completed-successfully.yaml": {"oneshot", "longrunning"},               // service_completed_successfully
	"network-alias/compose.yaml":                    {"container1", "container2"},             // links, aliases on default
	"profiles/compose.yaml":                         {"regular-service", "!profiled-service"}, // a profile not selected
	"dotenv/development/compose.yaml":               {"backend"},                              // .env interpolation
}

// located is how a refusal must name its place: `file:line: ...`.
var located = regexp.MustCompile(`(?m)^[^\s:]+:\d+(:\d+)?: \S`)

func TestComposeCorpus(t *testing.T) {
	needDaemon(t) // the binary is built by TestMain outside -short
	root := filepath.Join(t.TempDir(), "fixtures")
	copyTree(t, filepath.Join(downloadModule(t, composeModule, composeVersion), "pkg", "e2e", "fixtures"), root)
	files := composeFiles(t, root)
	if len(files) < 100 {
		t.Fatalf("found %d compose fixtures under %s; want the module's 148", len(files), root)
	}
	loaded, refusedBy := 0, map[string]int{}
	for _, rel := range files {
		r := chainctlIn(t, filepath.Join(root, filepath.Dir(rel)), "config", "-f", filepath.Base(rel))
		switch {
		case crashed(r):
			t.Errorf("%s: chainctl config crashed: %s", rel, r)
		case r.code == 0:
			loaded++
		case !located.MatchString(r.stderr):
			t.Errorf("%s: refused without a file:line: %s", rel, r)
		default:
			for _, k := range refusedKeys(r.stderr) {
				refusedBy[k]++
			}
		}
		if want, ok := composeRepresentative[rel]; ok {
			checkRepresentative(t, rel, r, want)
		}
	}
	for rel := range composeRepresentative {
		if !slices.Contains(files, rel) {
			t.Errorf("representative fixture %s is not in %s@%s", rel, composeModule, composeVersion)
		}
	}
	t.Logf("%s@%s: %d of %d compose fixtures load; refused, by the key named (files):\n%s",
		composeModule, composeVersion, loaded, len(files), rankKeys(refusedBy))
	if loaded < composeCorpusFloor {
		t.Errorf("%d fixtures load, fewer than the floor of %d: a regression", loaded, composeCorpusFloor)
	}
}

func checkRepresentative(t *testing.T, rel string, r result, services []string) {
	t.Helper()
	if r.code != 0 {
		t.Errorf("%s should load: %s", rel, r)
		return
	}
	for _, s := range services {
		if name, ok := strings.CutPrefix(s, "!"); ok {
			if strings.Contains(r.stdout, name) {
				t.Errorf("%s: config prints service %s, which no selected profile has:\n%s", rel, name, r.stdout)
			}
		} else if !strings.Contains(r.stdout, s) {
			t.Errorf("%s: config does not print service %s:\n%s", rel, s, r.stdout)
		}
	}
}

// crashed is a panic, a signal or an exit code other than 0 and 1.
func crashed(r result) bool {
	return (r.code != 0 && r.code != 1) || strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "goroutine ")
}

// refusedKeys are the field paths a refusal names (once each), with the
// names of services and resources and list indices wildcarded.
func refusedKeys(stderr string) []string {
	name := regexp.MustCompile(`^(services|networks|volumes|secrets|configs)\.[^.\[]+`)
	index := regexp.MustCompile(`\[\d+\]`)
	mapKey := regexp.MustCompile(`\.(depends_on|environment|networks|labels|sysctls|ulimits|args|driver_opts|extra_hosts)\.[^.\[]+`)
	seen := map[string]bool{}
	var keys []string
	for _, line := range strings.Split(stderr, "\n") {
		loc := located.FindStringIndex(line)
		if loc == nil {
			continue
		}
		rest := line[strings.Index(line, ": ")+2:]
		path, _, ok := strings.Cut(rest, ": ")
		if !ok || strings.Contains(path, " ") {
			path = "(no field path)"
		}
		path = mapKey.ReplaceAllString(name.ReplaceAllString(index.ReplaceAllString(path, "[]"), "$1.*"), ".$1.*")
		if !seen[path] {
			seen[path] = true
			keys = append(keys, path)
		}
	}
	return keys
}

func rankKeys(n map[string]int) string {
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if n[keys[i]] != n[keys[j]] {
			return n[keys[i]] > n[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%5d  %s\n", n[k], k)
	}
	return b.String()
}

// downloadModule fetches a module into the module cache (read-only there)
// and returns its directory.
func downloadModule(t *testing.T, path, version string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", path+"@"+version)
	cmd.Dir = t.TempDir() // outside chainctl's module: its go.mod and go.sum stay as they are
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); err != nil || jerr != nil || info.Error != "" || info.Dir == "" {
		t.Fatalf("go mod download %s@%s: %v %s\n%s%s", path, version, err, info.Error, out, stderr.String())
	}
	return info.Dir
}

// copyTree copies a tree (read-only in the module cache) to dst, writable,
// so that whatever a loader or a build does beside a file stays in the test.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, info.Mode().Perm()|0o200)
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

// composeFiles are the .yml and .yaml files under root with a top-level
// services: key, relative to root, in order.
func composeFiles(t *testing.T, root string) []string {
	t.Helper()
	services := regexp.MustCompile(`(?m)^services:`)
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && services.Match(b) {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	sort.Strings(files)
	return files
}
