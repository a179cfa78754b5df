// Package enginetest holds what the tests against the real daemon share:
// a project name of each test's own, the connection, and the check that a
// project left nothing behind. Tests only; no product code imports it.
package enginetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/lock"
	"github.com/chainctl/chainctl/internal/topology"
)

var unsafeChars = regexp.MustCompile(`[^a-z0-9]+`)

// Project derives a project name from the test's name, unique per run:
// lower case, at most 28 characters of the name, then 6 random hex digits.
func Project(t testing.TB) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	base := strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	base = strings.TrimPrefix(base, "test")
	if len(base) > 28 {
		base = base[len(base)-28:]
	}
	return strings.Trim(base, "-") + "-" + hex.EncodeToString(b)
}

// Daemon connects to the real daemon, with the link image present. Under
// -short the test is not run; without -short an unreachable daemon fails
// it, it never skips it.
func Daemon(t *testing.T) (*engine.Conn, *client.Client) {
	t.Helper()
	if testing.Short() {
		t.Skip("talks to the Docker daemon; not run under -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := engine.Connect(ctx, engine.ConnectOptions{Client: []client.Opt{client.FromEnv}, LockDir: lock.DefaultDir(os.TempDir())})
	if err != nil {
		t.Fatalf("the Docker daemon must be reachable for these tests: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	cli := c.API.(*client.Client)
	if _, err := cli.ImageInspect(ctx, topology.DefaultImage); err != nil {
		t.Fatalf("image %s missing: run `make image` (%v)", topology.DefaultImage, err)
	}
	return c, cli
}

// AssertNothingLeft fails the test if anything with the project's label is
// still on the engine.
func AssertNothingLeft(t testing.TB, cli *client.Client, project string) {
	t.Helper()
	ctx := context.Background()
	f := filters.NewArgs(filters.Arg("label", engine.LabelProject+"="+project))
	cs, _ := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	ns, _ := cli.NetworkList(ctx, network.ListOptions{Filters: f})
	vs, _ := cli.VolumeList(ctx, volume.ListOptions{Filters: f})
	if len(cs)+len(ns)+len(vs.Volumes) != 0 {
		t.Errorf("project %s left %d containers, %d networks, %d volumes", project, len(cs), len(ns), len(vs.Volumes))
	}
}

// Topology is a small model with something of everything, for unit tests:
// a publishes a fixed port and calls b and c; b has two replicas, limits,
// a restart policy and an explicit NEXT; c mounts a named volume.
func Topology() *topology.Topology {
	grace := topology.Duration(3 * time.Second)
	return &topology.Topology{
		Name:    "p",
		Network: topology.Network{Name: "p-net"},
		Volumes: map[string]topology.Volume{"data": {Name: "p-data"}},
		Services: map[string]*topology.Service{
			"a": {Name: "a", Image: "img", Replicas: 1, Calls: []topology.Call{{Service: "b", Port: 8080}, {Service: "c", Port: 9000}},
				Ports: []topology.Port{{HostIP: "127.0.0.1", HostPort: "8080", ContainerPort: "8080", Protocol: "tcp"}}},
			"b": {Name: "b", Image: "img", Replicas: 2, Environment: map[string]string{"NEXT": "elsewhere:1"},
				StopGracePeriod: &grace, Restart: "on-failure:3", ReadOnly: true, CapDrop: []string{"ALL"},
				Resources: topology.Resources{CPUs: 0.5, Memory: 64 << 20}},
			"c": {Name: "c", Image: "img", Replicas: 1, Volumes: []topology.Mount{{Type: "volume", Source: "data", Target: "/data"}}},
		},
	}
}
