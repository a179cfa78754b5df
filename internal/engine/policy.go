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
	AllowHostAccess bool // bind mounts of / or of the Docker socket
}

// dockerSockets are the host paths that hand a container the engine itself.
var dockerSockets = []string{"/var/run/docker.sock", "/run/docker.sock"}

// Check lists every service that needs a permission the policy withholds.
func (p Policy) Check(t *topology.Topology) []error {
	var errs []error
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
			for _, m := range svc.Volumes {
				if m.Type == "bind" && hostAccess(m.Source) {
					errs = append(errs, fmt.Errorf("service %s mounts %s from the host: pass --allow-host-access to allow it", name, m.Source))
				}
			}
		}
	}
	return errs
}

func hostAccess(path string) bool {
	path = filepath.Clean(path)
	if path == "/" {
		return true
	}
	for _, s := range dockerSockets {
		if path == s {
			return true
		}
	}
	return false
}
