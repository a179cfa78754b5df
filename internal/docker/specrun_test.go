// Unit tests of how a compose service's fields map onto create options: config, host config, networks, mounts, platform and the hash.

package docker

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/chainctl/chainctl/internal/enginetest"
	"github.com/chainctl/chainctl/internal/topology"
)

// composeTopology has web on two networks (front with aliases and a fixed
// address, back), every Run field set, db on back, and side in web's
// network namespace.
func composeTopology() *topology.Topology {
	yes := true
	mode := 0o440
	web := &topology.Service{Name: "web", Image: "img", Replicas: 1,
		Ports: []topology.Port{{HostIP: "127.0.0.1", ContainerPort: "8080", Protocol: "tcp"}},
		Volumes: []topology.Mount{
			{Type: topology.MountVolume, Target: "/cache"},
			{Type: topology.MountVolume, Source: "data", Target: "/data", NoCopy: true},
			{Type: topology.MountBind, Source: "/srv/a", Target: "/a", SELinux: "z", ReadOnly: true},
			{Type: topology.MountBind, Source: "/srv/b", Target: "/b", Propagation: "rshared"},
			{Type: topology.MountTmpfs, Target: "/scratch", TmpfsSize: 1 << 20, TmpfsMode: 0o1777},
		},
		Run: topology.Run{ContainerName: "the-web", Hostname: "web-host", DomainName: "example.test", WorkingDir: "/srv",
			Expose: []string{"9000", "9100-9101/udp"}, Init: &yes, StopSignal: "SIGINT",
			Tmpfs: []string{"/run:size=64m,mode=1777", "/tmp"}, Sysctls: map[string]string{"net.ipv4.ip_local_port_range": "40000 50000"},
			Ulimits: map[string]topology.Ulimit{"nproc": {Soft: 64, Hard: 128}, "nofile": {Soft: 1024, Hard: 2048}},
			DNS:     []string{"9.9.9.9"}, DNSSearch: []string{"example.test"}, DNSOpt: []string{"ndots:2"},
			ExtraHosts: []string{"gw:10.0.0.1"}, ShmSize: 64 << 20, Platform: "linux/arm64/v8", Runtime: "runc",
			StdinOpen: true, Tty: true, MacAddress: "02:42:ac:11:00:42", GroupAdd: []string{"1234"}, PidsLimit: 50,
			MemoryReservation: 32 << 20, CPUShares: 256, Ipc: "private", Pid: "host", UsernsMode: "host",
			Logging:  &topology.Logging{Driver: "local", Options: map[string]string{"max-size": "5m"}},
			Networks: []topology.NetworkAttach{{Key: "front", Aliases: []string{"www"}, IPv4Address: "172.30.0.10"}, {Key: "back"}},
			Links:    []string{"db:database"},
			Secrets:  []topology.FileMount{{Source: "token"}},
			Configs:  []topology.FileMount{{Source: "conf", Target: "etc/app.conf"}, {Source: "inline", Target: "/inline.txt", Mode: &mode}},
		}}
	db := &topology.Service{Name: "db", Image: "img", Replicas: 2, Run: topology.Run{Networks: []topology.NetworkAttach{{Key: "back"}}}}
	side := &topology.Service{Name: "side", Image: "img", Replicas: 1, Run: topology.Run{NetworkMode: "service:web"}}
	return &topology.Topology{Name: "p", Network: topology.Network{Name: "p_default"},
		Networks: map[string]topology.Network{"front": {Name: "p_front"}, "back": {Name: "p_back"}},
		Volumes:  map[string]topology.Volume{"data": {Name: "p_data"}},
		Secrets:  map[string]topology.FileSource{"token": {File: "/srv/token"}},
		Configs:  map[string]topology.FileSource{"conf": {File: "/srv/app.conf"}, "inline": {Content: "hello"}},
		Services: map[string]*topology.Service{"web": web, "db": db, "side": side},
	}
}

