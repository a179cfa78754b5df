// The README's compose walk-through, examples/shop, run as the README runs it: build, up, call, break, heal, down.

package e2e

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestExampleShop keeps the README's compose example true: the image is
// built from the repository's Dockerfile, the one-shot completes before
// api starts, the chain answers web → api → db, a disconnected api breaks
// it and heal mends it, and down --rmi local leaves nothing, the built
// image included.
func TestExampleShop(t *testing.T) {
	p := newProject(t)
	const img = "shop/link:dev"
	if exec.Command("docker", "image", "inspect", img).Run() != nil {
		t.Cleanup(func() { _ = exec.Command("docker", "rmi", img).Run() }) // built by this test
	}
	env := []string{"SHOP_PORT=" + strconv.Itoa(freePort(t))}
	file := "../examples/shop/compose.yaml"
	run := func(args ...string) result {
		t.Helper()
		return chainctlEnv(t, env, append(args, "-p", p, "-f", file)...)
	}
	up := run("up", "--progress", "plain")
	if up.code != 0 {
		t.Fatalf("up: %s", up)
	}
	for _, want := range []string{"migrate-1", "exited (0)", "completed", "http://127.0.0.1:"} {
		if !strings.Contains(up.stdout+up.stderr, want) {
			t.Errorf("up does not say %q: %s", want, up)
		}
	}
	call := run("call")
	if call.code != 0 || !strings.Contains(call.stdout, "web ✓") || !strings.Contains(call.stdout, "└─ api ✓") || !strings.Contains(call.stdout, "└─ db ✓") {
		t.Fatalf("call: %s", call)
	}
	if r := run("break", "api", "--mode", "disconnect"); r.code != 0 || !strings.Contains(r.stdout, "affected callers: web") {
		t.Fatalf("break: %s", r)
	}
	if r := run("call"); r.code != 1 || !strings.Contains(r.stdout, "└─ api ✗") {
		t.Errorf("call with api disconnected: %s", r)
	}
	if r := run("heal"); r.code != 0 {
		t.Fatalf("heal: %s", r)
	}
	if r := run("call"); r.code != 0 {
		t.Errorf("call after heal: %s", r)
	}
	// --rmi local removes the image chainctl built for the project (under
	// another project's name it would be kept: the label names the project
	// that built it).
	down := run("down", "--rmi", "local")
	built := exec.Command("docker", "image", "inspect", "--format", `{{index .Config.Labels "io.chainctl.image.project"}}`, img)
	owner, _ := built.Output()
	if down.code != 0 || !strings.Contains(down.stdout, "removed 4 containers, 2 networks, 2 volumes") {
		t.Errorf("down: %s", down)
	}
	if strings.TrimSpace(string(owner)) == p {
		t.Errorf("down --rmi local kept the image it built: %s", down)
	}
	for _, kind := range []string{"container", "network", "volume"} {
		args := []string{kind, "ls", "-q", "--filter", "label=io.chainctl.project=" + p}
		if kind == "container" {
			args = []string{"ps", "-aq", "--filter", "label=io.chainctl.project=" + p}
		}
		if out, _ := exec.Command("docker", args...).Output(); strings.TrimSpace(string(out)) != "" {
			t.Errorf("left after down: %s %s", kind, out)
		}
	}
}
