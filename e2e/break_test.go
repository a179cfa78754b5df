// End-to-end tests of break and heal: every mode, replicas, --for, what ps and call show, and that heal restores the config hash or names the image that moved.

package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// callOK polls `chainctl call` until it exits 0.
func callOK(t *testing.T, project string) {
	t.Helper()
	eventually(t, 30*time.Second, "call exits 0", func() (bool, string) {
		r := chainctl(t, "call", "-p", project)
		return r.code == 0, r.String()
	})
}

func TestBreakModes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		mode, fault, reason string
	}{
		{"kill", "killed", "no such host"},
		{"stop", "stopped", "no such host"},
		{"pause", "paused", "timeout after"},
		{"disconnect", "disconnected", "no such host"},
		{"remove", "removed", "no such host"},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			t.Parallel()
			p := newProject(t)
			mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
			callOK(t, p)

			br := mustChainctl(t, "break", "-q", "-p", p, "c", "--mode", c.mode)
			if !strings.Contains(br.stdout, "broke "+p+"-c-1 ("+c.mode+")") || !strings.Contains(br.stdout, "affected callers: a, b") {
				t.Errorf("break output:\n%s", br.stdout)
			}
			start := time.Now()
			r := chainctl(t, "call", "-p", p)
			if r.code != 1 || !strings.Contains(r.stdout, "c ✗") || !strings.Contains(r.stdout, c.reason) {
				t.Errorf("call after break: want exit 1, c ✗ %s: %s", c.reason, r)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("call took %s: a broken hop must fail within the link's TIMEOUT", took)
			}
			if f := row(t, ps(t, p), p+"-c-1").Fault; f != c.fault {
				t.Errorf("ps fault = %q, want %q", f, c.fault)
			}
			mustChainctl(t, "heal", "-q", "-p", p, "c")
			callOK(t, p)
			if f := row(t, ps(t, p), p+"-c-1").Fault; f != "-" {
				t.Errorf("after heal, fault = %q", f)
			}
		})
	}
}

func TestBreakRestartComesBack(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	before := row(t, ps(t, p), p+"-c-1").ID
	mustChainctl(t, "break", "-q", "-p", p, "c", "--mode", "restart")
	callOK(t, p)
	if after := row(t, ps(t, p), p+"-c-1").ID; after != before {
		t.Errorf("restart replaced the container: %s → %s", before, after)
	}
}

func TestBreakForHealsItself(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	r := mustChainctl(t, "break", "-q", "-p", p, "c", "--for", "2s")
	if !strings.Contains(r.stdout, "healed "+p+"-c-1 (killed)") {
		t.Errorf("break --for output:\n%s", r)
	}
	callOK(t, p)
	if f := row(t, ps(t, p), p+"-c-1").Fault; f != "-" {
		t.Errorf("fault after --for = %q", f)
	}
}

func TestBreakOneReplica(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, strings.Replace(fastChain, "environment: {TIMEOUT: 1s}", "replicas: 3, environment: {TIMEOUT: 1s}", 1)))
	mustChainctl(t, "break", "-q", "-p", p, "b/2")
	for _, r := range ps(t, p) {
		want := "-"
		if r.Container == p+"-b-2" {
			want = "killed"
		}
		if r.Fault != want {
			t.Errorf("%s fault = %q, want %q", r.Container, r.Fault, want)
		}
	}
	mustChainctl(t, "heal", "-q", "-p", p)
	for _, r := range ps(t, p) {
		if r.Fault != "-" {
			t.Errorf("after heal %s fault = %q", r.Container, r.Fault)
		}
	}
}

func TestHealAfterOutsideKill(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	docker(t, "kill", p+"-c-1")
	if f := row(t, ps(t, p), p+"-c-1").Fault; f != "killed" {
		t.Errorf("ps fault after docker kill = %q, want killed", f)
	}
	r := mustChainctl(t, "heal", "-q", "-p", p)
	if !strings.Contains(r.stdout, "healed "+p+"-c-1 (killed)") {
		t.Errorf("heal output: %s", r)
	}
	callOK(t, p)
	if r := mustChainctl(t, "heal", "-q", "-p", p); !strings.Contains(r.stdout, "nothing to heal") {
		t.Errorf("healing a healthy project: %s", r)
	}
}

func TestBreakUnknownAlreadyBrokenAndAll(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	r := chainctl(t, "break", "-q", "-p", p, "zz")
	if r.code != 1 || !strings.Contains(r.stderr, `no service "zz"`) || !strings.Contains(r.stderr, "services: a, b, c") {
		t.Errorf("unknown service: %s", r)
	}
	mustChainctl(t, "break", "-q", "-p", p, "c", "--mode", "stop")
	r = mustChainctl(t, "break", "-q", "-p", p, "c")
	if !strings.Contains(r.stderr, p+"-c-1 (stopped) is already broken") {
		t.Errorf("already broken: %s", r)
	}
	mustChainctl(t, "heal", "-q", "-p", p)
	r = mustChainctl(t, "break", "-q", "-p", p, "a", "b", "c")
	for _, s := range []string{"a", "b", "c"} {
		if !strings.Contains(r.stdout, fmt.Sprintf("%s-%s-1", p, s)) {
			t.Errorf("break a b c did not break %s: %s", s, r)
		}
	}
	if r := chainctl(t, "call", "-p", p); r.code != 1 || !strings.Contains(r.stdout, "a ✗") {
		t.Errorf("call with the whole chain broken: %s", r)
	}
	mustChainctl(t, "heal", "-q", "-p", p)
	callOK(t, p)
}

