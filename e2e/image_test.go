package e2e

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLinkImageByHand runs the image the way the seed documents did, with
// plain `docker run` on a user-defined network: no chainctl involved.
func TestLinkImageByHand(t *testing.T) {
	t.Parallel()
	needDaemon(t)
	tag := randomSuffix()
	net := "byhand-" + tag
	names := map[string]string{"a": net + "-a", "b": net + "-b", "c": net + "-c", "solo": net + "-solo"}
	t.Cleanup(func() {
		for _, n := range names {
			exec.Command("docker", "rm", "-f", n).Run()
		}
		exec.Command("docker", "network", "rm", net).Run()
	})
	docker(t, "network", "create", "--label", "io.chainctl.test="+tag, net)
	run := func(svc, next string, publish bool) {
		args := []string{"run", "-d", "--name", names[svc], "--network", net, "--network-alias", svc,
			"--label", "io.chainctl.test=" + tag, "-e", "CHAINCTL_SERVICE=" + svc}
		if next != "" {
			args = append(args, "-e", "NEXT="+next)
		}
		if publish {
			args = append(args, "-p", "127.0.0.1::8080")
		}
		docker(t, append(args, "chainctl/link:latest")...)
	}
	run("c", "", false)
	run("b", "c:8080", false)
	run("a", "b:8080", true)
	run("solo", "", true)

	url := func(name string) string {
		return "http://" + strings.Split(docker(t, "port", name, "8080/tcp"), "\n")[0]
	}
	eventually(t, 20*time.Second, "a → b → c answers", func() (bool, string) {
		status, body, err := get(url(names["a"]) + "/")
		ok := err == nil && status == 200 && strings.HasPrefix(body, "a (") && strings.Contains(body, "→ b (") && strings.Contains(body, "→ c (")
		return ok, body
	})
	eventually(t, 20*time.Second, "a lone link answers with its name", func() (bool, string) {
		status, body, err := get(url(names["solo"]) + "/")
		return err == nil && status == 200 && strings.HasPrefix(body, "solo ("), body
	})
	if user := docker(t, "inspect", "-f", "{{.Config.User}}", names["solo"]); user != "65534:65534" {
		t.Errorf("runs as %q, want 65534:65534", user)
	}
	eventually(t, 20*time.Second, "the image's HEALTHCHECK says healthy", func() (bool, string) {
		h := docker(t, "inspect", "-f", "{{.State.Health.Status}}", names["solo"])
		return h == "healthy", h
	})
	docker(t, "stop", names["c"])
	status, body, err := get(url(names["a"]) + "/")
	if err != nil || status != 502 || !strings.Contains(body, "c ✗") {
		t.Errorf("after stopping c: %d %q %v", status, body, err)
	}
}
