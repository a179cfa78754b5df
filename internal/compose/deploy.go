// Mapping deploy: replicas (and scale), resource limits and reservations, the restart policy and the endpoint mode.

package compose

import (
	"math"
	"strconv"
	"strings"

	"github.com/chainctl/chainctl/internal/topology"
	"github.com/compose-spec/compose-go/v2/types"
)

// Bounds the engine enforces, as chainctl's topologies check them.
const (
	minMemory = 6 << 20 // the engine refuses a smaller memory limit
	maxMemory = 1 << 50
	maxCPUs   = 1024
)

// deploy maps replicas, resources and the restart policy; cpus, mem_limit
// and mem_reservation at the service's level mean the same (compose-go
// has checked that both agree).
func (p *problems) deploy(s types.ServiceConfig, svc *topology.Service, at []step) {
	svc.Replicas = s.GetScale()
	if svc.Replicas == 0 { // compose-go refuses a negative count
		k := "scale"
		if s.Scale == nil {
			k = "deploy.replicas"
		}
		p.at(sub(at, keys(strings.Split(k, ".")...)...), "%d replicas: chainctl runs at least one (leave the service out with a profile instead)", svc.Replicas)
	}
	svc.Resources = topology.Resources{CPUs: float64(s.CPUS), Memory: int64(s.MemLimit)}
	if d := s.Deploy; d != nil {
		dat := sub(at, key("deploy"))
		p.unmapped(d, "deploy", dat)
		if d.Mode != "" && d.Mode != "replicated" {
			p.refuse(sub(dat, key("mode")), render(sub(dat, key("mode"))), "deploy", "mode")
		}
		switch d.EndpointMode {
		case "", topology.EndpointVIP, topology.EndpointDNSRR:
			svc.EndpointMode = d.EndpointMode
		default:
			p.at(sub(dat, key("endpoint_mode")), "%q: want vip or dnsrr", d.EndpointMode)
		}
		p.resources(d.Resources, svc, sub(dat, key("resources")))
		if rp := d.RestartPolicy; rp != nil {
			svc.Restart = p.restartPolicy(rp, sub(dat, key("restart_policy")))
		}
	}
	p.checkResources(svc, at)
}

// resources maps limits (cpus, memory, pids) and the memory reservation.
func (p *problems) resources(r types.Resources, svc *topology.Service, at []step) {
	p.unmapped(r, "resources", at)
	if l := r.Limits; l != nil {
		p.unmapped(l, "limits", sub(at, key("limits")))
		if l.NanoCPUs != 0 {
			svc.Resources.CPUs = float64(l.NanoCPUs)
		}
		if l.MemoryBytes != 0 {
			svc.Resources.Memory = int64(l.MemoryBytes)
		}
		if l.Pids != 0 {
			svc.PidsLimit = l.Pids
		}
	}
	if res := r.Reservations; res != nil {
		p.unmapped(res, "reservations", sub(at, key("reservations")))
		if res.MemoryBytes != 0 {
			svc.MemoryReservation = int64(res.MemoryBytes)
		}
	}
}

// checkResources applies the engine's bounds.
func (p *problems) checkResources(svc *topology.Service, at []step) {
	r := svc.Resources
	if c := r.CPUs; c != 0 && (math.IsNaN(c) || c < 0 || c > maxCPUs) {
		p.at(sub(at, key("deploy"), key("resources"), key("limits"), key("cpus")), "%v: want a number of CPUs above 0 and at most %d", c, maxCPUs)
	}
	for _, m := range []struct {
		v    int64
		path []step
	}{
		{r.Memory, keys("deploy", "resources", "limits", "memory")},
		{svc.MemoryReservation, keys("deploy", "resources", "reservations", "memory")},
	} {
		switch {
		case m.v == 0:
		case m.v < 0 || m.v > maxMemory:
			p.at(sub(at, m.path...), "%d bytes: out of range", m.v)
		case m.v < minMemory:
			p.at(sub(at, m.path...), "%d bytes: the engine needs at least 6MiB", m.v)
		}
	}
	if svc.PidsLimit < -1 {
		p.at(sub(at, key("pids_limit")), "%d: want a positive limit, or -1 for none", svc.PidsLimit)
	}
}

// restartPolicy maps deploy.restart_policy onto the engine's policy, as
// compose does: none is no, any is always, on-failure keeps max_attempts.
func (p *problems) restartPolicy(rp *types.RestartPolicy, at []step) string {
	p.unmapped(rp, "restart_policy", at)
	switch rp.Condition {
	case "none", "no", "":
		return "no"
	case "any", "always":
		return "always"
	case "unless-stopped":
		return "unless-stopped"
	case "on-failure":
		if rp.MaxAttempts != nil && *rp.MaxAttempts > 0 {
			if *rp.MaxAttempts > math.MaxInt32 {
				p.at(sub(at, key("max_attempts")), "%d: too many", *rp.MaxAttempts)
			}
			return "on-failure:" + strconv.FormatUint(*rp.MaxAttempts, 10)
		}
		return "on-failure"
	}
	p.at(sub(at, key("condition")), "%q: want none, on-failure or any", rp.Condition)
	return ""
}
