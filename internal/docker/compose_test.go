// Tests against the real daemon that every compose field up maps lands on the engine, checked through inspect.

package docker

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"github.com/docker/go-connections/nat"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/enginetest"
	"github.com/chainctl/chainctl/internal/topology"
)

// linkService is one link service with a fast healthcheck.
func linkService(name string) *topology.Service {
	return &topology.Service{Name: name, Image: linkImage, Replicas: 1,
		Healthcheck: &topology.Healthcheck{Test: []string{"CMD", "/link", "-health"},
			Interval: topology.Duration(500 * time.Millisecond), Timeout: topology.Duration(time.Second), Retries: 3}}
}

// subnet24 is a random /24 in 10.100.0.0/14, outside the pools the engine
// picks subnets from (172.17-31/16, 192.168/16), so that no network made
// without a subnet by a test in parallel takes it.
func subnet24(t *testing.T) (subnet, prefix string) {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	prefix = fmt.Sprintf("10.%d.%d.", 100+int(b[0])%4, b[1])
	return prefix + "0/24", prefix
}

// readFile reads a file out of a container (running or not) through the
// engine: the link image has no shell to cat it with.
func readFile(t *testing.T, cli *client.Client, id, path string) string {
	t.Helper()
	rc, _, err := cli.CopyFromContainer(context.Background(), id, path)
	if err != nil {
		t.Errorf("read %s: %v", path, err)
		return ""
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	if _, err := tr.Next(); err != nil {
		t.Errorf("read %s: %v", path, err)
		return ""
	}
	b, _ := io.ReadAll(tr)
	return string(b)
}

// externals creates a network and a volume that are not the project's,
// removed at the end of the test (after the project's own cleanup).
func externals(t *testing.T, cli *client.Client, project string) (netName, volName string) {
	ctx := context.Background()
	netName, volName = project+"-outside", project+"-outside-data"
	t.Cleanup(func() {
		_ = cli.NetworkRemove(context.Background(), netName)
		_ = cli.VolumeRemove(context.Background(), volName, true)
	})
	if _, err := cli.NetworkCreate(ctx, netName, network.CreateOptions{Labels: map[string]string{"io.chainctl.test": project}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.VolumeCreate(ctx, volume.CreateOptions{Name: volName, Labels: map[string]string{"io.chainctl.test": project}}); err != nil {
		t.Fatal(err)
	}
	return netName, volName
}

// composeProject is web (on front, back and an external network, with
// every runtime field) calling core by an alias core has on back only.
func composeProject(t *testing.T, project, extNet, extVol string) *topology.Topology {
	dir := t.TempDir()
	for name, content := range map[string]string{"token": "s3cret\n", "app.conf": "level=debug\n", "shared/x": "x\n"} {
		p := filepath.Join(dir, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	subnet, prefix := subnet24(t)
	v6prefix := "fd00:" + strings.ReplaceAll(strings.TrimSuffix(prefix, "."), ".", ":")
	yes := true
	web := linkService("web")
	web.Calls = []topology.Call{{Service: "core-alias", Port: 8080}}
	web.Ports = []topology.Port{{HostIP: "127.0.0.1", ContainerPort: "8080", Protocol: "tcp"}}
	web.Volumes = []topology.Mount{
		{Type: topology.MountVolume, Target: "/cache"},
		{Type: topology.MountVolume, Source: "ext", Target: "/ext", NoCopy: true},
		{Type: topology.MountBind, Source: filepath.Join(dir, "shared"), Target: "/shared", SELinux: "z", ReadOnly: true},
		{Type: topology.MountTmpfs, Target: "/scratch", TmpfsSize: 1 << 20},
	}
	web.Run = topology.Run{ContainerName: project + "-the-web", Hostname: "web-host", DomainName: "example.test", WorkingDir: "/work",
		Expose: []string{"9000"}, Init: &yes, StopSignal: "SIGINT", Tmpfs: []string{"/run:size=1m"},
		Sysctls: map[string]string{"net.ipv4.ip_local_port_range": "40000 50000"},
		Ulimits: map[string]topology.Ulimit{"nofile": {Soft: 1024, Hard: 2048}},
		DNS:     []string{"192.0.2.53"}, DNSSearch: []string{"example.test"}, DNSOpt: []string{"ndots:0"},
		ExtraHosts: []string{"gw.test:192.0.2.1"}, ShmSize: 32 << 20, Platform: "linux/amd64", Runtime: "runc",
		StdinOpen: true, Tty: true, MacAddress: "02:42:0a:64:00:42", GroupAdd: []string{"1234"}, PidsLimit: 64,
		MemoryReservation: 16 << 20,
		Networks:          []topology.NetworkAttach{{Key: "front", Aliases: []string{"www"}, IPv4Address: prefix + "10"}, {Key: "back"}, {Key: "outside"}},
		Secrets:           []topology.FileMount{{Source: "token"}},
		Configs:           []topology.FileMount{{Source: "conf", Target: "/etc/app.conf"}, {Source: "motd", Target: "/motd"}},
	}
	core := linkService("core")
	core.Networks = []topology.NetworkAttach{{Key: "back", Aliases: []string{"core-alias"}}, {Key: "v6", IPv6Address: v6prefix + "::20"}}
	core.Volumes = []topology.Mount{{Type: topology.MountVolume, Source: "opts", Target: "/opts"}}
	return &topology.Topology{Name: project, Format: topology.FormatCompose,
		Network: topology.Network{Name: project + "_default"},
		Networks: map[string]topology.Network{
			"front":   {Name: project + "_front", Subnet: subnet, DriverOpts: map[string]string{"com.docker.network.driver.mtu": "1400"}, Labels: map[string]string{"tier": "front"}, Attachable: true},
			"back":    {Name: project + "_back", Internal: true},
			"outside": {Name: extNet, External: true},
			"v6":      {Name: project + "_v6", Subnet: v6prefix + "::/64", EnableIPv6: true},
		},
		Volumes: map[string]topology.Volume{"ext": {Name: extVol, External: true},
			"opts": {Name: project + "_opts", DriverOpts: map[string]string{"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}}},
		Secrets:  map[string]topology.FileSource{"token": {File: filepath.Join(dir, "token")}},
		Configs:  map[string]topology.FileSource{"conf": {File: filepath.Join(dir, "app.conf")}, "motd": {Content: "welcome\n"}},
		Services: map[string]*topology.Service{"web": web, "core": core},
	}
}

func TestComposeFieldsLandOnTheEngine(t *testing.T) {
	t.Parallel()
	e, cli := daemon(t)
	project := enginetest.Project(t)
	extNet, extVol := externals(t, cli, project)
	cleanup(t, e, cli, project)
	ctx := context.Background()
	top := composeProject(t, project, extNet, extVol)
	dry, err := e.Up(ctx, top, engine.UpOptions{DryRun: true})
	if err != nil {
		t.Fatalf("up --dry-run: %v", err)
	}
	var plan []string
	for _, st := range dry.Plan {
		if st.Kind != "container" {
			plan = append(plan, st.Action+" "+st.Kind+" "+st.Resource)
		}
	}
	wantPlan := []string{"create network " + project + "_back", "create network " + project + "_front", "external network " + extNet, "create network " + project + "_v6",
		"external volume " + extVol, "create volume " + project + "_opts"}
	if !slices.Equal(plan, wantPlan) {
		t.Errorf("dry-run plan %q, want %q", plan, wantPlan)
	}
	if _, err := e.Up(ctx, top, engine.UpOptions{WaitTimeout: time.Minute}); err != nil {
		t.Fatalf("up: %v", err)
	}
	web, err := cli.ContainerInspect(ctx, project+"-the-web")
	if err != nil {
		t.Fatalf("container_name: %v", err)
	}
	checkConfig(t, web)
	checkHost(t, web)
	checkNetworks(t, cli, web, top)
	checkFiles(t, cli, web)
	checkCalls(t, e, project, "web", "core") // by core-alias, on back
	checkCore(t, cli, project, strings.TrimSuffix(top.Networks["v6"].Subnet, "::/64"))

	// Everything that finds containers still finds the container_name one.
	rows, err := e.PS(ctx, project)
	if err != nil || len(rows) != 2 || rows[1].Container != project+"-the-web" || rows[1].State != "running" {
		t.Errorf("ps = %+v, %v", rows, err)
	}
	if _, err := e.Break(ctx, project, []engine.Target{{Service: "web"}}, engine.BreakOptions{Mode: engine.ModeKill}); err != nil {
		t.Fatalf("break web: %v", err)
	}
	if res, err := e.Heal(ctx, project, []string{"web"}, engine.HealOptions{WaitTimeout: time.Minute}); err != nil || len(res.Healed) != 1 {
		t.Fatalf("heal web: %+v, %v", res, err)
	}
	var logs strings.Builder
	if err := e.Logs(ctx, project, engine.LogsOptions{Services: []string{"web"}}, &logs); err != nil || !strings.Contains(logs.String(), "web-1 | ") {
		t.Errorf("logs of a tty service: %q, %v", logs.String(), err)
	}

	anon := anonymousVolume(t, web, "/cache")
	zero := time.Duration(0)
	if _, err := e.Down(ctx, project, engine.DownOptions{Timeout: &zero}); err != nil {
		t.Fatalf("down: %v", err)
	}
	if _, err := cli.VolumeInspect(ctx, anon); !cerrdefs.IsNotFound(err) {
		t.Errorf("the anonymous volume %s outlived down: %v", anon, err)
	}
	if _, err := cli.NetworkInspect(ctx, extNet, network.InspectOptions{}); err != nil {
		t.Errorf("down removed the external network: %v", err)
	}
	if _, err := cli.VolumeInspect(ctx, extVol); err != nil {
		t.Errorf("down removed the external volume: %v", err)
	}
}

func checkConfig(t *testing.T, c container.InspectResponse) {
	t.Helper()
	cfg := c.Config
	if cfg.Hostname != "web-host" || cfg.Domainname != "example.test" || cfg.WorkingDir != "/work" || cfg.StopSignal != "SIGINT" || !cfg.OpenStdin || !cfg.Tty {
		t.Errorf("config: hostname %q domain %q workdir %q stop signal %q stdin %v tty %v", cfg.Hostname, cfg.Domainname, cfg.WorkingDir, cfg.StopSignal, cfg.OpenStdin, cfg.Tty)
	}
	for _, p := range []string{"9000/tcp", "8080/tcp"} {
		if _, ok := cfg.ExposedPorts[nat.Port(p)]; !ok {
			t.Errorf("exposed ports %v lack %s", cfg.ExposedPorts, p)
		}
	}
	if c.Platform != "linux" {
		t.Errorf("platform %q", c.Platform)
	}
}

func checkHost(t *testing.T, c container.InspectResponse) {
	t.Helper()
	h := c.HostConfig
	if h.Init == nil || !*h.Init || h.ShmSize != 32<<20 || h.Runtime != "runc" || h.MemoryReservation != 16<<20 || !slices.Equal(h.GroupAdd, []string{"1234"}) {
		t.Errorf("host: init %v shm %d runtime %q reservation %d groups %v", h.Init, h.ShmSize, h.Runtime, h.MemoryReservation, h.GroupAdd)
	}
	if h.PidsLimit == nil || *h.PidsLimit != 64 {
		t.Errorf("pids limit %v", h.PidsLimit)
	}
	if h.Tmpfs["/run"] != "size=1m" || h.Sysctls["net.ipv4.ip_local_port_range"] != "40000 50000" {
		t.Errorf("tmpfs %v, sysctls %v", h.Tmpfs, h.Sysctls)
	}
	if len(h.Ulimits) != 1 || h.Ulimits[0].Name != "nofile" || h.Ulimits[0].Soft != 1024 || h.Ulimits[0].Hard != 2048 {
		t.Errorf("ulimits %+v", h.Ulimits)
	}
	if !slices.Equal(h.DNS, []string{"192.0.2.53"}) || !slices.Equal(h.DNSSearch, []string{"example.test"}) || !slices.Equal(h.DNSOptions, []string{"ndots:0"}) || !slices.Equal(h.ExtraHosts, []string{"gw.test:192.0.2.1"}) {
		t.Errorf("dns %v search %v options %v extra hosts %v", h.DNS, h.DNSSearch, h.DNSOptions, h.ExtraHosts)
	}
	if len(h.Binds) != 1 || !strings.HasSuffix(h.Binds[0], ":/shared:ro,z") {
		t.Errorf("binds %v, want the SELinux one as src:/shared:ro,z", h.Binds)
	}
	kinds := map[string]string{}
	for _, m := range c.Mounts {
		kinds[m.Destination] = fmt.Sprintf("%s rw=%v", m.Type, m.RW)
	}
	want := map[string]string{"/cache": "volume rw=true", "/ext": "volume rw=true", "/shared": "bind rw=false", "/scratch": "tmpfs rw=true",
		"/run/secrets/token": "bind rw=false", "/etc/app.conf": "bind rw=false"}
	for dst, k := range want {
		if kinds[dst] != k {
			t.Errorf("mount at %s: %q, want %q (all: %v)", dst, kinds[dst], k, kinds)
		}
	}
}

func checkNetworks(t *testing.T, cli *client.Client, c container.InspectResponse, top *topology.Topology) {
	t.Helper()
	ctx := context.Background()
	eps := c.NetworkSettings.Networks
	front, back, outside := top.Networks["front"], top.Networks["back"], top.Networks["outside"]
	if len(eps) != 3 || eps[front.Name] == nil || eps[back.Name] == nil || eps[outside.Name] == nil {
		t.Fatalf("web is on %v, want %s, %s and %s", slices.Collect(maps.Keys(eps)), front.Name, back.Name, outside.Name)
	}
	if ep := eps[front.Name]; !slices.Contains(ep.Aliases, "www") || !slices.Contains(ep.Aliases, "web") || !strings.HasSuffix(ep.IPAddress, ".10") || ep.MacAddress != "02:42:0a:64:00:42" {
		t.Errorf("front endpoint: aliases %v ip %s mac %s", ep.Aliases, ep.IPAddress, ep.MacAddress)
	}
	if _, ok := top.Networks["default"]; ok || top.UsesDefaultNetwork() {
		t.Fatal("the test topology should not use the default network")
	}
	if _, err := cli.NetworkInspect(ctx, top.Network.Name, network.InspectOptions{}); !cerrdefs.IsNotFound(err) {
		t.Errorf("the default network %s was created though no service joins it: %v", top.Network.Name, err)
	}
	fn, err := cli.NetworkInspect(ctx, front.Name, network.InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fn.Options["com.docker.network.driver.mtu"] != "1400" || fn.Labels["tier"] != "front" || fn.Labels[engine.LabelProject] != top.Name || !fn.Attachable || fn.Driver != "bridge" ||
		len(fn.IPAM.Config) != 1 || fn.IPAM.Config[0].Subnet != front.Subnet {
		t.Errorf("front network: options %v labels %v attachable %v driver %s ipam %+v", fn.Options, fn.Labels, fn.Attachable, fn.Driver, fn.IPAM.Config)
	}
	if bn, err := cli.NetworkInspect(ctx, back.Name, network.InspectOptions{}); err != nil || !bn.Internal {
		t.Errorf("back network internal=%v, %v", bn.Internal, err)
	}
	if on, err := cli.NetworkInspect(ctx, outside.Name, network.InspectOptions{}); err != nil || on.Labels[engine.LabelProject] != "" {
		t.Errorf("the external network was relabelled: %v, %v", on.Labels, err)
	}
}

func checkFiles(t *testing.T, cli *client.Client, c container.InspectResponse) {
	t.Helper()
	files := map[string]string{"/run/secrets/token": "s3cret\n", "/etc/app.conf": "level=debug\n", "/motd": "welcome\n", "/shared/x": "x\n"}
	for path, want := range files {
		if got := readFile(t, cli, c.ID, path); got != want {
			t.Errorf("%s holds %q, want %q", path, got, want)
		}
	}
	if hosts := readFile(t, cli, c.ID, "/etc/hosts"); !strings.Contains(hosts, "192.0.2.1\tgw.test") {
		t.Errorf("/etc/hosts lacks the extra host:\n%s", hosts)
	}
	if rc := readFile(t, cli, c.ID, "/etc/resolv.conf"); !strings.Contains(rc, "search example.test") || !strings.Contains(rc, "ndots:0") {
		t.Errorf("/etc/resolv.conf lacks dns_search and dns_opt:\n%s", rc)
	}
}

// checkCalls calls entry from the host and wants callee's name in the
// answer: entry reaches it by an alias the host cannot resolve.
func checkCalls(t *testing.T, e *Backend, project, entry, callee string) {
	t.Helper()
	_, url, err := e.Endpoint(context.Background(), project, entry)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), callee) {
		t.Errorf("%s → %s: %d %s", entry, callee, resp.StatusCode, body)
	}
}

func anonymousVolume(t *testing.T, c container.InspectResponse, target string) string {
	t.Helper()
	for _, m := range c.Mounts {
		if m.Destination == target && m.Type == "volume" && m.Name != "" {
			return m.Name
		}
	}
	t.Fatalf("no anonymous volume at %s", target)
	return ""
}

// checkCore: core's fixed IPv6 address on the IPv6 network, and the
// driver_opts of its volume.
func checkCore(t *testing.T, cli *client.Client, project, v6prefix string) {
	t.Helper()
	ctx := context.Background()
	core := inspect(t, cli, project+"-core-1")
	if ep := core.NetworkSettings.Networks[project+"_v6"]; ep == nil || ep.GlobalIPv6Address != v6prefix+"::20" {
		t.Errorf("core on %s: %+v", project+"_v6", ep)
	}
	if n, err := cli.NetworkInspect(ctx, project+"_v6", network.InspectOptions{}); err != nil || !n.EnableIPv6 {
		t.Errorf("%s_v6: enable_ipv6 %v, %v", project, n.EnableIPv6, err)
	}
	v, err := cli.VolumeInspect(ctx, project+"_opts")
	if err != nil || v.Options["type"] != "tmpfs" || v.Options["o"] != "size=1m" || v.Labels[engine.LabelProject] != project {
		t.Errorf("volume %s_opts: options %v labels %v, %v", project, v.Options, v.Labels, err)
	}
}
