// Decoding the model: the root mapping, the project name, the network, volumes and each service's fields.

package topology

import (
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/chainctl/chainctl/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// reservedLabelPrefix marks the labels chainctl itself puts on what it
// creates; a user label there could make chainctl adopt or delete the
// wrong container.
const reservedLabelPrefix = "io.chainctl."

// networkNameRE is the Engine's rule for network names.
var networkNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// topology decodes the root mapping and fills in the derived names.
func (d *decoder) topology(root *yaml.Node) *Topology {
	t := &Topology{Services: map[string]*Service{}}
	var nameNode *yaml.Node
	nameOK, sawServices := false, false
	d.Fields(root, "", yamlnode.Handlers{
		"name": func(v *yaml.Node, p string) {
			nameNode = v
			t.Name, nameOK = d.Str(v, p)
		},
		"network": func(v *yaml.Node, p string) { t.Network = d.network(v, p) },
		"volumes": func(v *yaml.Node, p string) {
			if !yamlnode.IsNull(v) {
				t.Volumes = d.volumes(v, p)
			}
		},
		"services": func(v *yaml.Node, p string) {
			sawServices = true
			d.services(v, p, t)
		},
	})
	if !sawServices && root.Kind == yaml.MappingNode {
		d.Errorf(root, "services", "missing: a topology needs at least one service")
	}
	d.projectName(t, nameNode, nameOK)
	if t.Network.Name == "" {
		t.Network.Name = t.Name + "-net"
	}
	for key, v := range t.Volumes {
		v.Name = t.Name + "-" + key
		t.Volumes[key] = v
	}
	return t
}

// projectName checks the name field, or derives the name from the file.
func (d *decoder) projectName(t *Topology, nameNode *yaml.Node, nameOK bool) {
	switch {
	case nameNode != nil && !nameOK:
		return // already reported
	case nameNode == nil:
		if t.Name = projectFromFile(d.File); t.Name == "" {
			d.Errorf(nil, "name", "the file name %q gives no project name: set name:", d.File)
			return
		}
	}
	if !nameRE.MatchString(t.Name) || len(t.Name) > 63 {
		d.Errorf(nameNode, "name", "invalid project name %q: use at most 63 lower-case letters, digits, - and _, starting with a letter or digit", t.Name)
	}
}

func (d *decoder) network(n *yaml.Node, path string) Network {
	var out Network
	var gatewayNode *yaml.Node
	d.Fields(n, path, yamlnode.Handlers{
		"name": func(v *yaml.Node, p string) {
			if s, ok := d.Str(v, p); ok && !networkNameRE.MatchString(s) {
				d.Errorf(v, p, "invalid network name %q: use letters, digits, _, . and -", s)
			} else {
				out.Name = s
			}
		},
		"subnet": func(v *yaml.Node, p string) {
			s, ok := d.Str(v, p)
			if !ok {
				return
			}
			ip, cidr, err := net.ParseCIDR(s)
			switch {
			case err != nil:
				d.Errorf(v, p, "%q: not a CIDR subnet like 172.30.0.0/24", s)
			case !ip.Equal(cidr.IP):
				d.Errorf(v, p, "%q has host bits set: did you mean %s?", s, cidr)
			}
			out.Subnet = s
		},
		"gateway": func(v *yaml.Node, p string) {
			gatewayNode = v
			if s, ok := d.Str(v, p); ok && net.ParseIP(s) == nil {
				d.Errorf(v, p, "%q: not an IP address", s)
			} else {
				out.Gateway = s
			}
		},
		"internal": func(v *yaml.Node, p string) { out.Internal = d.Bool(v, p) },
	})
	if out.Gateway != "" {
		p := yamlnode.Join(path, "gateway")
		_, cidr, err := net.ParseCIDR(out.Subnet)
		switch {
		case out.Subnet == "":
			d.Errorf(gatewayNode, p, "a gateway needs a subnet to be inside")
		case err == nil && !cidr.Contains(net.ParseIP(out.Gateway)):
			d.Errorf(gatewayNode, p, "%s is not inside subnet %s", out.Gateway, out.Subnet)
		}
	}
	return out
}

func (d *decoder) volumes(n *yaml.Node, path string) map[string]Volume {
	ps, ok := d.Pairs(n, path)
	if !ok || len(ps) == 0 {
		return nil
	}
	out := make(map[string]Volume, len(ps))
	for _, kv := range ps {
		key, p := kv.Key.Value, yamlnode.Join(path, kv.Key.Value)
		if !nameRE.MatchString(key) {
			d.Errorf(kv.Key, p, "invalid volume name %q: use lower-case letters, digits, - and _", key)
		}
		var vol Volume
		if !yamlnode.IsNull(kv.Val) {
			d.Fields(kv.Val, p, yamlnode.Handlers{
				"driver": func(v *yaml.Node, p string) { vol.Driver, _ = d.Str(v, p) },
				"labels": func(v *yaml.Node, p string) { vol.Labels = d.keyValues(v, p, false, checkLabel) },
			})
		}
		out[key] = vol
	}
	return out
}

func (d *decoder) services(n *yaml.Node, path string, t *Topology) {
	if yamlnode.IsNull(n) || n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		d.Errorf(n, path, "no services: a topology needs at least one")
		return
	}
	ps, ok := d.Pairs(n, path)
	if !ok {
		return
	}
	if len(ps) > MaxServices {
		d.Errorf(n, path, "%d services: the limit is %d", len(ps), MaxServices)
		return
	}
	for _, kv := range ps {
		t.Services[kv.Key.Value] = d.service(kv.Key, kv.Val, yamlnode.Join(path, kv.Key.Value))
	}
}