func TestBuildSpecMapsTheRunFields(t *testing.T) {
	top := composeTopology()
	s, err := buildSpec(top, top.Services["web"], 1, "sha256:1", "1.41")
	if err != nil {
		t.Fatal(err)
	}
	cfg, host := s.Config, s.Host
	if s.Name != "the-web" || cfg.Hostname != "web-host" || cfg.Domainname != "example.test" || cfg.WorkingDir != "/srv" ||
		cfg.StopSignal != "SIGINT" || !cfg.OpenStdin || !cfg.Tty || cfg.MacAddress != "02:42:ac:11:00:42" { //nolint:staticcheck // API 1.41 takes it here
		t.Errorf("config = %+v (name %s)", cfg, s.Name)
	}
	for _, p := range []nat.Port{"8080/tcp", "9000/tcp", "9100/udp", "9101/udp"} {
		if _, ok := cfg.ExposedPorts[p]; !ok {
			t.Errorf("exposed ports %v lack %s", cfg.ExposedPorts, p)
		}
	}
	if host.Init == nil || !*host.Init || host.ShmSize != 64<<20 || host.Runtime != "runc" || host.MemoryReservation != 32<<20 ||
		host.PidsLimit == nil || *host.PidsLimit != 50 || !slices.Equal(host.GroupAdd, []string{"1234"}) {
		t.Errorf("host config = %+v", host)
	}
	if host.CPUShares != 256 || host.IpcMode != "private" || host.PidMode != "host" || host.UsernsMode != "host" ||
		host.LogConfig.Type != "local" || host.LogConfig.Config["max-size"] != "5m" {
		t.Errorf("cpu shares %d, ipc %q, pid %q, userns %q, log config %+v", host.CPUShares, host.IpcMode, host.PidMode, host.UsernsMode, host.LogConfig)
	}
	if host.Tmpfs["/run"] != "size=64m,mode=1777" || host.Tmpfs["/tmp"] != "" || len(host.Tmpfs) != 2 {
		t.Errorf("tmpfs = %v", host.Tmpfs)
	}
	if host.Sysctls["net.ipv4.ip_local_port_range"] != "40000 50000" {
		t.Errorf("sysctls = %v", host.Sysctls)
	}
	if len(host.Ulimits) != 2 || *host.Ulimits[0] != (container.Ulimit{Name: "nofile", Soft: 1024, Hard: 2048}) || host.Ulimits[1].Name != "nproc" {
		t.Errorf("ulimits = %+v", host.Ulimits)
	}
	if !slices.Equal(host.DNS, []string{"9.9.9.9"}) || !slices.Equal(host.DNSSearch, []string{"example.test"}) ||
		!slices.Equal(host.DNSOptions, []string{"ndots:2"}) || !slices.Equal(host.ExtraHosts, []string{"gw:10.0.0.1"}) {
		t.Errorf("dns %v %v %v, extra hosts %v", host.DNS, host.DNSSearch, host.DNSOptions, host.ExtraHosts)
	}
	if p := s.Platform; p == nil || p.OS != "linux" || p.Architecture != "arm64" || p.Variant != "v8" {
		t.Errorf("platform = %+v", s.Platform)
	}
}

func TestBuildSpecMapsTheNetworks(t *testing.T) {
	top := composeTopology()
	s, err := buildSpec(top, top.Services["web"], 1, "sha256:1", "1.41")
	if err != nil {
		t.Fatal(err)
	}
	if s.Host.NetworkMode != "p_front" || len(s.Net.EndpointsConfig) != 1 {
		t.Fatalf("network mode %s, create endpoints %v", s.Host.NetworkMode, s.Net.EndpointsConfig)
	}
	front := s.Net.EndpointsConfig["p_front"]
	if !slices.Equal(front.Aliases, []string{"web", "www"}) || front.IPAMConfig == nil || front.IPAMConfig.IPv4Address != "172.30.0.10" || len(front.Links) != 0 {
		t.Errorf("front endpoint = %+v", front)
	}
	if len(s.Extra) != 1 || s.Extra[0].Network != "p_back" {
		t.Fatalf("extra endpoints = %+v", s.Extra)
	}
	back := s.Extra[0].Settings
	wantLinks := []string{"p-db-1:database", "p-db-2:database"}
	if !slices.Equal(back.Aliases, []string{"web"}) || !slices.Equal(back.Links, wantLinks) || !slices.Equal(s.Host.Links, wantLinks) {
		t.Errorf("back endpoint = %+v, host links %v", back, s.Host.Links)
	}
	// From API 1.44 the MAC address belongs to the first endpoint.
	s44, _ := buildSpec(top, top.Services["web"], 1, "sha256:1", "1.44")
	if s44.Config.MacAddress != "" || s44.Net.EndpointsConfig["p_front"].MacAddress != "02:42:ac:11:00:42" { //nolint:staticcheck // checking it is left empty
		t.Errorf("API 1.44: config MAC %q, endpoint MAC %q", s44.Config.MacAddress, s44.Net.EndpointsConfig["p_front"].MacAddress) //nolint:staticcheck
	}
	side, err := buildSpec(top, top.Services["side"], 1, "sha256:1", "1.41")
	if err != nil {
		t.Fatal(err)
	}
	if side.Host.NetworkMode != "service:web" || side.NetworkOf != "web" || side.Net != nil || len(side.Extra) != 0 {
		t.Errorf("side: mode %s, of %q, net %+v", side.Host.NetworkMode, side.NetworkOf, side.Net)
	}
	// web waits for db (its link), side for web (its namespace).
	waves, err := createWaves(top)
	if got, _ := json.Marshal(waves); err != nil || string(got) != `[["db"],["web"],["side"]]` {
		t.Errorf("create waves = %s, %v", got, err)
	}
}

