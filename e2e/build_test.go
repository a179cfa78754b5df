// End-to-end tests of build: in a compose file: up builds and runs it, --build and a changed context recreate, a failing build creates nothing.

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildFixture copies testdata/build to a directory of the test's own
// and builds the static link binary into it.
func buildFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir("testdata/build")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("testdata/build", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "link"), "./cmd/link")
	build.Dir = ".."
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the link binary: %v\n%s", err, out)
	}
	return dir
}

// builtImages removes, when the test ends, the project's built image and
// every ID it had: after its own down, since an image a container uses
// cannot go (the project's cleanup runs its down again, harmlessly).
func builtImages(t *testing.T, project, image string) *[]string {
	ids := &[]string{}
	t.Cleanup(func() {
		chainctl(t, "down", "-q", "-p", project, "-t", "1s")
		for _, ref := range append([]string{image}, *ids...) {
			out, err := exec.Command("docker", "image", "rm", "-f", ref).CombinedOutput()
			if err != nil && !strings.Contains(string(out), "No such image") {
				t.Errorf("docker image rm %s: %v: %s", ref, err, out)
			}
		}
	})
	return ids
}

// TestUpBuildsTheImage: up builds a missing image, and a changed context
// with --build gives a new image ID that recreates the service.
func TestUpBuildsTheImage(t *testing.T) {
	p := newProject(t)
	dir := buildFixture(t)
	img := p + "-web"
	ids := builtImages(t, p, img)
	file := filepath.Join(dir, "compose.yaml")

	up := chainctl(t, "up", "-p", p, "--progress", "plain", "-f", file)
	if up.code != 0 {
		t.Fatalf("up: %s", up)
	}
	*ids = append(*ids, docker(t, "image", "inspect", img, "--format", "{{.Id}}"))
	for _, want := range []string{"building: step 1/", "FROM scratch AS app", "COPY link /link", img + " ", "built"} {
		if !strings.Contains(up.stderr, want) {
			t.Errorf("up's progress lacks %q:\n%s", want, up.stderr)
		}
	}
	labels := docker(t, "image", "inspect", img, "--format", "{{index .Config.Labels \"flavour\"}} {{index .Config.Labels \"team\"}} {{index .Config.Labels \"stage\"}}|{{.Config.User}}")
	if labels != "chaos breakers |65534:65534" {
		t.Errorf("args, labels, target and USER reach the image: got %q", labels)
	}
	if status, _, err := get(endpoint(t, p, "web")); err != nil || status != 200 {
		t.Fatalf("the built service answers %d, %v", status, err)
	}
	web := ps(t, p)[0]
	if out, err := exec.Command("docker", "cp", web.Container+":/ctx/keep.txt", "-").CombinedOutput(); err != nil {
		t.Errorf("keep.txt is not in the image: %v %s", err, out)
	}
	if out, err := exec.Command("docker", "cp", web.Container+":/ctx/secret.txt", "-").CombinedOutput(); err == nil {
		t.Errorf("secret.txt (in .dockerignore) reached the image: %s", out)
	}

	// Unchanged: nothing is built, nothing recreated.
	again := chainctl(t, "up", "-p", p, "--progress", "plain", "-f", file)
	if again.code != 0 || strings.Contains(again.stderr, "building") || ps(t, p)[0].ID != web.ID {
		t.Errorf("second up: %s", again)
	}
	// A changed context with --build: a new image, so a new container.
	if err := os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rebuilt := chainctl(t, "up", "-p", p, "--build", "--progress", "plain", "-f", file)
	if rebuilt.code != 0 {
		t.Fatalf("up --build: %s", rebuilt)
	}
	*ids = append(*ids, docker(t, "image", "inspect", img, "--format", "{{.Id}}"))
	if (*ids)[1] == (*ids)[0] || ps(t, p)[0].ID == web.ID {
		t.Errorf("up --build of a changed context: image %s (was %s), container %s (was %s)", (*ids)[1], (*ids)[0], ps(t, p)[0].ID, web.ID)
	}

	// chainctl build rebuilds by name and refuses names it does not know.
	if r := chainctl(t, "build", "-p", p, "--progress", "plain", "-f", file, "web"); r.code != 0 || !strings.Contains(r.stderr, "built") {
		t.Errorf("chainctl build web: %s", r)
	}
	if r := chainctl(t, "build", "-p", p, "-f", file, "nope"); r.code == 0 || !strings.Contains(r.stderr, "service nope") {
		t.Errorf("chainctl build nope: %s", r)
	}
}

// TestUpFailingBuildCreatesNothing: the build runs before anything of the
// project is made, and its failure names the step.
func TestUpFailingBuildCreatesNothing(t *testing.T) {
	p := newProject(t)
	dir := buildFixture(t)
	builtImages(t, p, p+"-web")
	r := chainctl(t, "up", "-p", p, "-f", filepath.Join(dir, "compose-fail.yaml"))
	if r.code == 0 || !strings.Contains(r.stderr, "service web: build failed at step 2/") || !strings.Contains(r.stderr, "COPY missing.txt /missing.txt") {
		t.Errorf("up with a failing build: %s", r)
	}
	if left := leftovers(p); left != "" {
		t.Errorf("a failed build left: %s", left)
	}
}
