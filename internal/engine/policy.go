// What a topology may ask for beyond the safe defaults, each behind an explicit flag of up.

package engine

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/chainctl/chainctl/internal/topology"
)

// Policy is what a topology may ask for beyond the safe defaults; each
// permission is an explicit flag of `up`.
type Policy struct {
	AllowPrivileged bool // privileged containers, cap_add ALL or SYS_ADMIN
	AllowHostAccess bool // binds (secret and config files too) of /, the Docker socket or a directory holding it, and the host's system directories; network_mode, ipc, pid or userns_mode host
}

// dockerSockets are the host paths that hand a container the engine itself.
var dockerSockets = []string{"/var/run/docker.sock", "/run/docker.sock"}

// systemDirs are the host's own directories: a bind of one of them, or of
// anything under one (/etc/shadow, /proc/sysrq-trigger, /dev/sda,
// /root/.ssh), hands the container the host.
var systemDirs = []struct{ path, what string }{
	{"/etc", "the host's configuration"},
	{"/proc", "the host's processes and kernel settings"},
	{"/sys", "the host's kernel and devices"},
	{"/dev", "the host's devices"},
	{"/boot", "the host's kernel and boot loader"},
	{"/root", "the home of the host's root user"},
}

// Check lists every service that needs a permission the policy withholds.
// daemonHost, when given, is the engine chainctl talks to (the client's
// DaemonHost): a unix:// socket there is the Docker socket too.
func (p Policy) Check(t *topology.Topology, daemonHost ...string) []error {
	var errs []error
	sockets := socketPaths(daemonHost)
	for _, name := range t.ServiceNames() {
		svc := t.Services[name]
		if !p.AllowPrivileged {
			if svc.Privileged {
				errs = append(errs, fmt.Errorf("service %s asks for privileged: pass --allow-privileged to allow it", name))
			}
			for _, c := range svc.CapAdd {
				if c := strings.ToUpper(strings.TrimPrefix(strings.ToUpper(c), "CAP_")); c == "ALL" || c == "SYS_ADMIN" {
					errs = append(errs, fmt.Errorf("service %s adds capability %s: pass --allow-privileged to allow it", name, c))
				}
			}
		}
		if !p.AllowHostAccess {
			errs = append(errs, hostAccessOf(t, svc, sockets)...)
		}
	}
	return errs
}

// hostNamespaces are the host's namespaces a service may ask to share,
// and what each hands it.
var hostNamespaces = []struct {
	key  string
	mode func(*topology.Service) string
	what string
}{
	{"network_mode", func(s *topology.Service) string { return s.NetworkMode }, "the host's network stack, every port and interface of this machine"},
	{"ipc", func(s *topology.Service) string { return s.Ipc }, "the host's shared memory, semaphores and message queues"},
	{"pid", func(s *topology.Service) string { return s.Pid }, "every process of this machine, to see and signal"},
	{"userns_mode", func(s *topology.Service) string { return s.UsernsMode }, "the host's user namespace: root in the container is root on this machine when the engine remaps users"},
}

// hostAccessOf lists what of the host a service reaches without
// --allow-host-access: binds, secret and config files (bind-mounted too)
// and the host's network, IPC, PID and user namespaces.
func hostAccessOf(t *topology.Topology, svc *topology.Service, sockets []string) []error {
	var errs []error
	for _, ns := range hostNamespaces {
		if ns.mode(svc) == "host" {
			errs = append(errs, fmt.Errorf("service %s asks for %s host (%s): pass --allow-host-access to allow it", svc.Name, ns.key, ns.what))
		}
	}
	for _, m := range svc.Volumes {
		if m.Type == topology.MountVolume || m.Type == topology.MountTmpfs { // anything else is created as a bind (Mounts)
			continue
		}
		if why := hostAccess(m.Source, sockets); why != "" {
			errs = append(errs, fmt.Errorf("service %s mounts %s from the host (%s): pass --allow-host-access to allow it", svc.Name, m.Source, why))
		}
	}
	for _, f := range Files(t, svc) {
		if f.File == "" {
			continue
		}
		if why := hostAccess(f.File, sockets); why != "" {
			errs = append(errs, fmt.Errorf("service %s mounts %s %s from the host file %s (%s): pass --allow-host-access to allow it", svc.Name, f.Kind, f.Key, f.File, why))
		}
	}
	return errs
}

// socketPaths are the Docker sockets of this host, each as written and
// with its symlinks resolved (/var/run is often /run).
func socketPaths(daemonHost []string) []string {
	paths := append([]string{}, dockerSockets...)
	for _, h := range daemonHost {
		if s, ok := strings.CutPrefix(h, "unix://"); ok && s != "" {
			paths = append(paths, filepath.Clean(s))
		}
	}
	for _, s := range paths {
		if real, err := filepath.EvalSymlinks(s); err == nil && real != s {
			paths = append(paths, real)
		}
	}
	return paths
}

// hostAccess says why a bind of source hands the container the host, or
// "" when it does not. The path is checked as written (cleaned) and, where
// it exists here, with its symlinks resolved.
func hostAccess(source string, sockets []string) string {
	clean := filepath.Clean(source)
	if why := exposes(clean, sockets); why != "" {
		return "it " + why
	}
	if real, err := filepath.EvalSymlinks(clean); err == nil && real != clean {
		if why := exposes(real, sockets); why != "" {
			return fmt.Sprintf("it resolves to %s, which %s", real, why)
		}
	}
	return ""
}

// exposes says what of the host the clean absolute path p is or holds.
func exposes(p string, sockets []string) string {
	if p == "/" {
		return "is the host's root filesystem"
	}
	for _, s := range sockets {
		if p == s {
			return "is the Docker socket"
		}
	}
	for _, s := range sockets {
		if within(s, p) {
			return "holds the Docker socket"
		}
	}
	for _, d := range systemDirs {
		switch {
		case p == d.path:
			return "is " + d.what
		case within(p, d.path):
			return fmt.Sprintf("is under %s, %s", d.path, d.what)
		}
	}
	return ""
}

// within reports whether p lies strictly inside dir (both clean).
func within(p, dir string) bool {
	return strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/") && p != dir
}
