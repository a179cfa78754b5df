// Unit tests of the policy: which host binds need --allow-host-access, in every spelling, and what the refusal says.

package engine_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

// bindTopology is one service a that binds source at /host.
func bindTopology(source string) *topology.Topology {
	return &topology.Topology{Name: "p", Services: map[string]*topology.Service{
		"a": {Name: "a", Image: "img", Replicas: 1, Volumes: []topology.Mount{{Type: "bind", Source: source, Target: "/host"}}},
	}}
}

func checkOne(t *testing.T, top *topology.Topology, daemonHost ...string) string {
	t.Helper()
	errs := engine.Policy{}.Check(top, daemonHost...)
	if len(errs) > 1 {
		t.Fatalf("%d refusals for one bind: %v", len(errs), errs)
	}
	if len(errs) == 0 {
		return ""
	}
	return errs[0].Error()
}

func TestHostAccessNeedsTheFlagHoweverSpelt(t *testing.T) {
	const flag = ": pass --allow-host-access to allow it"
	cases := []struct{ source, why string }{
		{"/", "it is the host's root filesystem"},
		{"//", "it is the host's root filesystem"},
		{"/var/..", "it is the host's root filesystem"},
		{"/var/run/docker.sock", "it is the Docker socket"},
		{"/run/docker.sock", "it is the Docker socket"},
		{"//var//run/docker.sock", "it is the Docker socket"},
		{"/var/run", "it holds the Docker socket"},
		{"/var/run/", "it holds the Docker socket"},
		{"//var/run/", "it holds the Docker socket"},
		{"/var/run/../run", "it holds the Docker socket"},
		{"/run", "it holds the Docker socket"},
		{"/run/", "it holds the Docker socket"},
		{"/var", "it holds the Docker socket"},
		{"/etc", "it is the host's configuration"},
		{"/etc/", "it is the host's configuration"},
		{"/etc/hostname", "it is under /etc, the host's configuration"},
		{"/etc/ssl/certs", "it is under /etc, the host's configuration"},
		{"/proc", "it is the host's processes and kernel settings"},
		{"/proc/sysrq-trigger", "it is under /proc, the host's processes and kernel settings"},
		{"/sys", "it is the host's kernel and devices"},
		{"/sys/fs/cgroup", "it is under /sys, the host's kernel and devices"},
		{"/dev", "it is the host's devices"},
		{"/dev/sda", "it is under /dev, the host's devices"},
		{"/boot", "it is the host's kernel and boot loader"},
		{"/root", "it is the home of the host's root user"},
		{"/root/.ssh", "it is under /root, the home of the host's root user"},
		{"/tmp/../etc", "it is the host's configuration"},
	}
	for _, c := range cases {
		t.Run(c.source, func(t *testing.T) {
			want := fmt.Sprintf("service a mounts %s from the host (%s)%s", c.source, c.why, flag)
			if got := checkOne(t, bindTopology(c.source)); got != want {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}

func TestOrdinaryBindsNeedNoFlag(t *testing.T) {
	dir := t.TempDir()
	for _, source := range []string{dir, "/srv/data", "/etcetera", "/var/lib/app", "/run-data", "/devices", "/rooted", "/var/run/../tmp"} {
		if got := checkOne(t, bindTopology(source)); got != "" {
			t.Errorf("%s refused: %s", source, got)
		}
	}
	top := bindTopology("/etc")
	top.Services["a"].Volumes[0].Type = "volume" // a named volume called like a path is no bind
	if got := checkOne(t, top); got != "" {
		t.Errorf("named volume refused: %s", got)
	}
	if errs := (engine.Policy{AllowHostAccess: true}).Check(bindTopology("/var/run")); len(errs) != 0 {
		t.Errorf("with the flag: %v", errs)
	}
}

func TestHostAccessResolvesSymlinks(t *testing.T) {
	dir := t.TempDir()
	link := func(name, target string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct{ source, why string }{
		{link("root", "/"), "it resolves to /, which is the host's root filesystem"},
		{link("etc", "/etc"), "it resolves to /etc, which is the host's configuration"},
		{link("proc", "/proc"), "it resolves to /proc, which is the host's processes and kernel settings"},
		{link("dots", "../../../../../../../../etc"), "it resolves to /etc, which is the host's configuration"},
	}
	if real, err := filepath.EvalSymlinks("/var/run"); err == nil && real != "/var/run" {
		cases = append(cases, struct{ source, why string }{link("varrun", "/var/run"), "it resolves to " + real + ", which holds the Docker socket"})
	}
	for _, c := range cases {
		want := fmt.Sprintf("service a mounts %s from the host (%s)", c.source, c.why)
		if got := checkOne(t, bindTopology(c.source)); !strings.HasPrefix(got, want) {
			t.Errorf("got  %q\nwant %q", got, want)
		}
	}
}

func TestHostAccessKnowsTheEnginesSocket(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(real, "docker.sock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	alias := filepath.Join(dir, "alias")
	if err := os.Symlink(real, alias); err != nil {
		t.Fatal(err)
	}
	host := "unix://" + alias + "/docker.sock" // the socket as DOCKER_HOST spells it, through the symlink
	cases := []struct{ source, why string }{
		{alias + "/docker.sock", "it is the Docker socket"},
		{real + "/docker.sock", "it is the Docker socket"},
		{real, "it holds the Docker socket"},
		{alias, "it holds the Docker socket"},
		{dir + "//", "it holds the Docker socket"},
		{real + "/../real/", "it holds the Docker socket"},
	}
	for _, c := range cases {
		want := fmt.Sprintf("service a mounts %s from the host (%s)", c.source, c.why)
		if got := checkOne(t, bindTopology(c.source), host); !strings.HasPrefix(got, want) {
			t.Errorf("got  %q\nwant %q", got, want)
		}
		if got := checkOne(t, bindTopology(c.source)); got != "" {
			t.Errorf("%s refused with no daemon host: %s", c.source, got)
		}
	}
	if got := checkOne(t, bindTopology(real), "tcp://127.0.0.1:2375"); got != "" {
		t.Errorf("a tcp daemon host has no socket here: %s", got)
	}
}

func TestHostAccessFromTheFile(t *testing.T) {
	yaml := "name: p\nservices:\n  a:\n    image: img\n    volumes: [\"//var/run/:/hostrun\", \"/etc/hostname:/h:ro\", \"./conf:/conf\"]\n"
	top, err := topology.Parse([]byte(yaml), "/tmp/p.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	errs := engine.Policy{}.Check(top)
	if len(errs) != 2 {
		t.Fatalf("want 2 refusals (the socket's directory and /etc/hostname, not ./conf): %v", errs)
	}
	if want := "service a mounts /var/run from the host (it holds the Docker socket): pass --allow-host-access to allow it"; errs[0].Error() != want {
		t.Errorf("got  %q\nwant %q", errs[0], want)
	}
	if want := "service a mounts /etc/hostname from the host (it is under /etc"; !strings.HasPrefix(errs[1].Error(), want) {
		t.Errorf("got %q, want it to start %q", errs[1], want)
	}
}

// network_mode host, and secret and config files from the host's system
// directories, need --allow-host-access like binds; tmpfs and anonymous
// volumes never do.
func TestHostAccessOfComposeFields(t *testing.T) {
	top := &topology.Topology{Name: "p",
		Secrets: map[string]topology.FileSource{"key": {File: "/etc/shadow"}, "ok": {File: t.TempDir() + "/s"}},
		Configs: map[string]topology.FileSource{"conf": {File: "/root/.ssh/config"}, "inline": {Content: "x"}},
		Services: map[string]*topology.Service{
			"a": {Name: "a", Image: "img", Replicas: 1, Run: topology.Run{NetworkMode: "host"},
				Volumes: []topology.Mount{{Type: topology.MountTmpfs, Target: "/etc"}, {Type: topology.MountVolume, Target: "/var/run"}}},
			"b": {Name: "b", Image: "img", Replicas: 1, Run: topology.Run{
				Secrets: []topology.FileMount{{Source: "key"}, {Source: "ok"}},
				Configs: []topology.FileMount{{Source: "conf", Target: "/c"}, {Source: "inline"}}}},
		}}
	errs := engine.Policy{}.Check(top)
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		"service a asks for network_mode host (the host's network stack, every port and interface of this machine): pass --allow-host-access to allow it",
		"service b mounts config conf from the host file /root/.ssh/config (it is under /root, the home of the host's root user): pass --allow-host-access to allow it",
		"service b mounts secret key from the host file /etc/shadow (it is under /etc, the host's configuration): pass --allow-host-access to allow it",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if errs := (engine.Policy{AllowHostAccess: true}).Check(top); len(errs) != 0 {
		t.Errorf("--allow-host-access still refuses: %v", errs)
	}
}

// ipc, pid and userns_mode host share the host's namespaces: host access,
// like network_mode host; the other modes are not.
func TestHostAccessOfHostNamespaces(t *testing.T) {
	top := &topology.Topology{Name: "p", Services: map[string]*topology.Service{
		"a": {Name: "a", Image: "img", Replicas: 1, Run: topology.Run{Ipc: "host", Pid: "host", UsernsMode: "host"}},
		"b": {Name: "b", Image: "img", Replicas: 1, Run: topology.Run{Ipc: "shareable", NetworkMode: "bridge"}},
	}}
	var got []string
	for _, e := range (engine.Policy{}).Check(top) {
		got = append(got, e.Error())
	}
	want := []string{
		"service a asks for ipc host (the host's shared memory, semaphores and message queues): pass --allow-host-access to allow it",
		"service a asks for pid host (every process of this machine, to see and signal): pass --allow-host-access to allow it",
		"service a asks for userns_mode host (the host's user namespace: root in the container is root on this machine when the engine remaps users): pass --allow-host-access to allow it",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if errs := (engine.Policy{AllowHostAccess: true}).Check(top); len(errs) != 0 {
		t.Errorf("--allow-host-access still refuses: %v", errs)
	}
}
