package topology

import (
	"fmt"
	"strings"

	"github.com/docker/go-connections/nat"
)

// validate checks what needs the whole topology: names that must be
// defined, dependency cycles and host ports published twice.
func (d *decoder) validate(t *Topology) {
	for _, r := range d.refs {
		switch r.kind {
		case "service":
			if _, ok := t.Services[r.target]; !ok {
				d.errs = append(d.errs, &Error{File: d.file, Line: r.line, Path: r.path, Msg: fmt.Sprintf("unknown service %q (services: %s)", r.target, strings.Join(t.ServiceNames(), ", "))})
			} else if strings.HasPrefix(r.path, "services."+r.target+".") {
				d.errs = append(d.errs, &Error{File: d.file, Line: r.line, Path: r.path, Msg: fmt.Sprintf("service %q depends on itself", r.target)})
			}
		case "volume":
			if _, ok := t.Volumes[r.target]; !ok {
				d.errs = append(d.errs, &Error{File: d.file, Line: r.line, Path: r.path, Msg: fmt.Sprintf("volume %q is not declared under the top-level volumes", r.target)})
			}
		}
	}
	if len(d.errs) == 0 {
		if c := t.cycle(); c != nil {
			d.errs = append(d.errs, &Error{File: d.file, Line: d.lineOf("services." + c[0]), Path: "services." + c[0], Msg: "dependency cycle: " + strings.Join(c, " -> ")})
		}
	}
	d.checkPorts(t)
}

// lineOf finds the line of the first ref made under path.
func (d *decoder) lineOf(path string) int {
	for _, r := range d.refs {
		if strings.HasPrefix(r.path, path+".") {
			return r.line
		}
	}
	return 0
}

// checkPorts rejects a host port published twice (0.0.0.0 clashes with
// every address) and a fixed host port on a replicated service.
func (d *decoder) checkPorts(t *Topology) {
	type key struct {
		port  int
		proto string
	}
	owners := map[key][]published{}
	for _, pub := range d.published {
		svc := strings.Split(pub.path, ".")[1]
		if pub.port.HostPort == "" {
			continue
		}
		if s := t.Services[svc]; s != nil && s.Replicas > 1 {
			d.errs = append(d.errs, &Error{File: d.file, Line: pub.line, Path: pub.path, Msg: fmt.Sprintf("fixed host port %s on a service with %d replicas: they cannot all bind it (publish only the container port)", pub.port.HostPort, s.Replicas)})
		}
		lo, hi, err := nat.ParsePortRange(pub.port.HostPort)
		if err != nil {
			continue
		}
		for p := lo; p <= hi; p++ {
			k := key{int(p), pub.port.Protocol}
			for _, other := range owners[k] {
				if ipsClash(other.port.HostIP, pub.port.HostIP) {
					d.errs = append(d.errs, &Error{File: d.file, Line: pub.line, Path: pub.path, Msg: fmt.Sprintf("host port %s:%d/%s is already published by %s", pub.port.HostIP, p, pub.port.Protocol, other.path)})
				}
			}
			owners[k] = append(owners[k], pub)
		}
	}
}

func ipsClash(a, b string) bool {
	wild := func(ip string) bool { return ip == "0.0.0.0" || ip == "::" }
	return a == b || wild(a) || wild(b)
}
