// Ports and mounts: the short and long port syntax, port ranges, and volume and bind mounts.

package topology

import (
	"errors"
	"fmt"
	"net"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/chainctl/chainctl/internal/yamlnode"
	"github.com/docker/go-connections/nat"
	"gopkg.in/yaml.v3"
)

// ports reads the short syntax [ip:][host:]container[/proto], or compose's
// long syntax {target, published, host_ip, protocol, mode}.
func (d *decoder) ports(n *yaml.Node, p, service string) []Port {
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, p, "want a list, got %s", yamlnode.Describe(n))
		return nil
	}
	var out []Port
	for i, c := range n.Content {
		c, path := yamlnode.Resolve(c), yamlnode.Index(p, i)
		var port Port
		var err error
		var shown string
		if c.Kind == yaml.MappingNode {
			port, shown, err = d.longPort(c, path)
		} else {
			var ok bool
			if shown, ok = d.Text(c, path); !ok {
				continue
			}
			port, err = parsePort(shown)
		}
		if err == nil {
			err = d.checkPortSpec(port)
		}
		if err != nil {
			d.Errorf(c, path, "%q: invalid port: %v", shown, err)
			continue
		}
		if port.HostPort != "" {
			d.published = append(d.published, published{service: service, index: len(out), line: c.Line, path: path})
		}
		out = append(out, port)
	}
	return out
}

// longPort reads {target, published, host_ip, protocol, mode} through the
// short syntax's parser, so both forms mean the same.
func (d *decoder) longPort(n *yaml.Node, path string) (Port, string, error) {
	var target, published, hostIP, proto, mode string
	d.Fields(n, path, yamlnode.Handlers{
		"target":    func(v *yaml.Node, p string) { target, _ = d.Text(v, p) },
		"published": func(v *yaml.Node, p string) { published, _ = d.Text(v, p) },
		"host_ip":   func(v *yaml.Node, p string) { hostIP, _ = d.Text(v, p) },
		"protocol":  func(v *yaml.Node, p string) { proto, _ = d.Text(v, p) },
		"mode": func(v *yaml.Node, p string) {
			if mode, _ = d.Text(v, p); mode != PortModeHost && mode != PortModeIngress {
				d.Errorf(v, p, "%q: want host or ingress", mode)
			}
		},
	})
	spec := target
	if published != "" {
		spec = published + ":" + spec
		if hostIP != "" {
			spec = hostIP + ":" + spec
		}
	} else if hostIP != "" {
		spec = hostIP + "::" + spec
	}
	if proto != "" {
		spec += "/" + proto
	}
	if target == "" {
		return Port{}, spec, errors.New("target (the container port) is required")
	}
	port, err := parsePort(spec)
	port.Mode = mode
	return port, spec, err
}

// checkPortSpec has nat.ParsePortSpec, which the engine uses too, confirm
// the port. That expands every port of a range, so the ports of all
// ranges together are counted against a limit first.
func (d *decoder) checkPortSpec(p Port) error {
	n := max(width(p.ContainerPort), width(p.HostPort))
	if n > d.portsLeft {
		return fmt.Errorf("the topology publishes more than %d ports in all, the limit", maxPorts)
	}
	d.portsLeft -= n
	_, err := nat.ParsePortSpec(p.Spec())
	return err
}

// parsePort splits a port spec, keeping a range as one Port, and
// normalises it: host IP 127.0.0.1 unless given, protocol tcp unless
// given, "8080-8080" as "8080".
func parsePort(spec string) (Port, error) {
	p := Port{HostIP: "127.0.0.1", Protocol: "tcp"}
	rest, proto, hasProto := strings.Cut(spec, "/")
	if hasProto {
		p.Protocol = strings.ToLower(proto)
		if p.Protocol != "tcp" && p.Protocol != "udp" && p.Protocol != "sctp" {
			return p, fmt.Errorf("protocol %q: want tcp, udp or sctp", proto)
		}
	}
	ip, host, container, err := splitPort(rest)
	if err != nil {
		return p, err
	}
	if ip != "" {
		parsed := net.ParseIP(ip)
		if parsed == nil {
			return p, fmt.Errorf("host IP %q is not an IP address", ip)
		}
		p.HostIP, p.HostIPSet = parsed.String(), true
	}
	if p.ContainerPort, err = portRange(container); err != nil {
		return p, err
	}
	if host != "" {
		if p.HostPort, err = portRange(host); err != nil {
			return p, err
		}
		// A host range may serve one container port (the Engine picks a
		// free one of it), else the two ranges map one to one.
		if w := width(p.ContainerPort); w > 1 && w != width(p.HostPort) {
			return p, fmt.Errorf("host ports %s and container ports %s are ranges of different sizes", host, container)
		}
	}
	return p, nil
}