// containerField is one field of a container, read with docker inspect.
func containerField(t *testing.T, container, format string) string {
	t.Helper()
	return docker(t, "inspect", "-f", format, container)
}

const configHashField = `{{index .Config.Labels "io.chainctl.config-hash"}}`

func TestHealRecreatesTheRecordedConfig(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	c := p + "-c-1"
	hash, image := containerField(t, c, configHashField), containerField(t, c, "{{.Image}}")
	mustChainctl(t, "break", "-q", "-p", p, "c", "--mode", "remove")
	r := mustChainctl(t, "heal", "-q", "-p", p, "c")
	if r.stdout != "healed "+c+" (removed)\n" {
		t.Errorf("heal output: %s", r)
	}
	if got := containerField(t, c, configHashField); got != hash || hash == "" {
		t.Errorf("config hash after heal = %q, the removed container had %q", got, hash)
	}
	if got := containerField(t, c, "{{.Image}}"); got != image {
		t.Errorf("image after heal = %s, the removed container ran %s", got, image)
	}
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	if got := containerField(t, c, configHashField); got != hash {
		t.Errorf("up after heal recreated c: config hash %s, was %s", got, hash)
	}
}

// TestHealSaysTheImageChanged: the tag c runs is moved to another image
// between up and heal; the recreated replica runs the new image, and heal
// names both.
func TestHealSaysTheImageChanged(t *testing.T) {
	t.Parallel()
	needDaemon(t)
	tag := "chainctl/e2e-heal:" + randomSuffix()
	t.Cleanup(func() { exec.Command("docker", "rmi", tag).Run() }) // after down: registered first
	p := newProject(t)
	docker(t, "tag", "chainctl/link:latest", tag)
	oldID, newID := shortImageID(docker(t, "image", "inspect", "-f", "{{.Id}}", tag)), shortImageID(docker(t, "image", "inspect", "-f", "{{.Id}}", "chainctl/netfault:latest"))
	top := strings.Replace(fastChain, "c: {image: chainctl/link:latest,", "c: {image: "+tag+", replicas: 2,", 1)
	mustChainctl(t, "up", "-q", writeTopology(t, p, top))
	c1 := p + "-c-1"
	hash := containerField(t, c1, configHashField)
	mustChainctl(t, "break", "-q", "-p", p, "c/1", "--mode", "remove")
	docker(t, "tag", "chainctl/netfault:latest", tag)

	r := mustChainctl(t, "heal", "-q", "--no-wait", "-p", p, "c")
	want := fmt.Sprintf("healed %s (removed; the image %s is now %s, the other replicas of c run %s: recreated with the new image, its config hash differs)", c1, tag, newID, oldID)
	if !strings.Contains(r.stdout, want) {
		t.Errorf("heal output: want %q\n%s", want, r)
	}
	if got := shortImageID(containerField(t, c1, "{{.Image}}")); got != newID {
		t.Errorf("%s runs %s, want the image the tag names now (%s)", c1, got, newID)
	}
	if got := containerField(t, c1, configHashField); got == hash {
		t.Errorf("config hash %s unchanged although the image changed", got)
	}
	if got := shortImageID(containerField(t, p+"-c-2", "{{.Image}}")); got != oldID {
		t.Errorf("c-2 runs %s, want it left on %s", got, oldID)
	}
}

// shortImageID is how heal names an image: sha256: and 12 hex digits.
func shortImageID(id string) string {
	if len(id) > len("sha256:")+12 {
		return id[:len("sha256:")+12]
	}
	return id
}

// The only replica removed: the record of the up says what it ran.
func TestHealSaysTheImageChangedOfTheOnlyReplica(t *testing.T) {
	t.Parallel()
	needDaemon(t)
	tag := "chainctl/e2e-heal1:" + randomSuffix()
	t.Cleanup(func() { exec.Command("docker", "rmi", tag).Run() })
	p := newProject(t)
	docker(t, "tag", "chainctl/link:latest", tag)
	oldID, newID := shortImageID(docker(t, "image", "inspect", "-f", "{{.Id}}", tag)), shortImageID(docker(t, "image", "inspect", "-f", "{{.Id}}", "chainctl/netfault:latest"))
	top := strings.Replace(fastChain, "c: {image: chainctl/link:latest,", "c: {image: "+tag+",", 1)
	mustChainctl(t, "up", "-q", writeTopology(t, p, top))
	mustChainctl(t, "break", "-q", "-p", p, "c", "--mode", "remove")
	docker(t, "tag", "chainctl/netfault:latest", tag)
	r := mustChainctl(t, "heal", "-q", "--no-wait", "-p", p, "c")
	want := fmt.Sprintf("the image %s is now %s, the project was brought up with %s", tag, newID, oldID)
	if !strings.Contains(r.stdout, want) {
		t.Errorf("heal output: want %q\n%s", want, r)
	}
}
