// End-to-end tests that a failed re-up leaves the running project as it was: the previous containers back under their names, running, answering.

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// ids maps each container of the project to its ID, from ps.
func ids(t *testing.T, p string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range ps(t, p) {
		out[r.Container] = r.ID
	}
	return out
}

func TestFailedReUpPutsThePreviousVersionBack(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	for _, c := range []struct {
		name, service, yaml string
	}{
		// c has no fixed port: start-first, the previous c runs all along.
		{"start-first", "c", fastChain},
		// a publishes a fixed host port: stop-first, the previous a is
		// stopped, then started again.
		{"stop-first", "a", strings.Replace(fastChain, `ports: ["8080"]`, fmt.Sprintf(`ports: ["127.0.0.1:%d:8080"]`, port), 1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newProject(t)
			file := writeTopology(t, p, c.yaml)
			mustChainctl(t, "up", "-q", file)
			before := ids(t, p)
			broken := strings.Replace(c.yaml, c.service+": {image: chainctl/link:latest,", c.service+`: {image: chainctl/link:latest, command: ["-no-such-flag"],`, 1)
			if broken == c.yaml {
				t.Fatal("the test's topology edit did not apply")
			}
			r := chainctl(t, "up", "-q", writeTopology(t, p, broken))
			if r.code != 1 || !strings.Contains(r.stderr, "exited with code") || !strings.Contains(r.stderr, "the previous version of "+p+"-"+c.service+"-1 runs again") {
				t.Fatalf("failed re-up: %s", r)
			}
			if after := ids(t, p); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("containers after the failed re-up %v, want the previous ones %v", after, before)
			}
			for _, row := range ps(t, p) {
				if row.State != "running" || strings.Contains(row.Container, "-prev-") {
					t.Errorf("after the failed re-up: %+v", row)
				}
			}
			if r := chainctl(t, "call", "-p", p); r.code != 0 || !strings.Contains(r.stdout, "c ✓") {
				t.Errorf("call after the failed re-up: %s", r)
			}
			if out := docker(t, "ps", "-a", "--filter", "label=io.chainctl.project="+p, "--format", "{{.Names}}"); strings.Contains(out, "-prev-") {
				t.Errorf("a container set aside is left: %s", out)
			}
			// And a good change replaces it, removing the previous one.
			good := strings.Replace(c.yaml, c.service+": {image: chainctl/link:latest,", c.service+`: {image: chainctl/link:latest, environment: {VERSION: "2"},`, 1)
			mustChainctl(t, "up", "-q", writeTopology(t, p, good))
			if after := ids(t, p); after[p+"-"+c.service+"-1"] == before[p+"-"+c.service+"-1"] {
				t.Errorf("the good change did not recreate %s", c.service)
			}
			if out := docker(t, "ps", "-a", "--filter", "label=io.chainctl.project="+p, "--format", "{{.Names}}"); strings.Contains(out, "-prev-") {
				t.Errorf("the previous version is left after a good re-up: %s", out)
			}
		})
	}
}

// up --dry-run says what up would do and does none of it.
func TestUpDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	r := mustChainctl(t, "up", "--dry-run", writeTopology(t, p, fastChain))
	for _, want := range []string{"create  network    " + p + "-net", "create  container  " + p + "-a-1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dry run of a new project lacks %q:\n%s", want, r.stdout)
		}
	}
	if left := leftovers(p); left != "" {
		t.Fatalf("a dry run made %s", left)
	}
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	before := ids(t, p)
	changed := strings.Replace(fastChain, "environment: {TIMEOUT: 1s}", "environment: {TIMEOUT: 2s}", 1)
	r = mustChainctl(t, "up", "--dry-run", writeTopology(t, p, changed))
	for _, want := range []string{"recreate  container  " + p + "-b-1", "changed: environment", "keep      container  " + p + "-c-1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dry run of a change lacks %q:\n%s", want, r.stdout)
		}
	}
	if after := ids(t, p); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a dry run changed the containers: %v → %v", before, after)
	}
}

// With replicas, a changed service is replaced one replica at a time: the
// second replica's new container starts only once the first one's is
// healthy.
func TestReUpReplacesReplicasOneAtATime(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	two := strings.Replace(fastChain, "c: {image: chainctl/link:latest,", "c: {image: chainctl/link:latest, replicas: 2,", 1)
	mustChainctl(t, "up", "-q", writeTopology(t, p, two))
	changed := strings.Replace(two, "c: {image: chainctl/link:latest,", `c: {image: chainctl/link:latest, environment: {VERSION: "2"},`, 1)
	mustChainctl(t, "up", "-q", writeTopology(t, p, changed))
	healthy1 := docker(t, "inspect", "-f", "{{range .State.Health.Log}}{{if eq .ExitCode 0}}{{.End}}|{{end}}{{end}}", p+"-c-1")
	started2 := docker(t, "inspect", "-f", "{{.State.StartedAt}}", p+"-c-2")
	first, _, _ := strings.Cut(healthy1, "|")
	h1, err1 := time.Parse("2006-01-02 15:04:05.999999999 -0700 MST", first)
	s2, err2 := time.Parse(time.RFC3339Nano, started2)
	if err1 != nil || err2 != nil {
		t.Fatalf("times: %q (%v), %q (%v)", first, err1, started2, err2)
	}
	if s2.Before(h1) {
		t.Errorf("c-2's new container started at %s, before c-1's new one was first healthy at %s", s2, h1)
	}
	if out := docker(t, "ps", "-a", "--filter", "label=io.chainctl.project="+p, "--format", "{{.Names}}"); strings.Contains(out, "-prev-") {
		t.Errorf("previous versions left: %s", out)
	}
}
