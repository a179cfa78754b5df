// What both backends map from the model alike: a service's environment, healthcheck and mounts.

package engine

import (
	"sort"
	"strconv"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"

	"github.com/chainctl/chainctl/internal/topology"
)

// Environment is the service's environment plus what chainctl injects: NEXT
// from `calls` (unless set) and the downward-API style CHAINCTL_* variables.
func Environment(project string, svc *topology.Service, replica int) []string {
	env := svc.RunEnv(project)
	env["CHAINCTL_REPLICA"] = strconv.Itoa(replica)
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Mounts are the service's binds and named volumes (by their engine names).
func Mounts(t *topology.Topology, svc *topology.Service) []mount.Mount {
	var out []mount.Mount
	for _, m := range svc.Volumes {
		mt := mount.Mount{Target: m.Target, ReadOnly: m.ReadOnly, Source: m.Source, Type: mount.TypeBind}
		if m.Type == "volume" {
			mt.Type = mount.TypeVolume
			if v, ok := t.Volumes[m.Source]; ok {
				mt.Source = v.Name
			}
		}
		out = append(out, mt)
	}
	return out
}

// HealthConfig is the service's healthcheck; nil keeps the image's.
func HealthConfig(h *topology.Healthcheck) *container.HealthConfig {
	if h == nil {
		return nil // the image's HEALTHCHECK applies
	}
	if h.Disable {
		return &container.HealthConfig{Test: []string{"NONE"}}
	}
	return &container.HealthConfig{
		Test:        h.Test,
		Interval:    time.Duration(h.Interval),
		Timeout:     time.Duration(h.Timeout),
		StartPeriod: time.Duration(h.StartPeriod),
		Retries:     h.Retries,
	}
}