// splitPort splits [ip:][host:]container; an IPv6 address goes in
// brackets: [::1]:8080:80.
func splitPort(s string) (ip, host, container string, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]:")
		if end < 0 {
			return "", "", "", errors.New("want [ipv6]:host:container")
		}
		var found bool
		ip = s[1:end]
		host, container, found = strings.Cut(s[end+2:], ":")
		if !found || strings.Contains(container, ":") {
			return "", "", "", errors.New("want [ipv6]:host:container")
		}
		return ip, host, container, nil
	}
	parts := strings.Split(s, ":")
	switch len(parts) {
	case 1:
		return "", "", parts[0], nil
	case 2:
		return "", parts[0], parts[1], nil
	case 3:
		return parts[0], parts[1], parts[2], nil
	}
	return "", "", "", errors.New("want [ip:][host:]container[/proto] (an IPv6 address goes in brackets)")
}

// portRange checks "8080" or "8080-8090" and returns it normalised.
func portRange(s string) (string, error) {
	lo, hi, err := nat.ParsePortRange(s)
	if err != nil || lo < 1 || hi > 65535 || strings.ContainsAny(s, "+ ") {
		return "", fmt.Errorf("%q is not a port or range from 1 to 65535", s)
	}
	if lo == hi {
		return strconv.FormatUint(lo, 10), nil
	}
	return strconv.FormatUint(lo, 10) + "-" + strconv.FormatUint(hi, 10), nil
}

// width is the number of ports in a normalised range; 0 for "".
func width(r string) int {
	if r == "" {
		return 0
	}
	lo, hi, _ := nat.ParsePortRange(r)
	return int(hi-lo) + 1
}

// mounts reads volume:target[:ro|rw] and ./dir:target[:ro|rw]. A source
// that starts with . or / is a bind mount, made absolute against the
// topology file's directory; anything else names a declared volume.
func (d *decoder) mounts(n *yaml.Node, p, service string) []Mount {
	var out []Mount
	targets := map[string]string{}
	for _, s := range d.List(n, p, d.Str) {
		m, err := parseMount(s.Val, d.dir)
		if err != nil {
			d.Errorf(s.Node, s.Path, "%q: %v", s.Val, err)
			continue
		}
		if first, dup := targets[m.Target]; dup {
			d.Errorf(s.Node, s.Path, "%q: %s is already mounted by %s", s.Val, m.Target, first)
			continue
		}
		targets[m.Target] = s.Path
		if m.Type == "volume" {
			d.refs = append(d.refs, ref{line: s.Node.Line, path: s.Path, from: service, volume: true, target: m.Source})
		}
		out = append(out, m)
	}
	return out
}

func parseMount(spec, dir string) (Mount, error) {
	var m Mount
	parts := strings.Split(spec, ":")
	switch {
	case len(parts) == 3 && (parts[2] == "ro" || parts[2] == "rw"):
		m.ReadOnly = parts[2] == "ro"
	case len(parts) == 3:
		return m, fmt.Errorf("mode %q: want ro or rw", parts[2])
	case len(parts) != 2:
		return m, errors.New("want source:target[:ro] (anonymous volumes are not supported: declare and name one)")
	}
	m.Source, m.Target = parts[0], parts[1]
	switch {
	case m.Source == "":
		return m, errors.New("empty source: want a volume name or a ./relative or /absolute host path")
	case !path.IsAbs(m.Target):
		return m, fmt.Errorf("the target %q must be an absolute path", m.Target)
	case path.Clean(m.Target) == "/":
		return m, errors.New("the target cannot be /")
	}
	m.Target = path.Clean(m.Target)
	m.Type = "volume"
	if strings.HasPrefix(m.Source, ".") || strings.HasPrefix(m.Source, "/") {
		m.Type = "bind"
		if !filepath.IsAbs(m.Source) {
			m.Source = filepath.Join(dir, m.Source)
		}
		m.Source = filepath.Clean(m.Source)
	}
	return m, nil
}
