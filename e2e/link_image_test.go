// End-to-end tests of the link image by hand: identity, /version, a broken hop, SIGTERM stop time.

package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/enginetest"
	"github.com/chainctl/chainctl/internal/link"
)

// TestLinkImage runs chainctl/link with the plain docker CLI on a network of
// its own, no chainctl involved: the contract between the image and
// whatever runs it (name resolution by alias, non-root, HEALTHCHECK, fast
// SIGTERM, and a stopped hop named in the answer). TestMain has already
// failed the run if the daemon does not answer or the image is missing.
func TestLinkImage(t *testing.T) {
	needDaemon(t)
	t.Parallel()
	id := linkImgName(t)
	label := "io.chainctl.test=" + id
	t.Cleanup(func() { linkImgRemove(t, label) }) // before anything exists

	docker(t, "network", "create", "--label", label, id)
	start := func(svc string, publish bool, env ...string) string {
		name := id + "-" + svc
		args := []string{"run", "-d", "--name", name, "--label", label,
			"--network", id, "--network-alias", svc, "-e", "CHAINCTL_SERVICE=" + svc}
		if publish {
			args = append(args, "-p", "127.0.0.1::8080") // the engine picks the host port
		}
		for _, e := range env {
			args = append(args, "-e", e)
		}
		docker(t, append(args, "chainctl/link:latest")...)
		return name
	}
	c := start("c", false)
	b := start("b", false, "NEXT=c:8080")
	a := start("a", true, "NEXT=b:8080")
	solo := start("solo", true)
	urlA, urlSolo := linkImgURL(t, a), linkImgURL(t, solo)

	eventually(t, 30*time.Second, "a → b → c answers 200", func() (bool, string) {
		status, body, err := get(urlA + "/")
		return err == nil && status == 200 && strings.HasPrefix(body, "a (") &&
			strings.Contains(body, " → b (") && strings.Contains(body, " → c ("), linkImgSeen(status, body, err)
	})
	// Each hop reports its container's hostname (its short id) as instance.
	var tree link.Node
	if status, body, err := get(urlA + "/?format=json"); err != nil || status != 200 || json.Unmarshal([]byte(body), &tree) != nil {
		t.Fatalf("a as JSON: %s", linkImgSeen(status, body, err))
	}
	for _, hop := range []struct {
		node      *link.Node
		container string
	}{{&tree, a}, {tree.Calls[0], b}, {tree.Calls[0].Calls[0], c}} {
		if host := docker(t, "inspect", "-f", "{{.Config.Hostname}}", hop.container); hop.node.Instance != host {
			t.Errorf("%s reports instance %q, want its hostname %q", hop.node.Service, hop.node.Instance, host)
		}
	}

	eventually(t, 30*time.Second, "a link without NEXT answers with its name", func() (bool, string) {
		status, body, err := get(urlSolo + "/")
		return err == nil && status == 200 && strings.HasPrefix(body, "solo (") && strings.Count(body, "\n") == 1, linkImgSeen(status, body, err)
	})
	if status, body, err := get(urlSolo + "/version"); err != nil || status != 200 || body != "dev\n" {
		t.Errorf("/version: %s", linkImgSeen(status, body, err))
	}
	if user := docker(t, "inspect", "-f", "{{.Config.User}}", solo); user != "65534:65534" {
		t.Errorf("runs as %q, want 65534:65534", user)
	}
	eventually(t, 30*time.Second, "the image's HEALTHCHECK reports healthy", func() (bool, string) {
		h := docker(t, "inspect", "-f", "{{.State.Health.Status}}", solo)
		return h == "healthy", h
	})

	// SIGTERM ends the link at once: stop never waits out its 10s timeout.
	began := time.Now()
	docker(t, "stop", "-t", "10", c)
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("docker stop took %s: SIGTERM did not stop the link", took.Round(time.Millisecond))
	}
	if code := docker(t, "inspect", "-f", "{{.State.ExitCode}}", c); code != "0" {
		t.Errorf("c exited with code %s after SIGTERM, want 0", code)
	}
	eventually(t, 20*time.Second, "a answers 502 naming c", func() (bool, string) {
		status, body, err := get(urlA + "/")
		return err == nil && status == 502 && strings.Contains(body, " → c ✗ "), linkImgSeen(status, body, err)
	})
}

