package topology

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-connections/nat"
	"github.com/docker/go-units"
	"gopkg.in/yaml.v3"
)

// topology decodes the root mapping.
func (d *decoder) topology(root *yaml.Node) *Topology {
	t := &Topology{Volumes: map[string]Volume{}, Services: map[string]*Service{}}
	var nameNode *yaml.Node
	sawServices := false
	d.fields(root, "", map[string]func(*yaml.Node, string){
		"name": func(v *yaml.Node, p string) {
			nameNode = v
			t.Name, _ = d.str(v, p)
		},
		"network": func(v *yaml.Node, p string) {
			d.network(v, p, &t.Network)
		},
		"volumes": func(v *yaml.Node, p string) {
			if v.Tag == "!!null" {
				return
			}
			d.entries(v, p, func(k, v *yaml.Node, p string) { t.Volumes[k.Value] = d.volume(k, v, p) })
		},
		"services": func(v *yaml.Node, p string) {
			sawServices = true
			if v.Tag == "!!null" || v.Kind == yaml.MappingNode && len(v.Content) == 0 {
				d.errorf(v, p, "no services: a topology needs at least one")
				return
			}
			if v.Kind == yaml.MappingNode && len(v.Content)/2 > MaxServices {
				d.errorf(v, p, "%d services; the limit is %d", len(v.Content)/2, MaxServices)
				return
			}
			d.entries(v, p, func(k, v *yaml.Node, p string) { t.Services[k.Value] = d.service(k, v, p) })
		},
	})
	if !sawServices && resolve(root).Kind == yaml.MappingNode {
		d.errorf(root, "services", "missing: a topology needs at least one service")
	}
	if t.Name == "" {
		base := filepath.Base(d.file)
		t.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	if !nameRE.MatchString(t.Name) || len(t.Name) > 63 {
		d.errorf(nameNode, "name", "invalid project name %q: use lower-case letters, digits, - and _, starting with a letter or digit (at most 63)", t.Name)
	}
	if t.Network.Name == "" {
		t.Network.Name = t.Name + "-net"
	}
	for key, v := range t.Volumes {
		v.Name = t.Name + "-" + key
		t.Volumes[key] = v
	}
	return t
}

func (d *decoder) network(n *yaml.Node, path string, out *Network) {
	var gatewayNode *yaml.Node
	d.fields(n, path, map[string]func(*yaml.Node, string){
		"name": func(v *yaml.Node, p string) { out.Name, _ = d.str(v, p) },
		"subnet": func(v *yaml.Node, p string) {
			s, ok := d.str(v, p)
			if _, _, err := net.ParseCIDR(s); ok && err != nil {
				d.errorf(v, p, "%q: not a CIDR subnet like 172.30.0.0/24", s)
			}
			out.Subnet = s
		},
		"gateway": func(v *yaml.Node, p string) {
			gatewayNode = v
			s, ok := d.str(v, p)
			if ok && net.ParseIP(s) == nil {
				d.errorf(v, p, "%q: not an IP address", s)
			}
			out.Gateway = s
		},
		"internal": func(v *yaml.Node, p string) { out.Internal = d.boolean(v, p) },
	})
	if gatewayNode != nil && out.Subnet != "" {
		_, cidr, err1 := net.ParseCIDR(out.Subnet)
		if ip := net.ParseIP(out.Gateway); err1 == nil && ip != nil && !cidr.Contains(ip) {
			d.errorf(gatewayNode, join(path, "gateway"), "%s is not inside subnet %s", out.Gateway, out.Subnet)
		}
	}
}

func (d *decoder) volume(k, v *yaml.Node, path string) Volume {
	var vol Volume
	if !nameRE.MatchString(k.Value) {
		d.errorf(k, path, "invalid volume name %q", k.Value)
	}
	if v.Tag == "!!null" {
		return vol
	}
	d.fields(v, path, map[string]func(*yaml.Node, string){
		"driver": func(v *yaml.Node, p string) { vol.Driver, _ = d.str(v, p) },
		"labels": func(v *yaml.Node, p string) { vol.Labels = d.keyValues(v, p) },
	})
	return vol
}

// service decodes one service; references to other services and volumes
// are checked later, when all are known.
func (d *decoder) service(k, n *yaml.Node, path string) *Service {
	s := &Service{Name: k.Value, Replicas: 1}
	if !nameRE.MatchString(k.Value) {
		d.errorf(k, path, "invalid service name %q: use lower-case letters, digits, - and _", k.Value)
	}
	sawImage := false
	d.fields(n, path, map[string]func(*yaml.Node, string){
		"image": func(v *yaml.Node, p string) {
			sawImage = true
			s.Image, _ = d.str(v, p)
			if s.Image == "" {
				d.errorf(v, p, "empty image")
			}
		},
		"command":     func(v *yaml.Node, p string) { s.Command = d.stringOrList(v, p) },
		"entrypoint":  func(v *yaml.Node, p string) { s.Entrypoint = d.stringOrList(v, p) },
		"environment": func(v *yaml.Node, p string) { s.Environment = d.keyValues(v, p) },
		"labels": func(v *yaml.Node, p string) {
			s.Labels = d.keyValues(v, p)
			for key := range s.Labels {
				if strings.HasPrefix(key, "io.chainctl.") {
					d.errorf(v, p, "label %q: the io.chainctl. prefix is reserved for chainctl", key)
				}
			}
		},
		"ports":   func(v *yaml.Node, p string) { s.Ports = d.ports(v, p) },
		"volumes": func(v *yaml.Node, p string) { s.Volumes = d.mounts(v, p) },
		"calls":   func(v *yaml.Node, p string) { s.Calls = d.calls(v, p) },
		"depends_on": func(v *yaml.Node, p string) {
			s.DependsOn = d.dependsOn(v, p)
		},
		"replicas": func(v *yaml.Node, p string) {
			s.Replicas = d.integer(v, p)
			if s.Replicas < 1 {
				d.errorf(v, p, "replicas must be at least 1, got %d", s.Replicas)
			}
		},
		"healthcheck": func(v *yaml.Node, p string) { s.Healthcheck = d.healthcheck(v, p) },
		"restart": func(v *yaml.Node, p string) {
			s.Restart, _ = d.str(v, p)
			if !validRestart(s.Restart) {
				d.errorf(v, p, "%q: want no, on-failure[:N], always or unless-stopped", s.Restart)
			}
		},
		"user":         func(v *yaml.Node, p string) { s.User, _ = d.str(v, p) },
		"read_only":    func(v *yaml.Node, p string) { s.ReadOnly = d.boolean(v, p) },
		"cap_add":      func(v *yaml.Node, p string) { s.CapAdd = d.strList(v, p) },
		"cap_drop":     func(v *yaml.Node, p string) { s.CapDrop = d.strList(v, p) },
		"security_opt": func(v *yaml.Node, p string) { s.SecurityOpt = d.strList(v, p) },
		"privileged":   func(v *yaml.Node, p string) { s.Privileged = d.boolean(v, p) },
		"resources":    func(v *yaml.Node, p string) { s.Resources = d.resources(v, p) },
		"stop_grace_period": func(v *yaml.Node, p string) {
			dur := Duration(d.duration(v, p))
			s.StopGracePeriod = &dur
		},
	})
	if !sawImage && resolve(n).Kind == yaml.MappingNode {
		d.errorf(k, join(path, "image"), "missing: every service needs an image")
	}
	return s
}

func validRestart(s string) bool {
	name, count, hasCount := strings.Cut(s, ":")
	switch name {
	case "no", "always", "unless-stopped":
		return !hasCount
	case "on-failure":
		if !hasCount {
			return true
		}
		n, err := strconv.Atoi(count)
		return err == nil && n >= 0
	}
	return false
}

func (d *decoder) duration(n *yaml.Node, path string) time.Duration {
	s, ok := d.str(n, path)
	if !ok {
		return 0
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		d.errorf(n, path, "%q: invalid duration (want e.g. 10s, 1m30s)", s)
	}
	return v
}

func (d *decoder) resources(n *yaml.Node, path string) Resources {
	var r Resources
	d.fields(n, path, map[string]func(*yaml.Node, string){
		"cpus": func(v *yaml.Node, p string) {
			if v.Kind != yaml.ScalarNode || v.Decode(&r.CPUs) != nil || r.CPUs <= 0 || r.CPUs > 1024 {
				d.errorf(v, p, "%q: want a number of CPUs above 0, like 0.5", v.Value)
			}
		},
		"memory": func(v *yaml.Node, p string) {
			s, ok := d.str(v, p)
			if !ok {
				return
			}
			m, err := units.RAMInBytes(s)
			switch {
			case err != nil:
				d.errorf(v, p, "%q: invalid memory size (want e.g. 64m, 512MiB, 1g)", s)
			case m < 6<<20:
				d.errorf(v, p, "%q: the engine needs at least 6MiB", s)
			}
			r.Memory = m
		},
	})
	return r
}

func (d *decoder) healthcheck(n *yaml.Node, path string) *Healthcheck {
	h := &Healthcheck{}
	d.fields(n, path, map[string]func(*yaml.Node, string){
		"test": func(v *yaml.Node, p string) {
			if v.Kind == yaml.ScalarNode {
				s, _ := d.str(v, p)
				h.Test = []string{"CMD-SHELL", s}
				return
			}
			h.Test = d.strList(v, p)
			if len(h.Test) == 0 || (h.Test[0] != "CMD" && h.Test[0] != "CMD-SHELL" && h.Test[0] != "NONE") {
				d.errorf(v, p, "a test list starts with CMD, CMD-SHELL or NONE")
			}
		},
		"interval":     func(v *yaml.Node, p string) { h.Interval = Duration(d.duration(v, p)) },
		"timeout":      func(v *yaml.Node, p string) { h.Timeout = Duration(d.duration(v, p)) },
		"start_period": func(v *yaml.Node, p string) { h.StartPeriod = Duration(d.duration(v, p)) },
		"retries": func(v *yaml.Node, p string) {
			h.Retries = d.integer(v, p)
			if h.Retries < 0 {
				d.errorf(v, p, "retries must not be negative")
			}
		},
		"disable": func(v *yaml.Node, p string) { h.Disable = d.boolean(v, p) },
	})
	return h
}

func (d *decoder) calls(n *yaml.Node, path string) []Call {
	var out []Call
	for i, s := range d.listOfStrings(n, path) {
		c := Call{Service: s.val, Port: DefaultCallPort}
		if svc, port, found := strings.Cut(s.val, ":"); found {
			n, err := strconv.Atoi(port)
			if err != nil || n < 1 || n > 65535 {
				d.errorf(s.node, index(path, i), "%q: want service or service:port", s.val)
				continue
			}
			c = Call{Service: svc, Port: n}
		}
		d.refs = append(d.refs, ref{line: s.node.Line, path: index(path, i), kind: "service", target: c.Service})
		out = append(out, c)
	}
	return out
}

func (d *decoder) dependsOn(n *yaml.Node, path string) map[string]Condition {
	out := map[string]Condition{}
	if n.Kind == yaml.SequenceNode {
		for i, s := range d.listOfStrings(n, path) {
			out[s.val] = ServiceStarted
			d.refs = append(d.refs, ref{line: s.node.Line, path: index(path, i), kind: "service", target: s.val})
		}
		return out
	}
	d.entries(n, path, func(k, v *yaml.Node, p string) {
		cond := ServiceStarted
		d.fields(v, p, map[string]func(*yaml.Node, string){
			"condition": func(v *yaml.Node, p string) {
				s, _ := d.str(v, p)
				cond = Condition(s)
				if cond != ServiceStarted && cond != ServiceHealthy {
					d.errorf(v, p, "%q: want service_started or service_healthy", s)
				}
			},
		})
		out[k.Value] = cond
		d.refs = append(d.refs, ref{line: k.Line, path: p, kind: "service", target: k.Value})
	})
	return out
}

// located is a string with the node it came from, for later messages.
type located struct {
	val  string
	node *yaml.Node
}

func (d *decoder) listOfStrings(n *yaml.Node, path string) []located {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "want a list, got %s", kindName(n))
		return nil
	}
	var out []located
	for i, c := range n.Content {
		c = resolve(c)
		if s, ok := d.str(c, index(path, i)); ok {
			out = append(out, located{s, c})
		}
	}
	return out
}

