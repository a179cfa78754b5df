// Tests of pulls against a real registry on this machine: per-layer progress, one pull per image, policies, credentials and errors.

package image

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/enginetest"
	"github.com/chainctl/chainctl/internal/registryauth"
	"github.com/chainctl/chainctl/internal/registrytest"
	"github.com/chainctl/chainctl/internal/topology"
)

func pullTopology(project string, svcs map[string]string, policy string) *topology.Topology {
	top := &topology.Topology{Name: project, Network: topology.Network{Name: project + "-net"}, Services: map[string]*topology.Service{}}
	for name, img := range svcs {
		top.Services[name] = &topology.Service{Name: name, Image: img, Replicas: 1, Run: topology.Run{PullPolicy: policy}}
	}
	return top
}

func TestPullShowsEachLayer(t *testing.T) {
	m, cli, rec := testImages(t)
	reg := registrytest.Start(t, registrytest.Options{})
	ref := reg.Repo(t) + ":latest"
	reg.PushFresh(t, cli, linkImage, ref, 4<<20)
	if imageID(t, cli, ref) != "" {
		t.Fatalf("%s is still on the engine after the push", ref)
	}
	top := pullTopology(enginetest.Project(t), map[string]string{"a": ref, "b": ref}, "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ids, err := m.Prepare(ctx, top, engine.UpOptions{})
	if err != nil {
		t.Fatalf("prepareImages: %v\n%s", err, rec)
	}
	t.Logf("progress:\n%s", rec)
	if want := imageID(t, cli, ref); want == "" || ids[ref] != want {
		t.Errorf("ids = %v; want %s → %s", ids, ref, want)
	}
	if n := len(eventsWith(rec.matching("image", ref), "pulling")); n != 1 {
		t.Errorf("%d pulls of %s; want one for both services\n%s", n, ref, rec)
	}
	statuses := map[string]bool{}
	for _, e := range rec.matching("layer", "") {
		statuses[e.Status] = true
		if e.Status == "Downloading" && e.Detail != "" && !strings.Contains(e.Detail, "/") {
			t.Errorf("Downloading without x/y: %q", e.Detail)
		}
	}
	for _, want := range []string{"Already exists", "Pulling fs layer", "Downloading", "Download complete", "Extracting", "Pull complete"} {
		if !statuses[want] {
			t.Errorf("no layer said %q\n%s", want, rec)
		}
	}
	pulled := eventsWith(rec.matching("image", ref), "pulled")
	if len(pulled) != 1 || !pulled[0].Done || !strings.Contains(pulled[0].Detail, "already there") || !strings.Contains(pulled[0].Detail, "downloaded") {
		t.Errorf("summary line: %+v", pulled)
	}

	// Present now: missing uses it, always pulls again (up to date).
	rec.reset()
	rec2 := rec
	if _, err := m.Prepare(ctx, top, engine.UpOptions{}); err != nil || len(rec2.matching("image", ref)) != 0 {
		t.Errorf("present image: %v\n%s", err, rec2)
	}
	if _, err := m.Prepare(ctx, top, engine.UpOptions{Pull: engine.PullAlways}); err != nil {
		t.Fatal(err)
	}
	if p := eventsWith(rec2.matching("image", ref), "pulled"); len(p) != 1 || !strings.Contains(p[0].Detail, "up to date") {
		t.Errorf("--pull always on a present image: %+v\n%s", p, rec2)
	}
}

func TestPullNeverAndDryRunPullNothing(t *testing.T) {
	m, cli, rec := testImages(t)
	reg := registrytest.Start(t, registrytest.Options{})
	ref := reg.Repo(t) + ":latest"
	reg.Push(t, cli, linkImage, ref)
	top := pullTopology(enginetest.Project(t), map[string]string{"a": ref}, "")
	ctx := context.Background()
	_, err := m.Prepare(ctx, top, engine.UpOptions{Pull: engine.PullNever})
	for _, want := range []string{"image " + ref, "service a (--pull never)", "docker load", "--pull missing"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--pull never: %v; want it to say %q", err, want)
		}
	}
	p, err := m.Plan(ctx, top, engine.UpOptions{DryRun: true})
	if err != nil || len(p.Images) != 1 || p.Images[0].Action != ActionPull {
		t.Fatalf("dry-run plan: %+v, %v", p, err)
	}
	ids, err := m.Prepare(ctx, top, engine.UpOptions{DryRun: true})
	if err != nil || len(ids) != 0 || imageID(t, cli, ref) != "" || len(rec.all()) != 0 {
		t.Errorf("dry-run pulled: ids %v, err %v\n%s", ids, err, rec)
	}
}