// linkImgName is a name of this test's own for its network, containers and
// label: readable from t.Name(), unique per run.
func linkImgName(t *testing.T) string { return enginetest.Project(t) }

// linkImgURL is the loopback URL of a container's published port 8080.
func linkImgURL(t *testing.T, container string) string {
	t.Helper()
	addr, _, _ := strings.Cut(docker(t, "port", container, "8080/tcp"), "\n")
	return "http://" + addr
}

func linkImgSeen(status int, body string, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("HTTP %d: %s", status, strings.TrimSpace(body))
}

// linkImgRemove removes every container (with its volumes) and network that
// carries label, and fails the test if any survives. On failure it shows
// the containers' last log lines first: they say why.
func linkImgRemove(t *testing.T, label string) {
	list := func(args ...string) []string {
		out, _ := exec.Command("docker", append(args, "--filter", "label="+label)...).Output()
		return strings.Fields(string(out))
	}
	containers := list("ps", "-aq")
	if t.Failed() {
		for _, c := range containers {
			out, _ := exec.Command("docker", "logs", "--tail", "20", c).CombinedOutput()
			t.Logf("logs of %s:\n%s", c, out)
		}
	}
	if len(containers) > 0 {
		if err := removeRunning(containers...); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
	if nets := list("network", "ls", "-q"); len(nets) > 0 {
		if out, err := exec.Command("docker", append([]string{"network", "rm"}, nets...)...).CombinedOutput(); err != nil {
			t.Errorf("cleanup: docker network rm: %v: %s", err, out)
		}
	}
	if left := append(list("ps", "-aq"), list("network", "ls", "-q")...); len(left) > 0 {
		t.Errorf("cleanup: left behind with %s: %v", label, left)
	}
}

// TestLinkImageReplicaDies: a calls b, two replicas behind one alias. With
// a's addresses of b cached, killing one replica must not fail a single
// call: a call that reaches the dead address is retried on the other as
// soon as DNS has dropped it, well within a's TIMEOUT.
func TestLinkImageReplicaDies(t *testing.T) {
	needDaemon(t)
	t.Parallel()
	id := linkImgName(t)
	label := "io.chainctl.test=" + id
	t.Cleanup(func() { linkImgRemove(t, label) })

	docker(t, "network", "create", "--label", label, id)
	run := func(name, alias string, args ...string) string {
		full := id + "-" + name
		docker(t, append(append([]string{"run", "-d", "--name", full, "--label", label, "--no-healthcheck",
			"--network", id, "--network-alias", alias, "-e", "CHAINCTL_SERVICE=" + alias}, args...), "chainctl/link:latest")...)
		return full
	}
	b1 := run("b1", "b")
	run("b2", "b")
	a := run("a", "a", "-e", "NEXT=b:8080", "-e", "TIMEOUT=2s", "-p", "127.0.0.1::8080")
	url := linkImgURL(t, a) + "/?format=json"
	b1Host := docker(t, "inspect", "-f", "{{.Config.Hostname}}", b1)

	// Both replicas answer: a has both addresses, and pooled connections to each.
	seen := map[string]bool{}
	eventually(t, 30*time.Second, "both replicas of b answer", func() (bool, string) {
		status, body, err := get(url)
		var tree link.Node
		if err == nil && status == 200 && json.Unmarshal([]byte(body), &tree) == nil && len(tree.Calls) == 1 {
			seen[tree.Calls[0].Instance] = true
		}
		return len(seen) == 2, linkImgSeen(status, body, err)
	})

	docker(t, "kill", b1)
	for i := 0; i < 40; i++ {
		start := time.Now()
		status, body, err := get(url)
		var tree link.Node
		if err != nil || status != 200 || json.Unmarshal([]byte(body), &tree) != nil || tree.Calls[0].Instance == b1Host {
			t.Fatalf("call %d after the kill: %s", i, linkImgSeen(status, body, err))
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("call %d took %s", i, took)
		}
	}
}
