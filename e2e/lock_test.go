// End-to-end test that the project lock holds on the engine: two spellings of one engine's address are still one project at a time.

package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const slowHealth = `name: PROJECT
services:
  a:
    image: chainctl/link:latest
    healthcheck: {test: ["CMD", "/link", "-health"], interval: 3s, timeout: 1s, retries: 3}
`

func TestEngineLockHoldsAcrossSpellingsOfTheEngine(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/run/docker.sock"); err != nil {
		t.Fatalf("this test drives the engine through /var/run/docker.sock and /run/docker.sock: %v", err)
	}
	p := newProject(t)
	path := writeTopology(t, p, slowHealth)
	first := exec.Command(chainctlBin, "up", "-q", path)
	first.Env = append(os.Environ(), "DOCKER_HOST=unix:///var/run/docker.sock")
	var firstErr syncWriter
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	// While the first up waits for a's first probe (3 s), the project is
	// held: a second chainctl that spells the engine another way (so its
	// local lock file differs) still finds it held, on the engine.
	eventually(t, 10*time.Second, "the first up to hold the engine lock", func() (bool, string) {
		out, _ := exec.Command("docker", "volume", "ls", "-q", "--filter", "label=io.chainctl.lock="+p).Output()
		return strings.TrimSpace(string(out)) != "", "no lock yet"
	})
	second := chainctlEnv(t, []string{"DOCKER_HOST=unix:///run/docker.sock"}, "down", "-q", "-p", p)
	if second.code != 1 || !strings.Contains(second.stderr, "is being changed by another chainctl") {
		t.Errorf("down through /run/docker.sock while up holds the project: %s", second)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first up: %v\n%s", err, firstErr.String())
	}
	if out, _ := exec.Command("docker", "volume", "ls", "-q", "--filter", "label=io.chainctl.lock="+p).Output(); strings.TrimSpace(string(out)) != "" {
		t.Errorf("the lock is left after up: %s", out)
	}
}