// service decodes one service; references to other services and volumes
// are checked later, when all are known.
func (d *decoder) service(k, n *yaml.Node, path string) *Service {
	s := &Service{Name: k.Value, Replicas: 1}
	if !nameRE.MatchString(s.Name) || len(s.Name) > 63 {
		d.Errorf(k, path, "invalid service name %q: use at most 63 lower-case letters, digits, - and _, starting with a letter or digit", s.Name)
	}
	sawImage := false
	handlers := d.serviceFields(s)
	image := handlers["image"]
	handlers["image"] = func(v *yaml.Node, p string) { sawImage = true; image(v, p) }
	d.Fields(n, path, handlers)
	if !sawImage && n.Kind == yaml.MappingNode {
		d.Errorf(k, yamlnode.Join(path, "image"), "missing: every service needs an image")
	}
	return s
}

// serviceFields returns the handler of each service field, filling s.
func (d *decoder) serviceFields(s *Service) yamlnode.Handlers {
	return yamlnode.Handlers{
		"image": func(v *yaml.Node, p string) {
			if img, ok := d.Str(v, p); ok && img == "" {
				d.Errorf(v, p, "empty image")
			} else {
				s.Image = img
			}
		},
		"command":     func(v *yaml.Node, p string) { s.Command = d.words(v, p) },
		"entrypoint":  func(v *yaml.Node, p string) { s.Entrypoint = d.words(v, p) },
		"environment": func(v *yaml.Node, p string) { s.Environment = d.keyValues(v, p, true, checkEnvName) },
		"labels":      func(v *yaml.Node, p string) { s.Labels = d.keyValues(v, p, false, checkLabel) },
		"ports":       func(v *yaml.Node, p string) { s.Ports = d.ports(v, p, s.Name) },
		"volumes":     func(v *yaml.Node, p string) { s.Volumes = d.mounts(v, p, s.Name) },
		"calls":       func(v *yaml.Node, p string) { s.Calls = d.calls(v, p, s.Name) },
		"depends_on":  func(v *yaml.Node, p string) { s.DependsOn = d.dependsOn(v, p, s.Name) },
		"replicas": func(v *yaml.Node, p string) {
			if n, ok := d.Int(v, p); ok && n < 1 {
				d.Errorf(v, p, "replicas must be at least 1, got %d", n)
			} else if ok {
				s.Replicas = n
			}
		},
		"healthcheck": func(v *yaml.Node, p string) { s.Healthcheck = d.healthcheck(v, p) },
		"restart": func(v *yaml.Node, p string) {
			if r, ok := d.Str(v, p); ok && !validRestart(r) {
				d.Errorf(v, p, "%q: want no, on-failure[:N], always or unless-stopped", r)
			} else {
				s.Restart = r
			}
		},
		"user":         func(v *yaml.Node, p string) { s.User, _ = d.Text(v, p) },
		"read_only":    func(v *yaml.Node, p string) { s.ReadOnly = d.Bool(v, p) },
		"cap_add":      func(v *yaml.Node, p string) { s.CapAdd = d.StrList(v, p) },
		"cap_drop":     func(v *yaml.Node, p string) { s.CapDrop = d.StrList(v, p) },
		"security_opt": func(v *yaml.Node, p string) { s.SecurityOpt = d.StrList(v, p) },
		"privileged":   func(v *yaml.Node, p string) { s.Privileged = d.Bool(v, p) },
		"resources":    func(v *yaml.Node, p string) { s.Resources = d.resources(v, p) },
		"endpoint_mode": func(v *yaml.Node, p string) {
			if m, ok := d.Str(v, p); ok && m != EndpointVIP && m != EndpointDNSRR {
				d.Errorf(v, p, "%q: want vip or dnsrr", m)
			} else {
				s.EndpointMode = m
			}
		},
		"stop_grace_period": func(v *yaml.Node, p string) {
			if dur, ok := d.duration(v, p); ok {
				s.StopGracePeriod = &dur
			}
		},
	}
}