func TestPullErrorsSayWhy(t *testing.T) {
	m, cli, _ := testImages(t)
	reg := registrytest.Start(t, registrytest.Options{})
	repo := reg.Repo(t)
	reg.Push(t, cli, linkImage, repo+":latest")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for ref, want := range map[string]string{
		repo + ":nope":                         "image " + repo + ":nope: the registry has no such tag (service a)",
		reg.Addr + "/never-pushed-repo:latest": "has no such",
		unusedAddr(t) + "/x:latest":            "is unreachable",
	} {
		_, err := m.Prepare(ctx, pullTopology(enginetest.Project(t), map[string]string{"a": ref}, ""), engine.UpOptions{})
		t.Logf("%s: %v", ref, err)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want %q", ref, err, want)
		}
	}
}

func TestPullWithCredentials(t *testing.T) {
	m, cli, rec := testImages(t)
	reg := registrytest.Start(t, registrytest.Options{User: "chainctl", Password: "s3cret"})
	ref := reg.Repo(t) + ":latest"
	reg.Push(t, cli, linkImage, ref)
	top := pullTopology(enginetest.Project(t), map[string]string{"a": ref}, "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	_, err := m.Prepare(ctx, top, engine.UpOptions{})
	t.Logf("without credentials: %v", err)
	if err == nil || !strings.Contains(err.Error(), "refused access") {
		t.Errorf("without credentials: %v; want it to say the registry refused access", err)
	}
	dir := t.TempDir()
	wrong := `{"auths": {"` + reg.Addr + `": {"auth": "` + base64.StdEncoding.EncodeToString([]byte("chainctl:wrong")) + `"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(wrong), 0o600); err != nil {
		t.Fatal(err)
	}
	auth, err := registryauth.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(cli, rec, auth).Prepare(ctx, top, engine.UpOptions{})
	t.Logf("with a wrong password: %v", err)
	if err == nil || !strings.Contains(err.Error(), "refused access") {
		t.Errorf("with a wrong password: %v; want it to say the registry refused access", err)
	}
	right := `{"auths": {"http://` + reg.Addr + `": {"username": "chainctl", "password": "s3cret"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(right), 0o600); err != nil {
		t.Fatal(err)
	}
	ids, err := New(cli, rec, nil).WithCredentials(dir).Prepare(ctx, top, engine.UpOptions{})
	if err != nil || ids[ref] == "" || ids[ref] != imageID(t, cli, linkImage) {
		t.Errorf("with credentials: %v, %v", ids, err)
	}
}

func TestBrokenDockerConfigFailsTheFirstPull(t *testing.T) {
	_, cli, rec := testImages(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := New(cli, rec, nil).WithCredentials(dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	there := pullTopology(enginetest.Project(t), map[string]string{"a": linkImage}, "")
	if ids, err := m.Prepare(ctx, there, engine.UpOptions{}); err != nil || ids[linkImage] == "" {
		t.Errorf("nothing to pull, the broken file unread: %v, %v", ids, err)
	}
	missing := pullTopology(enginetest.Project(t), map[string]string{"a": unusedAddr(t) + "/x:latest"}, "")
	_, err := m.Prepare(ctx, missing, engine.UpOptions{})
	want := filepath.Join(dir, "config.json") + ": "
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "DOCKER_CONFIG") {
		t.Errorf("a pull with a broken config.json: %v; want it to name %s and say what to do", err, want)
	}
	if len(rec.matching("image", "")) != 0 {
		t.Errorf("a pull started anyway:\n%s", rec)
	}
}
