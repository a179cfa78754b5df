// End-to-end tests that privileges and the Docker socket need explicit flags, and that the defaults are unprivileged and on loopback.

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
	p := newProject(t)
	path := writeTopology(t, p, "name: PROJECT\nservices:\n  a: {image: chainctl/link:latest, volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]}\n")
	r := chainctl(t, "up", "-q", path)
	if r.code != 1 || !strings.Contains(r.stderr, "mounts /var/run/docker.sock from the host: pass --allow-host-access") {
		t.Errorf("docker socket without the flag: %s", r)
	}
	if left := leftovers(p); left != "" {
		t.Errorf("created: %s", left)
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