func checkLabel(key string) string {
	switch {
	case key == "":
		return "empty label key"
	case strings.HasPrefix(key, reservedLabelPrefix):
		return "label " + strconv.Quote(key) + ": the " + reservedLabelPrefix + " prefix is reserved for chainctl"
	}
	return ""
}

func checkEnvName(key string) string {
	if key == "" || strings.ContainsAny(key, "=\x00") {
		return "invalid variable name " + strconv.Quote(key)
	}
	return ""
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

// calls reads service[:port] entries.
func (d *decoder) calls(n *yaml.Node, path, from string) []Call {
	var out []Call
	for _, s := range d.List(n, path, d.Text) {
		c := Call{Service: s.Val, Port: DefaultCallPort}
		if svc, port, found := strings.Cut(s.Val, ":"); found {
			n, err := strconv.Atoi(port)
			if err != nil || n < 1 || n > 65535 {
				d.Errorf(s.Node, s.Path, "%q: want service or service:port (port 1 to 65535)", s.Val)
				continue
			}
			c = Call{Service: svc, Port: n}
		}
		d.refs = append(d.refs, ref{line: s.Node.Line, path: s.Path, from: from, target: c.Service})
		out = append(out, c)
	}
	return out
}

// dependsOn reads a list of names, or compose's mapping of name to
// {condition: ...}.
func (d *decoder) dependsOn(n *yaml.Node, path, from string) map[string]Condition {
	out := map[string]Condition{}
	if n.Kind == yaml.SequenceNode {
		for _, s := range d.List(n, path, d.Text) {
			out[s.Val] = ServiceStarted
			d.refs = append(d.refs, ref{line: s.Node.Line, path: s.Path, from: from, target: s.Val})
		}
	} else if ps, ok := d.Pairs(n, path); ok {
		for _, kv := range ps {
			name, p := kv.Key.Value, yamlnode.Join(path, kv.Key.Value)
			cond := ServiceStarted
			d.Fields(kv.Val, p, yamlnode.Handlers{
				"condition": func(v *yaml.Node, p string) {
					s, ok := d.Str(v, p)
					if c := Condition(s); ok && c != ServiceStarted && c != ServiceHealthy {
						d.Errorf(v, p, "%q: want service_started or service_healthy", s)
					} else if ok {
						cond = c
					}
				},
			})
			out[name] = cond
			d.refs = append(d.refs, ref{line: kv.Key.Line, path: p, from: from, target: name})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
