// Tests of builds on the real daemon: FROM scratch images of a static Go binary, .dockerignore, args, target, labels, failures, rebuilds.

package image

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	imagetypes "github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/enginetest"
	"github.com/chainctl/chainctl/internal/topology"
)

// helloSource is the static binary the test images run.
const helloSource = `package main

import (
	"fmt"
	"os"
)

func main() { fmt.Printf("hello from uid %d\n", os.Getuid()) }
`

// staticHello builds helloSource with CGO_ENABLED=0 into dir/hello.
func staticHello(t *testing.T, dir string) {
	t.Helper()
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(helloSource), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module hello\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "hello"), ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the static binary: %v\n%s", err, out)
	}
}

// buildTopology is project with one service web built from dir.
func buildTopology(project, dir string, b topology.Build) *topology.Topology {
	b.Context = dir
	web := &topology.Service{Name: "web", Image: project + "-web", Replicas: 1, Run: topology.Run{Build: &b}}
	return &topology.Topology{Name: project, Network: topology.Network{Name: project + "-net"}, Services: map[string]*topology.Service{"web": web}}
}

// removeImages removes, when the test ends, the refs and every image ID
// *ids holds then.
func removeImages(t *testing.T, cli *client.Client, ids *[]string, refs ...string) {
	t.Cleanup(func() {
		ctx := context.Background()
		for _, r := range append(refs, *ids...) {
			if _, err := cli.ImageRemove(ctx, r, imagetypes.RemoveOptions{Force: true, PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
				t.Errorf("remove image %s: %v", r, err)
			}
		}
	})
}

// created is a container of img, never started unless the test starts
// it, removed when the test ends.
func created(t *testing.T, cli *client.Client, img string, cmd ...string) string {
	t.Helper()
	ctx := context.Background()
	c, err := cli.ContainerCreate(ctx, &container.Config{Image: img, Cmd: cmd}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.ContainerRemove(context.Background(), c.ID, container.RemoveOptions{Force: true}) })
	return c.ID
}

func hasPath(t *testing.T, cli *client.Client, id, path string) bool {
	t.Helper()
	_, err := cli.ContainerStatPath(context.Background(), id, path)
	if err != nil && !cerrdefs.IsNotFound(err) {
		t.Fatalf("stat %s: %v", path, err)
	}
	return err == nil
}

const multiStage = `FROM scratch AS base
ARG GREETING=none
LABEL greeting=$GREETING
COPY hello /hello
COPY . /ctx/
USER 65534
ENTRYPOINT ["/hello"]

FROM base AS final
LABEL stage=final
`

func TestBuildMapsArgsTargetLabelsAndIgnore(t *testing.T) {
	m, cli, rec := testImages(t)
	project := enginetest.Project(t)
	dir := writeTree(t, map[string]string{"Dockerfile": multiStage, "keep.txt": "k", "secret.txt": "s", ".dockerignore": "secret.txt\n"})
	staticHello(t, dir)
	top := buildTopology(project, dir, topology.Build{Args: map[string]string{"GREETING": "hi"}, Target: "base", Labels: map[string]string{"team": "chaos"}})
	img := project + "-web"
	var ids []string
	removeImages(t, cli, &ids, img)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	got, err := m.Prepare(ctx, top, engine.UpOptions{})
	if err != nil {
		t.Fatalf("build: %v\n%s", err, rec)
	}
	ins, err := cli.ImageInspect(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, ins.ID)
	if got[img] != ins.ID {
		t.Errorf("ids %v; want %s → %s", got, img, ins.ID)
	}
	for k, v := range map[string]string{"greeting": "hi", "team": "chaos", LabelProject: project, LabelService: "web"} {
		if ins.Config.Labels[k] != v {
			t.Errorf("label %s = %q; want %q (labels %v)", k, ins.Config.Labels[k], v, ins.Config.Labels)
		}
	}
	if _, ok := ins.Config.Labels["stage"]; ok {
		t.Errorf("target base: the final stage's label is there: %v", ins.Config.Labels)
	}
	if _, ok := ins.Config.Labels[engine.LabelProject]; ok {
		t.Errorf("the image carries %s: its containers would look like the project's", engine.LabelProject)
	}
	if ins.Config.User != "65534" || !slices.Equal(ins.Config.Entrypoint, []string{"/hello"}) {
		t.Errorf("user %q, entrypoint %v", ins.Config.User, ins.Config.Entrypoint)
	}
	var steps []string
	for _, e := range rec.matching("image", img) {
		if e.Status == "building" && e.Detail != "" {
			steps = append(steps, e.Detail)
		}
	}
	// The classic builder adds the labels as steps after the target's 7.
	if len(steps) != 11 || steps[0] != "step 1/11 FROM scratch AS base" || steps[10] != "step 11/11 LABEL team=chaos" {
		t.Errorf("step lines: %q", steps)
	}
	id := created(t, cli, img)
	if !hasPath(t, cli, id, "/ctx/keep.txt") || hasPath(t, cli, id, "/ctx/secret.txt") {
		t.Error("want /ctx/keep.txt in the image and /ctx/secret.txt (in .dockerignore) not")
	}
	if out := runToEnd(t, cli, id); out != "hello from uid 65534\n" {
		t.Errorf("the built image printed %q", out)
	}
}

// runToEnd starts the container, waits for it to exit 0 and returns what
// it printed.
func runToEnd(t *testing.T, cli *client.Client, id string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	wait, errc := cli.ContainerWait(ctx, id, container.WaitConditionNextExit)
	if err := cli.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case w := <-wait:
		if w.StatusCode != 0 {
			t.Errorf("exit %d", w.StatusCode)
		}
	case err := <-errc:
		t.Fatal(err)
	}
	logs, err := cli.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	var out strings.Builder
	if _, err := stdcopy.StdCopy(&out, &out, logs); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	return out.String()
}

