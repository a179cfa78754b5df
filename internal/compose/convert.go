// Mapping a compose-go project onto the topology: the project, its networks, volumes, secrets and configs.

package compose

import (
	"maps"
	"net"
	"slices"

	"github.com/chainctl/chainctl/internal/topology"
	"github.com/compose-spec/compose-go/v2/types"
)

// topology maps the project; the problems are recorded in p.
func (p *problems) topology(pr *types.Project) *topology.Topology {
	t := &topology.Topology{
		Name:     pr.Name,
		Format:   topology.FormatCompose,
		File:     p.src.files[0].name,
		Network:  topology.Network{Name: pr.Name + "_default"},
		Services: map[string]*topology.Service{},
	}
	for _, f := range p.src.files[:p.src.main] {
		t.Files = append(t.Files, f.name)
	}
	if len(pr.Jobs) > 0 || len(pr.DisabledJobs) > 0 {
		p.at(keys("jobs"), "not supported by chainctl: it runs services only")
	}
	if len(pr.Models) > 0 {
		p.at(keys("models"), "not supported by chainctl: models are a Docker Desktop feature")
	}
	for _, name := range slices.Sorted(maps.Keys(pr.Networks)) {
		n := p.network(name, pr.Networks[name])
		if name == topology.DefaultNetworkKey {
			t.Network = n
			continue
		}
		if t.Networks == nil {
			t.Networks = map[string]topology.Network{}
		}
		t.Networks[name] = n
	}
	for name, v := range pr.Volumes {
		if t.Volumes == nil {
			t.Volumes = map[string]topology.Volume{}
		}
		p.unmapped(v, "top.volume", keys("volumes", name))
		t.Volumes[name] = topology.Volume{Name: v.Name, Driver: v.Driver, Labels: p.labels(v.Labels, keys("volumes", name, "labels")),
			External: bool(v.External), DriverOpts: nonEmpty(v.DriverOpts)}
	}
	t.Secrets = p.files("secrets", secretFiles(pr.Secrets), pr.Environment)
	t.Configs = p.files("configs", configFiles(pr.Configs), pr.Environment)
	for _, name := range slices.Sorted(maps.Keys(pr.Services)) {
		t.Services[name] = p.service(pr, pr.Services[name])
	}
	p.validate(t)
	return t
}

// network maps a top-level network; its engine name is compose's (name:,
// else <project>_<key>, or the key of an external one).
func (p *problems) network(name string, n types.NetworkConfig) topology.Network {
	at := keys("networks", name)
	p.unmapped(n, "top.network", at)
	p.unmapped(n.Ipam, "ipam", append(at, key("ipam")))
	out := topology.Network{
		Name: n.Name, Internal: n.Internal, External: bool(n.External), Driver: n.Driver,
		DriverOpts: nonEmpty(n.DriverOpts), Labels: p.labels(n.Labels, append(at, key("labels"))),
		Attachable: n.Attachable, EnableIPv6: n.EnableIPv6 != nil && *n.EnableIPv6,
	}
	if n.EnableIPv4 != nil && !*n.EnableIPv4 {
		p.at(append(at, key("enable_ipv4")), "not supported by chainctl: its networks have IPv4")
	}
	if d := n.Ipam.Driver; d != "" && d != "default" {
		p.at(append(at, key("ipam"), key("driver")), "not supported by chainctl: its networks use the default IPAM driver")
	}
	for i, pool := range n.Ipam.Config {
		pat := append(at, key("ipam"), key("config"), index(i))
		if i > 0 {
			p.at(pat, "not supported by chainctl: its networks take one subnet")
			continue
		}
		p.unmapped(pool, "ipam.config", pat)
		out.Subnet, out.Gateway = pool.Subnet, pool.Gateway
		p.checkSubnet(out, pat)
	}
	return out
}

// checkSubnet checks a subnet and gateway as chainctl's own networks are.
func (p *problems) checkSubnet(n topology.Network, at []step) {
	if n.Subnet != "" {
		ip, cidr, err := net.ParseCIDR(n.Subnet)
		switch {
		case err != nil:
			p.at(append(at, key("subnet")), "%q: not a CIDR subnet like 172.30.0.0/24", n.Subnet)
		case !ip.Equal(cidr.IP):
			p.at(append(at, key("subnet")), "%q has host bits set: did you mean %s?", n.Subnet, cidr)
		case n.Gateway != "" && !cidr.Contains(net.ParseIP(n.Gateway)):
			p.at(append(at, key("gateway")), "%s is not inside subnet %s", n.Gateway, n.Subnet)
		}
	}
	if n.Gateway != "" && net.ParseIP(n.Gateway) == nil {
		p.at(append(at, key("gateway")), "%q: not an IP address", n.Gateway)
	}
}

// nonEmpty is nil for an empty map.
func nonEmpty[M ~map[string]string](m M) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return map[string]string(m)
}
