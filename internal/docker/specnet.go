// A replica's networking as compose maps it: network_mode, one endpoint per network with its aliases, addresses and links, and the MAC address where the API version puts it.

package docker

import (
	"fmt"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/versions"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

// apiEndpointsAtCreate is the API version from which ContainerCreate takes
// every endpoint (and a MAC address per endpoint); before it, one endpoint
// at create and NetworkConnect for the others, as compose does.
const apiEndpointsAtCreate = "1.44"

// endpoint is one more network a replica joins after its first.
type endpoint struct {
	Network  string
	Settings *network.EndpointSettings
}

// serviceModePrefix is network_mode's form for another service's namespace.
const serviceModePrefix = "service:"

// networkModeService is x for network_mode service:x, else "".
func networkModeService(svc *topology.Service) string {
	x, _ := strings.CutPrefix(svc.NetworkMode, serviceModePrefix)
	if x == svc.NetworkMode {
		return ""
	}
	return x
}

// networking sets the replica's network mode (service:x stays symbolic
// until create, see createReplica) and returns the endpoint it is created
// with and the ones to connect before it starts. A network_mode service
// has no endpoint of its own.
func networking(t *topology.Topology, svc *topology.Service, apiVersion string, cfg *container.Config, host *container.HostConfig) (*network.NetworkingConfig, []endpoint) {
	attached := t.NetworksOf(svc)
	if len(attached) == 0 {
		host.NetworkMode = container.NetworkMode(svc.NetworkMode)
		return nil, nil
	}
	var eps []endpoint
	for _, a := range attached {
		eps = append(eps, endpoint{Network: a.Name, Settings: endpointSettings(a, linksOn(t, svc, a.Name))})
	}
	host.NetworkMode = container.NetworkMode(eps[0].Network)
	host.Links = allLinks(eps)
	if svc.MacAddress != "" {
		if versions.LessThan(apiVersion, apiEndpointsAtCreate) {
			cfg.MacAddress = svc.MacAddress //nolint:staticcheck // the only place API 1.41 takes it
		} else {
			eps[0].Settings.MacAddress = svc.MacAddress
		}
	}
	net := &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{eps[0].Network: eps[0].Settings}}
	return net, eps[1:]
}

// endpointSettings are one network's aliases (the service name first),
// static addresses and links.
func endpointSettings(a topology.AttachedNetwork, links []string) *network.EndpointSettings {
	ep := &network.EndpointSettings{Aliases: slices.Clone(a.Aliases), Links: links}
	if a.IPv4 != "" || a.IPv6 != "" {
		ep.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: a.IPv4, IPv6Address: a.IPv6}
	}
	return ep
}

// linksOn are the service's links ("service" or "service:alias") as the
// engine takes them, "<container>:<alias>" for every replica of the linked
// service, on a network the linked service joins too.
func linksOn(t *topology.Topology, svc *topology.Service, netName string) []string {
	var out []string
	for _, l := range svc.Links {
		name, alias, ok := strings.Cut(l, ":")
		if !ok {
			alias = name
		}
		target := t.Services[name]
		if target == nil || !slices.ContainsFunc(t.NetworksOf(target), func(a topology.AttachedNetwork) bool { return a.Name == netName }) {
			continue
		}
		for n := 1; n <= target.Replicas; n++ {
			out = append(out, engine.ReplicaName(t.Name, target, n)+":"+alias)
		}
	}
	return out
}

// allLinks is HostConfig.Links: every endpoint's links, once (compose sets
// both; the engine resolves them per network).
func allLinks(eps []endpoint) []string {
	var out []string
	for _, ep := range eps {
		for _, l := range ep.Settings.Links {
			if !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	return out
}

// createAfter are the services whose containers must exist before this
// one's is created: network_mode service:x needs x's container id, and a
// link names the linked containers.
func createAfter(svc *topology.Service) []string {
	var out []string
	if x := networkModeService(svc); x != "" {
		out = append(out, x)
	}
	for _, l := range svc.Links {
		name, _, _ := strings.Cut(l, ":")
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// networkModeRefused is why a network fault (or disconnect) cannot target
// the service, "" when it can: a service with a network_mode has no
// project network of its own.
func networkModeRefused(svc *topology.Service, mode string) error {
	switch {
	case svc == nil || svc.NetworkMode == "":
		return nil
	case svc.NetworkMode == "none":
		return fmt.Errorf("service %s has network_mode none: it has no network to break with --mode %s; break it with kill, stop, pause, remove or restart", svc.Name, mode)
	case svc.NetworkMode == "bridge":
		return fmt.Errorf("service %s has network_mode bridge: it is on the engine's default bridge, not a project network, so --mode %s is refused on it; break it with kill, stop, pause, remove or restart", svc.Name, mode)
	case svc.NetworkMode == "host":
		return fmt.Errorf("service %s has network_mode host: --mode %s would change this machine's own network; chainctl refuses it, break it with kill, stop, pause, remove or restart", svc.Name, mode)
	case networkModeService(svc) != "":
		x := networkModeService(svc)
		return fmt.Errorf("service %s has network_mode %s: it shares %s's network namespace, so --mode %s would break %s too; break %s instead", svc.Name, svc.NetworkMode, x, mode, x, x)
	}
	return fmt.Errorf("service %s has network_mode %s: --mode %s is refused on it", svc.Name, svc.NetworkMode, mode)
}
