// Test helpers: the images of the real daemon with their progress recorded, files and images made and removed per test.

package image

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"

	"github.com/chainctl/chainctl/internal/enginetest"
	"github.com/chainctl/chainctl/internal/progress"
	"github.com/chainctl/chainctl/internal/topology"
)

// linkImage is the image `make image` builds, which the pull tests push.
const linkImage = topology.DefaultImage

// recorder keeps every progress event.
type recorder struct {
	mu     sync.Mutex
	events []progress.Event
}

func (r *recorder) Report(e progress.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = nil
}

func (r *recorder) all() []progress.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]progress.Event(nil), r.events...)
}

// matching is the events of kind (and resource, when given).
func (r *recorder) matching(kind, resource string) []progress.Event {
	var out []progress.Event
	for _, e := range r.all() {
		if e.Kind == kind && (resource == "" || e.Resource == resource) {
			out = append(out, e)
		}
	}
	return out
}

func (r *recorder) String() string {
	var b strings.Builder
	for _, e := range r.all() {
		fmt.Fprintf(&b, "%s %s %s: %s\n", e.Kind, e.Resource, e.Status, e.Detail)
	}
	return b.String()
}

// testImages is the images of the real daemon, anonymous, their progress
// recorded.
func testImages(t *testing.T) (*Images, *client.Client, *recorder) {
	_, cli := enginetest.Daemon(t)
	rec := &recorder{}
	return New(cli, rec, nil), cli, rec
}

// writeTree makes files (path → content) under a new directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func imageID(t *testing.T, cli *client.Client, ref string) string {
	t.Helper()
	ins, err := cli.ImageInspect(context.Background(), ref)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return ""
		}
		t.Fatal(err)
	}
	return ins.ID
}

func eventsWith(es []progress.Event, status string) []progress.Event {
	var out []progress.Event
	for _, e := range es {
		if e.Status == status {
			out = append(out, e)
		}
	}
	return out
}

// unusedAddr is a loopback address nothing listens on (any more).
func unusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