func TestBuildSpecMapsTheMounts(t *testing.T) {
	top := composeTopology()
	s, err := buildSpec(top, top.Services["web"], 1, "sha256:1", "1.41")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Host.Binds, []string{"/srv/a:/a:ro,z"}) {
		t.Errorf("binds = %v", s.Host.Binds)
	}
	want := []mount.Mount{
		{Type: mount.TypeVolume, Target: "/cache"},
		{Type: mount.TypeVolume, Source: "p_data", Target: "/data", VolumeOptions: &mount.VolumeOptions{NoCopy: true}},
		{Type: mount.TypeBind, Source: "/srv/b", Target: "/b", BindOptions: &mount.BindOptions{Propagation: mount.PropagationRShared}},
		{Type: mount.TypeTmpfs, Target: "/scratch", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20, Mode: 0o1777}},
		{Type: mount.TypeBind, Source: "/srv/app.conf", Target: "/etc/app.conf", ReadOnly: true},
		{Type: mount.TypeBind, Source: "/srv/token", Target: "/run/secrets/token", ReadOnly: true},
	}
	got, _ := json.Marshal(s.Host.Mounts)
	exp, _ := json.Marshal(want)
	if string(got) != string(exp) {
		t.Errorf("mounts\ngot  %s\nwant %s", got, exp)
	}
	if len(s.Files) != 1 || s.Files[0].Target != "/inline.txt" || s.Files[0].Content != "hello" || s.Files[0].Mode != 0o440 {
		t.Errorf("inline files = %+v", s.Files)
	}
}

// A chainctl topology keeps the hashes it had before compose fields
// existed, so upgrading chainctl recreates nothing; each new field, the
// other networks and the platform change the hash.
func TestConfigHashCoversTheComposeFields(t *testing.T) {
	top := enginetest.Topology()
	for name, want := range map[string]string{"a": "15364c87a54aa747cf48d8e9", "b": "a9c2f3ef4920da47853156ad", "c": "5d95c6dea5e961304860537f"} {
		if s, _ := buildSpec(top, top.Services[name], 1, "sha256:1", "1.41"); s.Hash != want {
			t.Errorf("service %s: hash %s, want %s as before", name, s.Hash, want)
		}
	}
	hash := func(change func(*topology.Topology)) string {
		top := composeTopology()
		change(top)
		s, err := buildSpec(top, top.Services["web"], 1, "sha256:1", "1.41")
		if err != nil {
			t.Fatal(err)
		}
		return s.Hash
	}
	base := hash(func(*topology.Topology) {})
	changes := map[string]func(*topology.Topology){
		"another network": func(t *topology.Topology) {
			t.Services["web"].Networks = append(t.Services["web"].Networks, topology.NetworkAttach{Key: "default"})
		},
		"an alias on the second network": func(t *topology.Topology) { t.Services["web"].Networks[1].Aliases = []string{"api"} },
		"the platform":                   func(t *topology.Topology) { t.Services["web"].Platform = "linux/amd64" },
		"an inline config":               func(t *topology.Topology) { t.Configs["inline"] = topology.FileSource{Content: "bye"} },
		"a sysctl":                       func(t *topology.Topology) { t.Services["web"].Sysctls["net.core.somaxconn"] = "1024" },
		"the stop signal":                func(t *topology.Topology) { t.Services["web"].StopSignal = "SIGQUIT" },
		"a tmpfs mount's size":           func(t *topology.Topology) { t.Services["web"].Volumes[4].TmpfsSize = 2 << 20 },
		"the linked service's replicas":  func(t *topology.Topology) { t.Services["db"].Replicas = 3 },
		"the cpu shares":                 func(t *topology.Topology) { t.Services["web"].CPUShares = 1024 },
		"the ipc mode":                   func(t *topology.Topology) { t.Services["web"].Ipc = "shareable" },
		"a log option":                   func(t *topology.Topology) { t.Services["web"].Logging.Options["max-file"] = "2" },
	}
	for what, change := range changes {
		if hash(change) == base {
			t.Errorf("changing %s leaves the config hash as it was", what)
		}
	}
}

