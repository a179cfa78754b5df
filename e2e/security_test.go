// End-to-end tests that privileges and host access (the Docker socket, /, system directories) need explicit flags, and that the defaults are unprivileged and on loopback.

package e2e

import (
	"strings"
	"testing"
)

func TestPrivilegeNeedsAnExplicitFlag(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	path := writeTopology(t, p, "name: PROJECT\nservices:\n  a: {image: chainctl/link:latest, privileged: true, healthcheck: {disable: true}}\n")
	r := chainctl(t, "up", "-q", path)
	if r.code != 1 || !strings.Contains(r.stderr, "service a asks for privileged: pass --allow-privileged") {
		t.Errorf("privileged without the flag: %s", r)
	}
	if left := leftovers(p); left != "" {
		t.Errorf("created: %s", left)
	}
	mustChainctl(t, "up", "-q", "--allow-privileged", path)
	if got := docker(t, "inspect", "-f", "{{.HostConfig.Privileged}}", p+"-a-1"); got != "true" {
		t.Errorf("privileged = %s with --allow-privileged", got)
	}
}

func TestDockerSocketNeedsAnExplicitFlag(t *testing.T) {
	t.Parallel()
	hostAccessNeedsTheFlag(t, "/var/run/docker.sock", "/var/run/docker.sock", "it is the Docker socket")
}

// TestHostAccessNeedsAnExplicitFlag: the socket's directories, however
// spelt (/var/run is a symlink to /run here), /, and the host's system
// directories and what is under them.
func TestHostAccessNeedsAnExplicitFlag(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, bind, shown, why string }{
		{"var-run", "/var/run", "/var/run", "it holds the Docker socket"},
		{"var-run-spelt-oddly", "//var/run/", "/var/run", "it holds the Docker socket"},
		{"run", "/run", "/run", "it holds the Docker socket"},
		{"run-socket", "/run/docker.sock", "/run/docker.sock", "it is the Docker socket"},
		{"root", "/", "/", "it is the host's root filesystem"},
		{"etc", "/etc", "/etc", "it is the host's configuration"},
		{"etc-hostname", "/etc/hostname", "/etc/hostname", "it is under /etc, the host's configuration"},
		{"proc", "/proc", "/proc", "it is the host's processes and kernel settings"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			hostAccessNeedsTheFlag(t, c.bind, c.shown, c.why)
		})
	}
}

// hostAccessNeedsTheFlag binds bind read-only at /host: up refuses it
// without --allow-host-access, naming the bind (as shown) and why, and
// creates nothing; with the flag the container runs with the bind.
func hostAccessNeedsTheFlag(t *testing.T, bind, shown, why string) {
	t.Helper()
	p := newProject(t)
	path := writeTopology(t, p, "name: PROJECT\nservices:\n  a: {image: chainctl/link:latest, volumes: [\""+bind+":/host:ro\"]}\n")
	r := chainctl(t, "up", "-q", path)
	want := "service a mounts " + shown + " from the host (" + why + "): pass --allow-host-access to allow it"
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("%s without the flag: want exit 1 and %q: %s", bind, want, r)
	}
	if left := leftovers(p); left != "" {
		t.Errorf("created: %s", left)
	}
	mustChainctl(t, "up", "-q", "--allow-host-access", path)
	got := docker(t, "inspect", "-f", `{{.State.Status}}{{range .Mounts}} {{.Type}} {{.Source}}:{{.Destination}}{{end}}`, p+"-a-1")
	if got != "running bind "+shown+":/host" {
		t.Errorf("%s with --allow-host-access: inspect says %q", bind, got)
	}
}

func TestDefaultsAreUnprivilegedAndLoopback(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, "name: PROJECT\nservices:\n  a: {image: chainctl/link:latest, ports: [\"8080\"]}\n"))
	got := docker(t, "inspect", p+"-a-1", "--format",
		"{{.Config.User}} {{.HostConfig.Privileged}} {{.HostConfig.CapAdd}} {{(index (index .HostConfig.PortBindings \"8080/tcp\") 0).HostIp}}")
	if got != "65534:65534 false <no value> 127.0.0.1" { // no added capabilities
		t.Errorf("defaults: %s", got)
	}
}
