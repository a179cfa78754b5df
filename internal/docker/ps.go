// PS: one row per replica, from one list call.

package docker

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/docker/docker/api/types/container"
)

// PS lists the project's containers, from one list call (and one for the
// network that records the topology, to show removed replicas).
func (b *Backend) PS(ctx context.Context, project string) ([]engine.ContainerStatus, error) {
	cs, t, err := b.snapshot(ctx, project)
	if err != nil {
		return nil, err
	}
	nets, err := b.netFaults(ctx, project)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []engine.ContainerStatus
	for _, c := range cs {
		seen[c.Labels[engine.LabelService]+"/"+c.Labels[engine.LabelReplica]] = true
		row := engine.ContainerStatus{
			Service:   c.Labels[engine.LabelService],
			Replica:   engine.ReplicaOf(c.Labels),
			Container: engine.NameOf(c),
			ID:        c.ID[:12],
			State:     c.State,
			Health:    engine.Health(c),
			Ports:     ports(c),
			Endpoints: endpoints(c),
			Fault:     engine.WithNetFaults(faultOf(t, c), nets[c.ID]),
		}
		if row.Fault == faultCompleted { // a one-shot that did its work: nothing is wrong
			row.State, row.Fault = "exited (0)", engine.FaultNone
		}
		out = append(out, row)
	}
	// Replicas the topology has but the engine does not: removed.
	for _, name := range t.ServiceNames() {
		svc := t.Services[name]
		for n := 1; n <= svc.Replicas; n++ {
			if !seen[name+"/"+strconv.Itoa(n)] {
				out = append(out, engine.ContainerStatus{Service: name, Replica: n, Container: engine.ReplicaName(project, svc, n), State: "missing", Health: "-", Ports: []string{}, Fault: engine.FaultRemoved})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].Replica < out[j].Replica
	})
	return out, nil
}

func ports(c container.Summary) []string {
	out := []string{}
	for _, p := range c.Ports {
		if p.PublicPort == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("%s->%d/%s", net.JoinHostPort(p.IP, strconv.Itoa(int(p.PublicPort))), p.PrivatePort, p.Type))
	}
	sort.Strings(out)
	return engine.Dedupe(out)
}

func endpoints(c container.Summary) []string {
	var out []string
	for _, p := range c.Ports {
		if p.PublicPort == 0 || p.Type != "tcp" || strings.Contains(p.IP, ":") {
			continue // one endpoint per port: the IPv4 binding
		}
		ip := p.IP
		if ip == "" || ip == "0.0.0.0" {
			ip = "127.0.0.1"
		}
		out = append(out, "http://"+net.JoinHostPort(ip, strconv.Itoa(int(p.PublicPort))))
	}
	sort.Strings(out)
	return engine.Dedupe(out)
}