func TestBuildFailureNamesTheStep(t *testing.T) {
	m, cli, rec := testImages(t)
	project := enginetest.Project(t)
	// The failing step comes right after FROM scratch: the engine keeps
	// the images of the steps before a failure as its cache, and this
	// way there are none to leave behind.
	dir := writeTree(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY missing.txt /missing.txt\nCOPY hello /hello\n", "hello": "h"})
	img := project + "-web"
	var ids []string
	removeImages(t, cli, &ids, img)
	_, err := m.Prepare(context.Background(), buildTopology(project, dir, topology.Build{}), engine.UpOptions{})
	t.Logf("error: %v", err)
	for _, want := range []string{"service web: build failed at step 2/", " COPY missing.txt /missing.txt: COPY failed: "} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
	if fails := eventsWith(rec.matching("image", img), "failed"); len(fails) != 1 || !fails[0].Failed {
		t.Errorf("failure events: %+v", fails)
	}
	if _, err := cli.ImageInspect(context.Background(), img); !cerrdefs.IsNotFound(err) {
		t.Errorf("a failed build left %s tagged (%v)", img, err)
	}
}

func TestBuildChangedContextRebuilds(t *testing.T) {
	m, cli, rec := testImages(t)
	project := enginetest.Project(t)
	dir := writeTree(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY data.txt /data.txt\n", "data.txt": "one"})
	top := buildTopology(project, dir, topology.Build{})
	img := project + "-web"
	var ids []string
	removeImages(t, cli, &ids, img)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	first, err := m.Prepare(ctx, top, engine.UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, first[img])
	rec.reset()
	again, err := m.Prepare(ctx, top, engine.UpOptions{})
	if err != nil || again[img] != first[img] || len(rec.matching("image", img)) != 0 {
		t.Errorf("present image: %v, %v; want %s unbuilt\n%s", again, err, first[img], rec)
	}
	// chainctl build rebuilds; the context has not changed, the cache holds.
	if err := m.Build(ctx, top, []string{"web"}); err != nil {
		t.Fatal(err)
	}
	if id := imageID(t, cli, img); id != first[img] {
		t.Errorf("rebuild of an unchanged context: %s, was %s", id, first[img])
	}
	if err := os.WriteFile(filepath.Join(dir, "data.txt"), []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := m.Prepare(ctx, top, engine.UpOptions{Build: true})
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, second[img])
	if second[img] == first[img] || second[img] != imageID(t, cli, img) {
		t.Errorf("changed context: %s, was %s", second[img], first[img])
	}
	if err := m.Build(ctx, top, []string{"nope"}); err == nil || !strings.Contains(err.Error(), "service nope: not in project") {
		t.Errorf("build of an unknown service: %v", err)
	}
}

func TestBuildDockerfileOutsideContext(t *testing.T) {
	m, cli, _ := testImages(t)
	project := enginetest.Project(t)
	root := writeTree(t, map[string]string{"docker/Dockerfile": "FROM scratch\nCOPY . /ctx/\n", "app/a.txt": "a", "app/.dockerignore": "*.log\n", "app/x.log": "x"})
	build := topology.Build{Dockerfile: "../docker/Dockerfile"}
	top := buildTopology(project, filepath.Join(root, "app"), build)
	img := project + "-web"
	var ids []string
	removeImages(t, cli, &ids, img)
	got, err := m.Prepare(context.Background(), top, engine.UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, got[img])
	bc, err := newBuildContext(top.Services["web"].Build)
	if err != nil {
		t.Fatal(err)
	}
	id := created(t, cli, img, "/none")
	if !hasPath(t, cli, id, "/ctx/a.txt") || hasPath(t, cli, id, "/ctx/x.log") || hasPath(t, cli, id, "/ctx/"+bc.dockerfile) {
		t.Errorf("want /ctx/a.txt, and neither x.log nor the Dockerfile sent as %s", bc.dockerfile)
	}
}

// dockerfile_inline builds as a Dockerfile in the directory would; the
// inline text and chainctl's own .dockerignore stay out of COPY.
func TestBuildDockerfileInline(t *testing.T) {
	m, cli, rec := testImages(t)
	project := enginetest.Project(t)
	dir := writeTree(t, map[string]string{"a.txt": "a"})
	staticHello(t, dir)
	top := buildTopology(project, dir, topology.Build{DockerfileInline: "FROM scratch\nCOPY . /ctx/\nCOPY hello /hello\nENTRYPOINT [\"/hello\"]\n"})
	img := project + "-web"
	var ids []string
	removeImages(t, cli, &ids, img)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	got, err := m.Prepare(ctx, top, engine.UpOptions{})
	if err != nil {
		t.Fatalf("build: %v\n%s", err, rec)
	}
	ids = append(ids, got[img])
	bc, err := newBuildContext(top.Services["web"].Build)
	if err != nil {
		t.Fatal(err)
	}
	id := created(t, cli, img)
	if !hasPath(t, cli, id, "/ctx/a.txt") || hasPath(t, cli, id, "/ctx/"+bc.dockerfile) || hasPath(t, cli, id, "/ctx/.dockerignore") {
		t.Errorf("want /ctx/a.txt, and neither the inline Dockerfile (%s) nor .dockerignore", bc.dockerfile)
	}
	if out := runToEnd(t, cli, id); !strings.HasPrefix(out, "hello from uid") {
		t.Errorf("the built image printed %q", out)
	}
}