// ports reads the short syntax [ip:][host:]container[/proto].
func (d *decoder) ports(n *yaml.Node, path string) []Port {
	var out []Port
	for i, s := range d.listOfStrings(n, path) {
		p, err := parsePort(s.val)
		if err != nil {
			d.errorf(s.node, index(path, i), "%q: invalid port: %v", s.val, err)
			continue
		}
		d.published = append(d.published, published{port: p, line: s.node.Line, path: index(path, i)})
		out = append(out, p)
	}
	return out
}

func parsePort(spec string) (Port, error) {
	p := Port{HostIP: "127.0.0.1", Protocol: "tcp"}
	rest := spec
	if i := strings.LastIndex(rest, "/"); i >= 0 {
		p.Protocol, rest = rest[i+1:], rest[:i]
		if p.Protocol != "tcp" && p.Protocol != "udp" && p.Protocol != "sctp" {
			return p, fmt.Errorf("protocol %q: want tcp, udp or sctp", p.Protocol)
		}
	}
	if strings.HasPrefix(rest, "[") { // [::1]:8080:80
		end := strings.Index(rest, "]:")
		if end < 0 {
			return p, fmt.Errorf("unterminated IPv6 address")
		}
		p.HostIP, rest = rest[1:end], rest[end+2:]
		parts := strings.Split(rest, ":")
		if len(parts) != 2 {
			return p, fmt.Errorf("want [ip]:host:container")
		}
		p.HostPort, p.ContainerPort = parts[0], parts[1]
	} else {
		parts := strings.Split(rest, ":")
		switch len(parts) {
		case 1:
			p.ContainerPort = parts[0]
		case 2:
			p.HostPort, p.ContainerPort = parts[0], parts[1]
		case 3:
			p.HostIP, p.HostPort, p.ContainerPort = parts[0], parts[1], parts[2]
		default:
			return p, fmt.Errorf("want [ip:][host:]container[/proto]")
		}
	}
	if p.HostIP == "" {
		p.HostIP = "127.0.0.1"
	}
	if net.ParseIP(p.HostIP) == nil {
		return p, fmt.Errorf("host IP %q is not an IP address", p.HostIP)
	}
	for _, r := range []string{p.ContainerPort, p.HostPort} {
		if r == "" {
			continue
		}
		lo, hi, err := nat.ParsePortRange(r)
		if err != nil || lo < 1 || hi > 65535 {
			return p, fmt.Errorf("%q is not a port or range from 1 to 65535", r)
		}
	}
	if p.ContainerPort == "" {
		return p, fmt.Errorf("no container port")
	}
	if _, err := nat.ParsePortSpec(p.Spec()); err != nil {
		return p, err
	}
	return p, nil
}

