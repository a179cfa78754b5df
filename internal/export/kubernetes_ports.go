// Kubernetes ports: the container, ClusterIP, NodePort and host ports of a service, sorted, deduplicated, or refused by index.

package export

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/chainctl/chainctl/internal/topology"
)

// portKey orders and deduplicates ports: Kubernetes refuses two entries
// with the same port and protocol.
type portKey struct {
	port  int
	proto corev1.Protocol
}

func sortPorts(set map[portKey]bool) []portKey {
	out := make([]portKey, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].port != out[j].port {
			return out[i].port < out[j].port
		}
		return out[i].proto < out[j].proto
	})
	return out
}

// portName is unique per port and protocol and fits IANA_SVC_NAME
// (15 characters at most), which a Service with several ports needs.
func portName(k portKey) string {
	return strings.ToLower(string(k.proto)) + "-" + strconv.Itoa(k.port)
}

func protocol(p string) corev1.Protocol { return corev1.Protocol(strings.ToUpper(p)) }

// containerPorts are the ports the service serves: those its callers dial
// (other services' calls), those it publishes, and for the link image the
// port it listens on.
func containerPorts(t *topology.Topology, svc *topology.Service) ([]portKey, error) {
	set := map[portKey]bool{}
	for _, name := range t.ServiceNames() {
		for _, c := range t.Services[name].Calls {
			if c.Service == svc.Name {
				set[portKey{c.Port, corev1.ProtocolTCP}] = true
			}
		}
	}
	for _, p := range svc.Ports {
		lo, hi, err := portRange(p.ContainerPort)
		if err != nil {
			return nil, err
		}
		for port := lo; port <= hi; port++ {
			set[portKey{port, protocol(p.Protocol)}] = true
		}
	}
	if isLink(svc) {
		set[portKey{linkPort(svc), corev1.ProtocolTCP}] = true
	}
	return sortPorts(set), nil
}

func servicePorts(t *topology.Topology, svc *topology.Service) ([]corev1.ServicePort, error) {
	keys, err := containerPorts(t, svc)
	if err != nil {
		return nil, err
	}
	out := make([]corev1.ServicePort, len(keys))
	for i, k := range keys {
		out[i] = corev1.ServicePort{Name: portName(k), Protocol: k.proto, Port: int32(k.port), TargetPort: intstr.FromInt32(int32(k.port))}
	}
	return out, nil
}

// published is what a service's published ports become: ports of the
// NodePort Service for mode ingress (the default: like the swarm's routing
// mesh, every node answers), host ports of the container for mode host
// (only the node that runs the pod answers, as in a swarm).
type published struct {
	node []corev1.ServicePort
	host []corev1.ContainerPort
}

// publishedPorts maps svc.Ports, refusing what a cluster cannot honour:
// a port on an internal network, an explicit host address other than
// every address, a host-mode port without one host port per container
// port. The implicit default address, 127.0.0.1, is not refused: a
// NodePort opens on every node's addresses, as the README says.
func publishedPorts(t *topology.Topology, svc *topology.Service) (published, []error) {
	var out published
	var errs []error
	nodePort := map[portKey]int{}
	for i, p := range svc.Ports {
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("ports[%d] %q: "+format, append([]any{i, shownPort(p)}, args...)...))
		}
		host := p.Mode == topology.PortModeHost
		switch {
		case t.Network.Internal:
			fail("network.internal is true: the NetworkPolicy lets in only the project's pods, so nothing from outside would reach this port; publish nothing, or set internal: false")
		case p.HostIPSet && !anyAddress(p.HostIP) && host:
			fail("a hostPort opens the port on every address of the pod's node, not on %s (hostIP is not honoured by every network plugin); publish it without an address, or on 0.0.0.0, for the export", p.HostIP)
		case p.HostIPSet && !anyAddress(p.HostIP):
			fail("a NodePort opens the port on every node's addresses, not on %s; publish it without an address, or on 0.0.0.0, for the export", p.HostIP)
		case host:
			ports, err := hostPorts(p)
			if err != nil {
				fail("%v", err)
			}
			out.host = append(out.host, ports...)
		default:
			if err := addNodePorts(nodePort, p); err != nil {
				fail("%v", err)
			}
		}
	}
	keys := make(map[portKey]bool, len(nodePort))
	for k := range nodePort {
		keys[k] = true
	}
	for _, k := range sortPorts(keys) {
		out.node = append(out.node, corev1.ServicePort{
			Name: portName(k), Protocol: k.proto, Port: int32(k.port),
			TargetPort: intstr.FromInt32(int32(k.port)), NodePort: int32(nodePort[k]),
		})
	}
	return out, errs
}

