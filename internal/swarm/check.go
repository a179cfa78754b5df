// What a swarm cannot run as the topology says, and what it runs differently, found before anything is created.

package swarm

import (
	"fmt"
	"os"
	"strings"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
	"github.com/docker/docker/api/types/versions"
)

// checkSwarm finds what a swarm cannot run as the topology says (errors)
// and what it runs differently (warnings), before anything is created.
func checkSwarm(t *topology.Topology, opts engine.UpOptions, ipvs bool, apiVersion string) (errs []error, warnings []string) {
	var looseIPs, secOpts []string
	for _, path := range t.ComposeOnly() {
		errs = append(errs, fmt.Errorf("%s: the swarm backend does not run this yet (use --engine docker)", path))
	}
	for _, name := range t.ServiceNames() {
		svc := t.Services[name]
		if svc.Privileged {
			errs = append(errs, fmt.Errorf("services.%s.privileged: swarm services cannot run privileged (use --engine docker)", name))
		}
		mode := endpointMode(svc, opts)
		for _, p := range svc.Ports {
			pm := publishMode(p, opts)
			if mode == topology.EndpointDNSRR && pm == topology.PortModeIngress {
				errs = append(errs, fmt.Errorf("services.%s: endpoint_mode dnsrr cannot publish %s through the ingress routing mesh: publish it in host mode (mode: host, or --publish-mode host)", name, p.ContainerPort))
			}
			if pm == topology.PortModeIngress && !ipvs {
				warnings = append(warnings, fmt.Sprintf("%s publishes %s through the ingress routing mesh, but this kernel has no IPVS: nothing will answer on it; use --publish-mode host", name, p.ContainerPort))
			}
			if p.HostIP != "" && p.HostIP != "0.0.0.0" && p.HostIP != "::" {
				looseIPs = append(looseIPs, name+" "+p.ContainerPort)
			}
		}
		if mode == topology.EndpointVIP && !ipvs && len(t.Callers(name)) > 0 {
			warnings = append(warnings, fmt.Sprintf("%s has a virtual IP, but this kernel has no IPVS: its callers will get \"no route to host\"; use endpoint_mode: dnsrr or --endpoint-mode dnsrr", name))
		}
		if len(svc.SecurityOpt) > 0 {
			secOpts = append(secOpts, name)
		}
	}
	if len(secOpts) > 0 && !versions.GreaterThanOrEqualTo(apiVersion, "1.46") {
		warnings = append(warnings, "security_opt of "+strings.Join(secOpts, ", ")+" is not applied: swarm services take no-new-privileges from API 1.46 on, this engine speaks "+apiVersion)
	}
	if len(looseIPs) > 0 {
		warnings = append(warnings, "a swarm publishes on every address of its nodes: the host IP of "+strings.Join(looseIPs, ", ")+" is not applied")
	}
	return errs, warnings
}

// hasIPVS reports whether the kernel under a local engine can balance
// virtual IPs; a remote engine is given the benefit of the doubt.
func hasIPVS(daemonHost string) bool {
	if !engine.LocalDaemon(daemonHost) {
		return true
	}
	_, err := os.Stat("/proc/net/ip_vs")
	return err == nil
}
