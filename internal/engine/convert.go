// What both backends map from the model alike: a service's environment, healthcheck, mounts, secrets and configs.

package engine

import (
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
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

// Mounts are the service's volumes as the Mount API takes them: binds
// (with their propagation), named volumes by their engine names,
// anonymous volumes (no source: the engine names them), and tmpfs mounts.
// A bind's SELinux relabelling has no field there: see ContainerMounts.
func Mounts(t *topology.Topology, svc *topology.Service) []mount.Mount {
	out := make([]mount.Mount, 0, len(svc.Volumes))
	for _, m := range svc.Volumes {
		out = append(out, toMount(t, m))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func toMount(t *topology.Topology, m topology.Mount) mount.Mount {
	mt := mount.Mount{Target: m.Target, ReadOnly: m.ReadOnly, Source: m.Source, Type: mount.TypeBind}
	switch m.Type {
	case topology.MountVolume:
		mt.Type = mount.TypeVolume
		if v, ok := t.Volumes[m.Source]; ok {
			mt.Source = v.Name
		}
		if m.NoCopy {
			mt.VolumeOptions = &mount.VolumeOptions{NoCopy: true}
		}
	case topology.MountTmpfs:
		mt.Type, mt.Source = mount.TypeTmpfs, ""
		if m.TmpfsSize != 0 || m.TmpfsMode != 0 {
			mt.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: m.TmpfsSize, Mode: os.FileMode(m.TmpfsMode)}
		}
	default:
		if m.Propagation != "" {
			mt.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(m.Propagation)}
		}
	}
	return mt
}

// ContainerMounts are what a plain container mounts, split as the Engine
// API needs it: binds (and named volumes) that ask for SELinux relabelling
// (z, Z) go through HostConfig.Binds as "src:dst:rw|ro,z[,propagation]", since the Mount
// API has no relabel option (compose does the same); everything else,
// with every secret and config that comes from a host file bind-mounted
// read-only at its target, goes through HostConfig.Mounts. A volume of the
// service's own wins over a secret or config at the same target, as in
// compose.
func ContainerMounts(t *topology.Topology, svc *topology.Service) (binds []string, mounts []mount.Mount) {
	targets := map[string]bool{}
	for _, m := range svc.Volumes {
		targets[m.Target] = true
		if m.SELinux != "" && (m.Type == topology.MountBind || m.Type == topology.MountVolume && m.Source != "") {
			binds = append(binds, bindString(t, m))
			continue
		}
		mounts = append(mounts, toMount(t, m))
	}
	for _, f := range Files(t, svc) {
		if f.File == "" || targets[f.Target] {
			continue
		}
		targets[f.Target] = true
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: f.File, Target: f.Target, ReadOnly: true})
	}
	return binds, mounts
}

// bindString is a bind, or a named volume, in HostConfig.Binds' form.
func bindString(t *topology.Topology, m topology.Mount) string {
	opts := []string{"rw"}
	if m.ReadOnly {
		opts[0] = "ro"
	}
	opts = append(opts, m.SELinux)
	if m.Propagation != "" {
		opts = append(opts, m.Propagation)
	}
	source := m.Source
	if m.Type == topology.MountVolume {
		if v, ok := t.Volumes[m.Source]; ok {
			source = v.Name
		}
		if m.NoCopy {
			opts = append(opts, "nocopy")
		}
	}
	return source + ":" + m.Target + ":" + strings.Join(opts, ",")
}

// File is one secret or config a service mounts: a host file (File), or,
// for a config given inline, its Content, which is copied into the
// container before it starts (compose does the same).
type File struct {
	Kind    string // "secret" or "config"
	Key     string // the key of Topology.Secrets or Topology.Configs
	Target  string // absolute path in the container
	File    string
	Content string
	Mode    int64 // for Content: the file's mode (0444 unless the file says)
}

// Files are the secrets and configs the service mounts, sorted by target.
// A relative or empty target is taken as compose takes it: under
// /run/secrets/ for a secret, under / for a config.
func Files(t *topology.Topology, svc *topology.Service) []File {
	var out []File
	add := func(kind, dir string, srcs map[string]topology.FileSource, ms []topology.FileMount) {
		for _, fm := range ms {
			src, ok := srcs[fm.Source]
			if !ok || src.File == "" && src.Content == "" {
				continue // refused by the loader
			}
			target := fm.Target
			switch {
			case target == "":
				target = dir + fm.Source
			case !strings.HasPrefix(target, "/"):
				target = dir + target
			}
			f := File{Kind: kind, Key: fm.Source, Target: path.Clean(target), File: src.File, Content: src.Content, Mode: 0o444}
			if src.File != "" {
				f.Content = ""
			}
			if fm.Mode != nil {
				f.Mode = int64(*fm.Mode)
			}
			out = append(out, f)
		}
	}
	add("secret", "/run/secrets/", t.Secrets, svc.Secrets)
	add("config", "/", t.Configs, svc.Configs)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Target < out[j].Target })
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