// addNodePorts records the node port of each container port of p. A host
// port becomes the nodePort when it lies in the node port range, else the
// cluster picks one, as the engine does for "8080".
func addNodePorts(nodePort map[portKey]int, p topology.Port) error {
	lo, hi, err := portRange(p.ContainerPort)
	if err != nil {
		return err
	}
	hostLo, hostHi := 0, 0
	if p.HostPort != "" {
		if hostLo, hostHi, err = portRange(p.HostPort); err != nil {
			return err
		}
	}
	for port := lo; port <= hi; port++ {
		k := portKey{port, protocol(p.Protocol)}
		if _, dup := nodePort[k]; dup {
			continue // the same container port published twice
		}
		// A host range as wide as the container range maps one to
		// one; a wider one (replicas sharing a range) has no single
		// node port to pin.
		np := 0
		if hostLo != 0 && hostHi-hostLo == hi-lo {
			np = hostLo + port - lo
		}
		if np < minNodePort || np > maxNodePort {
			np = 0
		}
		nodePort[k] = np
	}
	return nil
}

// hostPorts maps a mode host port one to one onto the container's
// hostPorts: a hostPort is a number, which the cluster does not choose.
func hostPorts(p topology.Port) ([]corev1.ContainerPort, error) {
	if p.HostPort == "" {
		return nil, errors.New("mode host without a published port: a hostPort is a fixed number, the cluster does not choose one; publish one for the export")
	}
	lo, hi, err := portRange(p.ContainerPort)
	if err != nil {
		return nil, err
	}
	hostLo, hostHi, err := portRange(p.HostPort)
	if err != nil {
		return nil, err
	}
	if hostHi-hostLo != hi-lo {
		return nil, fmt.Errorf("mode host: host ports %s for container ports %s: a hostPort maps one port to one port; publish as many host ports as container ports for the export", p.HostPort, p.ContainerPort)
	}
	var out []corev1.ContainerPort
	for port := lo; port <= hi; port++ {
		out = append(out, corev1.ContainerPort{ContainerPort: int32(port), HostPort: int32(hostLo + port - lo), Protocol: protocol(p.Protocol)})
	}
	return out, nil
}

// withHostPorts lists the container's ports: every port of its Service,
// named as there, the host ports of mode host set on them; a container
// port published on a second host port gets an entry of its own.
func withHostPorts(ports []corev1.ServicePort, host []corev1.ContainerPort) []corev1.ContainerPort {
	var out []corev1.ContainerPort
	for _, p := range ports {
		out = append(out, corev1.ContainerPort{Name: p.Name, ContainerPort: p.Port, Protocol: p.Protocol})
	}
	for _, h := range host {
		i := slices.IndexFunc(out, func(c corev1.ContainerPort) bool {
			return c.ContainerPort == h.ContainerPort && c.Protocol == h.Protocol && c.HostPort == 0
		})
		if i < 0 {
			out = append(out, h)
			continue
		}
		out[i].HostPort = h.HostPort
	}
	return out
}

// anyAddress reports whether a host IP means every address.
func anyAddress(ip string) bool { return ip == "" || ip == "0.0.0.0" || ip == "::" }

// shownPort is the port as the topology wrote it, in the short syntax:
// the address only when it was given, the protocol only when not tcp.
func shownPort(p topology.Port) string {
	s := p.ContainerPort
	if p.HostPort != "" || p.HostIPSet {
		s = p.HostPort + ":" + s
	}
	if p.HostIPSet {
		ip := p.HostIP
		if strings.Contains(ip, ":") {
			ip = "[" + ip + "]"
		}
		s = ip + ":" + s
	}
	if p.Protocol != "tcp" {
		s += "/" + p.Protocol
	}
	return s
}
