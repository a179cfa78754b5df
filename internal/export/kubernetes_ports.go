// Kubernetes ports: the container, ClusterIP and NodePort ports of a service, sorted and deduplicated.

package export

import (
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

// nodePorts are the published ports. A host port becomes the nodePort
// when it lies in the node port range, else the cluster picks one, as the
// engine does for "127.0.0.1::8080". The host address has no equivalent:
// a NodePort listens on every node address.
func nodePorts(svc *topology.Service) ([]corev1.ServicePort, error) {
	nodePort := map[portKey]int{}
	for _, p := range svc.Ports {
		lo, hi, err := portRange(p.ContainerPort)
		if err != nil {
			return nil, err
		}
		hostLo, hostHi := 0, 0
		if p.HostPort != "" {
			if hostLo, hostHi, err = portRange(p.HostPort); err != nil {
				return nil, err
			}
		}
		for port := lo; port <= hi; port++ {
			k := portKey{port, protocol(p.Protocol)}
			if _, dup := nodePort[k]; dup {
				continue // the same container port published on two addresses
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
	}
	keys := make(map[portKey]bool, len(nodePort))
	for k := range nodePort {
		keys[k] = true
	}
	var out []corev1.ServicePort
	for _, k := range sortPorts(keys) {
		out = append(out, corev1.ServicePort{
			Name: portName(k), Protocol: k.proto, Port: int32(k.port),
			TargetPort: intstr.FromInt32(int32(k.port)), NodePort: int32(nodePort[k]),
		})
	}
	return out, nil
}
