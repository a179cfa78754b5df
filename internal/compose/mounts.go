// Mapping a service's volumes: named, anonymous, bind and tmpfs mounts, short and long syntax alike.

package compose

import (
	"path"
	"path/filepath"
	"strconv"

	"github.com/chainctl/chainctl/internal/topology"
	"github.com/compose-spec/compose-go/v2/types"
)

// mounts map volumes as compose-go read them (bind sources absolute, ~/
// expanded, relative ones from the project directory; :ro, :z/:Z,
// nocopy, propagation and tmpfs options in their fields).
func (p *problems) mounts(in []types.ServiceVolumeConfig, at []step) []topology.Mount {
	var out []topology.Mount
	for i, v := range in {
		// compose-go merges -f files' volumes by target: the entry is found
		// by its target, and shown by its place in the merged list.
		find := sub(at, key("volumes"), mentions(v.Target))
		shown := render(sub(at, key("volumes"), index(i)))
		p.unmappedAt(v, "volume", find, shown)
		m := topology.Mount{Target: v.Target, ReadOnly: v.ReadOnly}
		switch v.Type {
		case types.VolumeTypeVolume:
			m.Type, m.Source = topology.MountVolume, v.Source
			if v.Volume != nil {
				p.unmappedAt(v.Volume, "volume.volume", sub(find, key("volume")), shown+".volume")
				m.NoCopy = v.Volume.NoCopy
			}
		case types.VolumeTypeBind:
			m.Type, m.Source = topology.MountBind, filepath.Clean(v.Source)
			if !filepath.IsAbs(v.Source) {
				p.atFile(find, nil, shown, strconv.Quote(v.Source)+": the bind source must be a host path")
			}
			if b := v.Bind; b != nil {
				p.unmappedAt(b, "volume.bind", sub(find, key("bind")), shown+".bind")
				m.SELinux, m.Propagation = b.SELinux, b.Propagation
				if !bool(b.CreateHostPath) {
					p.atFile(sub(find, key("bind"), key("create_host_path")), nil, shown+".bind.create_host_path",
						"not supported by chainctl: the model has no create_host_path")
				}
			}
		case types.VolumeTypeTmpfs:
			m.Type = topology.MountTmpfs
			if t := v.Tmpfs; t != nil {
				p.unmappedAt(t, "volume.tmpfs", sub(find, key("tmpfs")), shown+".tmpfs")
				m.TmpfsSize, m.TmpfsMode = int64(t.Size), t.Mode
			}
		default:
			p.atFile(find, nil, shown, "type "+strconv.Quote(v.Type)+": not supported by chainctl: it mounts volumes, binds and tmpfs")
			continue
		}
		if !path.IsAbs(v.Target) || path.Clean(v.Target) == "/" {
			p.atFile(find, nil, shown, "the target "+strconv.Quote(v.Target)+" must be an absolute path other than /")
		}
		out = append(out, m)
	}
	return out
}
