// Images for the test registry: a fresh one built on a local base, tagged and pushed through the Engine API, removed locally.

package registrytest

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
)

// Header is X-Registry-Auth for this registry: its user's credentials,
// or empty ones.
func (r *Registry) Header() string {
	h, _ := registry.EncodeAuthConfig(registry.AuthConfig{Username: r.User, Password: r.Password, ServerAddress: r.Addr})
	return h
}

// PushFresh builds an image FROM base (which must be on the engine) with
// one more layer of size random bytes, tags it ref, pushes it, and
// removes it from the engine, so that a pull of ref must download that
// layer while base's layers are already there. The test's cleanup
// removes whatever a pull brings back: call it before anything that
// runs the image registers its own cleanup, so that goes first.
func (r *Registry) PushFresh(t testing.TB, cli *client.Client, base, ref string, size int) {
	t.Helper()
	t.Cleanup(func() { Remove(t, cli, ref) })
	blob := make([]byte, size)
	_, _ = rand.Read(blob)
	if err := buildOn(cli, base, ref, blob); err != nil {
		t.Fatalf("build %s: %v", ref, err)
	}
	if err := r.push(cli, ref); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	Remove(t, cli, ref)
}

// Push tags src as ref, pushes it and removes the tag again (src stays).
func (r *Registry) Push(t testing.TB, cli *client.Client, src, ref string) {
	t.Helper()
	t.Cleanup(func() { Remove(t, cli, ref) })
	c, cancel := ctx()
	defer cancel()
	if err := cli.ImageTag(c, src, ref); err != nil {
		t.Fatalf("tag %s as %s: %v", src, ref, err)
	}
	if err := r.push(cli, ref); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	Remove(t, cli, ref)
}

// Remove untags ref on the engine, with the digest references a pull of
// its repository left, and deletes its image when nothing else tags it;
// a ref that is not there is fine.
func Remove(t testing.TB, cli *client.Client, ref string) {
	t.Helper()
	c, cancel := ctx()
	defer cancel()
	refs := []string{ref}
	if ins, err := cli.ImageInspect(c, ref); err == nil {
		repo := ref[:strings.LastIndex(ref, ":")]
		for _, d := range ins.RepoDigests {
			if strings.HasPrefix(d, repo+"@") {
				refs = append(refs, d)
			}
		}
	}
	for _, r := range refs {
		if _, err := cli.ImageRemove(c, r, image.RemoveOptions{PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
			t.Errorf("remove image %s: %v", r, err)
		}
	}
}

func (r *Registry) push(cli *client.Client, ref string) error {
	c, cancel := ctx()
	defer cancel()
	rc, err := cli.ImagePush(c, ref, image.PushOptions{RegistryAuth: r.Header()})
	if err != nil {
		return err
	}
	defer rc.Close()
	return drain(rc)
}

// buildOn builds FROM base plus one file holding blob, tagged ref.
func buildOn(cli *client.Client, base, ref string, blob []byte) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dockerfile := fmt.Sprintf("FROM %s\nCOPY blob /chainctl-test-blob\n", base)
	for _, f := range []struct {
		name string
		data []byte
	}{{"Dockerfile", []byte(dockerfile)}, {"blob", blob}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data))}); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	c, cancel := ctx()
	defer cancel()
	resp, err := cli.ImageBuild(c, &buf, build.ImageBuildOptions{Version: build.BuilderV1, Tags: []string{ref}, Remove: true, ForceRemove: true})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return drain(resp.Body)
}

// drain reads an engine JSON stream to its end and returns its error.
func drain(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var jm jsonmessage.JSONMessage
		if err := dec.Decode(&jm); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if jm.Error != nil {
			return errors.New(jm.Error.Message)
		}
	}
}