// mounts reads volume:target[:ro] and ./dir:target[:ro].
func (d *decoder) mounts(n *yaml.Node, path string) []Mount {
	var out []Mount
	for i, s := range d.listOfStrings(n, path) {
		p := index(path, i)
		parts := strings.Split(s.val, ":")
		m := Mount{}
		switch {
		case len(parts) == 3 && (parts[2] == "ro" || parts[2] == "rw"):
			m.ReadOnly = parts[2] == "ro"
		case len(parts) == 2:
		default:
			d.errorf(s.node, p, "%q: want source:target[:ro] (anonymous volumes are not supported: name the volume)", s.val)
			continue
		}
		m.Source, m.Target = parts[0], parts[1]
		if !strings.HasPrefix(m.Target, "/") {
			d.errorf(s.node, p, "%q: the target %q must be an absolute path", s.val, m.Target)
			continue
		}
		if strings.HasPrefix(m.Source, ".") || strings.HasPrefix(m.Source, "/") {
			m.Type = "bind"
			if !filepath.IsAbs(m.Source) {
				m.Source = filepath.Join(d.dir, m.Source)
			}
		} else {
			m.Type = "volume"
		}
		if m.Type == "volume" {
			d.refs = append(d.refs, ref{line: s.node.Line, path: p, kind: "volume", target: m.Source})
		}
		out = append(out, m)
	}
	return out
}
