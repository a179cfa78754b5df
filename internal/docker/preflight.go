// Preflight: before anything is created, names and host ports nobody else holds.

package docker

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

// hostPort is one fixed host port a topology publishes.
type hostPort struct {
	service string
	ip      string
	port    int
	proto   string
}

func fixedHostPorts(t *topology.Topology) []hostPort {
	var out []hostPort
	for _, name := range t.ServiceNames() {
		for _, p := range t.Services[name].Ports {
			maps, err := nat.ParsePortSpec(p.Spec())
			if err != nil {
				continue // reported by buildSpec
			}
			for _, m := range maps {
				n, err := strconv.Atoi(m.Binding.HostPort)
				if err != nil || n == 0 {
					continue // the engine picks the port
				}
				out = append(out, hostPort{service: name, ip: m.Binding.HostIP, port: n, proto: m.Port.Proto()})
			}
		}
	}
	return out
}

// portClashes names, for every fixed host port, the container or process
// that already holds it. Ports held by this project's own replicas of the
// same service are fine: up keeps or recreates them.
func portClashes(t *topology.Topology, all []container.Summary, daemonHost string) []error {
	var errs []error
	for _, hp := range fixedHostPorts(t) {
		if c, ok := holder(all, hp); ok {
			if engine.OwnedBy(c.Labels, t.Name) && c.Labels[engine.LabelService] == hp.service {
				continue
			}
			errs = append(errs, fmt.Errorf("service %s: host port %s is already in use by container %s%s",
				hp.service, hp.addr(), engine.NameOf(c), projectNote(c)))
			continue
		}
		if engine.LocalDaemon(daemonHost) {
			if err := probePort(hp); err != nil {
				errs = append(errs, fmt.Errorf("service %s: host port %s is already in use on this machine: %v", hp.service, hp.addr(), err))
			}
		}
	}
	return errs
}

func (hp hostPort) addr() string {
	return net.JoinHostPort(hp.ip, strconv.Itoa(hp.port)) + "/" + hp.proto
}

func projectNote(c container.Summary) string {
	if p := c.Labels[engine.LabelProject]; p != "" {
		return " (chainctl project " + p + ")"
	}
	return ""
}

// holder finds a running container that publishes the host port.
func holder(all []container.Summary, hp hostPort) (container.Summary, bool) {
	for _, c := range all {
		if c.State != container.StateRunning && c.State != container.StatePaused {
			continue
		}
		for _, p := range c.Ports {
			if int(p.PublicPort) == hp.port && p.Type == hp.proto && ipsOverlap(p.IP, hp.ip) {
				return c, true
			}
		}
	}
	return container.Summary{}, false
}

func ipsOverlap(a, b string) bool {
	wild := func(ip string) bool { return ip == "" || ip == "0.0.0.0" || ip == "::" }
	return a == b || wild(a) || wild(b)
}

// probePort tries to bind the port the way docker-proxy will.
func probePort(hp hostPort) error {
	ip := hp.ip
	if ip == "" {
		ip = "0.0.0.0"
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(hp.port))
	switch hp.proto {
	case "udp":
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return unwrapOp(err)
		}
		return pc.Close()
	case "tcp":
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return unwrapOp(err)
		}
		return l.Close()
	}
	return nil
}

// unwrapOp keeps only "address in use": an address this machine cannot
// bind (another host's IP) is the engine's to judge, not a clash.
func unwrapOp(err error) error {
	if !errors.Is(err, syscall.EADDRINUSE) {
		return nil
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// nameClashes finds containers that have one of our names but are not ours.
func nameClashes(t *topology.Topology, all []container.Summary) []error {
	byName := map[string]container.Summary{}
	for _, c := range all {
		byName[engine.NameOf(c)] = c
	}
	var errs []error
	for _, name := range t.ServiceNames() {
		svc := t.Services[name]
		for n := 1; n <= svc.Replicas; n++ {
			cname := engine.ReplicaName(t.Name, svc, n)
			if c, ok := byName[cname]; ok && !engine.OwnedBy(c.Labels, t.Name) {
				errs = append(errs, fmt.Errorf("service %s: a container named %s already exists and does not belong to project %s; rename or remove it (chainctl never touches it)", name, cname, t.Name))
			}
		}
	}
	return errs
}
