// RunFields: which compose-only fields a service sets, for the backends and exports that cannot carry them yet.

package topology

import (
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// RunFields names, in declaration order, the fields of the service's Run
// that are set (not their zero value), by their file key (build,
// container_name, ...). A backend or export that maps none of them
// refuses each one it is given rather than dropping it.
func (s *Service) RunFields() []string {
	v := reflect.ValueOf(s.Run)
	typ := v.Type()
	var out []string
	for i := range typ.NumField() {
		if v.Field(i).IsZero() {
			continue
		}
		out = append(out, jsonName(typ.Field(i)))
	}
	return out
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// ComposeOnly names what a topology uses beyond a chainctl topology's
// fields, as file paths (networks.front, services.web.build, ...): the
// other networks, secrets, configs, external or driver_opts volumes and
// every service's RunFields. Empty for a chainctl topology.
func (t *Topology) ComposeOnly() []string {
	var out []string
	n := t.Network
	if n.External || n.Driver != "" || len(n.DriverOpts) > 0 || len(n.Labels) > 0 || n.Attachable || n.EnableIPv6 {
		out = append(out, "networks.default")
	}
	for _, key := range slices.Sorted(maps.Keys(t.Networks)) {
		out = append(out, "networks."+key)
	}
	for _, key := range slices.Sorted(maps.Keys(t.Volumes)) {
		if v := t.Volumes[key]; v.External || len(v.DriverOpts) > 0 {
			out = append(out, "volumes."+key)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(t.Secrets)) {
		out = append(out, "secrets."+key)
	}
	for _, key := range slices.Sorted(maps.Keys(t.Configs)) {
		out = append(out, "configs."+key)
	}
	for _, name := range t.ServiceNames() {
		svc := t.Services[name]
		for _, f := range svc.RunFields() {
			out = append(out, "services."+name+"."+f)
		}
		for i, m := range svc.Volumes {
			plain := Mount{Type: m.Type, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}
			if m.Type == MountTmpfs || m.Type == MountVolume && m.Source == "" || !reflect.DeepEqual(m, plain) {
				out = append(out, "services."+name+".volumes["+strconv.Itoa(i)+"]")
			}
		}
	}
	return out
}