func TestBuildSpecRefusesWhatCannotMap(t *testing.T) {
	top := composeTopology()
	top.Services["db"].ContainerName = "db"
	if _, err := buildSpec(top, top.Services["db"], 1, "", "1.41"); err == nil || !containsAll(err.Error(), "container_name db", "2 replicas") {
		t.Errorf("container_name with 2 replicas: %v", err)
	}
	for _, bad := range []string{"linux", "linux/", "a/b/c/d"} {
		top := composeTopology()
		top.Services["web"].Platform = bad
		if _, err := buildSpec(top, top.Services["web"], 1, "", "1.41"); err == nil || !containsAll(err.Error(), "service web", "platform") {
			t.Errorf("platform %q: %v", bad, err)
		}
	}
	top = composeTopology()
	top.Services["web"].Expose = []string{"http"}
	if _, err := buildSpec(top, top.Services["web"], 1, "", "1.41"); err == nil || !containsAll(err.Error(), "service web", `expose "http"`) {
		t.Errorf("bad expose: %v", err)
	}
	top = composeTopology()
	top.Services["web"].NetworkMode = "service:side" // side is in web's namespace: a cycle
	if _, err := createWaves(top); err == nil || !containsAll(err.Error(), "side", "web", "cycle") {
		t.Errorf("a network_mode cycle: %v", err)
	}
}

// createAPI records what createReplica sends; every other call panics.
type createAPI struct {
	api
	version   string
	host      *container.HostConfig
	net       *network.NetworkingConfig
	connected []string
	copied    []string
}

func (f *createAPI) ClientVersion() string { return f.version }

func (f *createAPI) ContainerCreate(_ context.Context, _ *container.Config, host *container.HostConfig, net *network.NetworkingConfig, _ *ocispec.Platform, _ string) (container.CreateResponse, error) {
	f.host, f.net = host, net
	return container.CreateResponse{ID: "new"}, nil
}

func (f *createAPI) CopyToContainer(_ context.Context, _, dst string, content io.Reader, _ container.CopyToContainerOptions) error {
	tr := tar.NewReader(content)
	for {
		hdr, err := tr.Next()
		if err != nil {
			return nil
		}
		b, _ := io.ReadAll(tr)
		f.copied = append(f.copied, fmt.Sprintf("%s%s %o %s", dst, hdr.Name, hdr.Mode, b))
	}
}

func (f *createAPI) NetworkConnect(_ context.Context, netName, id string, ep *network.EndpointSettings) error {
	f.connected = append(f.connected, netName+":"+strings.Join(ep.Aliases, ","))
	return nil
}

// API 1.41 takes one endpoint at create and the others by NetworkConnect
// before the start; from 1.44 ContainerCreate takes them all. network_mode
// service:x becomes container:<x's replica 1>.
func TestCreateReplicaNegotiatesTheEndpoints(t *testing.T) {
	top := composeTopology()
	for _, c := range []struct {
		version             string
		atCreate, connected int
	}{{"1.41", 1, 1}, {"1.44", 2, 0}, {"1.47", 2, 0}} {
		f := &createAPI{version: c.version}
		b := &Backend{api: f}
		spec, err := buildSpec(top, top.Services["web"], 1, "sha256:1", c.version)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.createReplica(context.Background(), spec, nil); err != nil {
			t.Fatal(err)
		}
		if len(f.net.EndpointsConfig) != c.atCreate || len(f.connected) != c.connected || f.net.EndpointsConfig["p_front"] == nil {
			t.Errorf("API %s: %d endpoints at create (%v), connected %v", c.version, len(f.net.EndpointsConfig), f.net.EndpointsConfig, f.connected)
		}
		if c.connected == 1 && f.connected[0] != "p_back:web" {
			t.Errorf("API %s: connected %v", c.version, f.connected)
		}
		if !slices.Equal(f.copied, []string{"/inline.txt 440 hello"}) {
			t.Errorf("inline configs copied: %q", f.copied)
		}
	}
	f := &createAPI{version: "1.41"}
	b := &Backend{api: f}
	spec, _ := buildSpec(top, top.Services["side"], 1, "sha256:1", "1.41")
	if _, err := b.createReplica(context.Background(), spec, func(x string) string { return map[string]string{"web": "abc123"}[x] }); err != nil {
		t.Fatal(err)
	}
	if f.host.NetworkMode != "container:abc123" || spec.Host.NetworkMode != "service:web" {
		t.Errorf("created in %s (the spec keeps %s)", f.host.NetworkMode, spec.Host.NetworkMode)
	}
	if _, err := b.createReplica(context.Background(), spec, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "service web has no container") {
		t.Errorf("no container to join: %v", err)
	}
}
