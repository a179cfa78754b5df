// Unit tests of the mounts a plain container gets: the split between Binds and Mounts, secrets and configs.

package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

// A bind or a named volume that asks for SELinux relabelling goes through
// HostConfig.Binds (the Mount API has no relabel option); anything else,
// secrets and configs from host files included, through Mounts.
func TestContainerMountsSplitsTheRelabelled(t *testing.T) {
	top := &topology.Topology{Name: "p",
		Volumes: map[string]topology.Volume{"data": {Name: "p_data"}},
		Secrets: map[string]topology.FileSource{"s": {File: "/srv/s"}, "shadowed": {File: "/srv/x"}},
		Configs: map[string]topology.FileSource{"inline": {Content: "x"}},
	}
	svc := &topology.Service{Name: "a", Volumes: []topology.Mount{
		{Type: topology.MountBind, Source: "/srv/app", Target: "/app", SELinux: "Z", Propagation: "rslave"},
		{Type: topology.MountVolume, Source: "data", Target: "/data", SELinux: "z", ReadOnly: true, NoCopy: true},
		{Type: topology.MountBind, Source: "/srv/plain", Target: "/run/secrets/shadowed"},
	}, Run: topology.Run{Secrets: []topology.FileMount{{Source: "s"}, {Source: "shadowed"}}, Configs: []topology.FileMount{{Source: "inline"}}}}
	binds, mounts := engine.ContainerMounts(top, svc)
	if strings.Join(binds, " ") != "/srv/app:/app:rw,Z,rslave p_data:/data:ro,z,nocopy" {
		t.Errorf("binds = %q", binds)
	}
	var got []string
	for _, m := range mounts {
		got = append(got, fmt.Sprintf("%s %s:%s ro=%v", m.Type, m.Source, m.Target, m.ReadOnly))
	}
	// The service's own bind wins over the secret at the same target.
	if want := "bind /srv/plain:/run/secrets/shadowed ro=false|bind /srv/s:/run/secrets/s ro=true"; strings.Join(got, "|") != want {
		t.Errorf("mounts = %q, want %q", got, want)
	}
}
