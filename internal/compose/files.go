// Secrets and configs: the top-level files (a host file; for a config its content, inline or from the environment) and where a service mounts them.

package compose

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/chainctl/chainctl/internal/topology"
	"github.com/compose-spec/compose-go/v2/types"
)

// secretFiles and configFiles give secrets and configs one type.
func secretFiles(in types.Secrets) map[string]types.FileObjectConfig {
	out := make(map[string]types.FileObjectConfig, len(in))
	for k, v := range in {
		out[k] = types.FileObjectConfig(v)
	}
	return out
}

func configFiles(in types.Configs) map[string]types.FileObjectConfig {
	out := make(map[string]types.FileObjectConfig, len(in))
	for k, v := range in {
		out[k] = types.FileObjectConfig(v)
	}
	return out
}

// secretValueReason is why a secret's value cannot be given in the file
// or the environment, only a config's.
const secretValueReason = "not supported by chainctl: it records the topology on the engine (labels and a spec volume), " +
	"so a secret's value would be readable by anyone who can `docker inspect`; use a file: secret"

// files maps top-level secrets or configs: a host file, or for a config
// its content (content:, or the value of environment: when the project
// is loaded, as compose takes it at up).
func (p *problems) files(kind string, in map[string]types.FileObjectConfig, env types.Mapping) map[string]topology.FileSource {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]topology.FileSource, len(in))
	for k, f := range in {
		at := keys(kind, k)
		p.unmapped(f, "top.file", at)
		if kind == "secrets" {
			// compose-go may have read an environment secret's value
			// into content already (include with env_file).
			switch {
			case f.Environment != "":
				p.at(sub(at, key("environment")), "%s", secretValueReason)
			case f.Content != "":
				p.at(sub(at, key("content")), "%s", secretValueReason)
			}
			if f.File != "" {
				out[k] = topology.FileSource{File: filepath.Clean(f.File)}
			}
			continue
		}
		if src, ok := p.fileSource(f, at, env); ok {
			out[k] = src
		}
	}
	return out
}

// fileSource is where a config's content comes from: its content, the
// value of its environment variable, or its file (compose-go refuses
// more than one).
func (p *problems) fileSource(f types.FileObjectConfig, at []step, env types.Mapping) (topology.FileSource, bool) {
	switch {
	case f.Content != "":
		return topology.FileSource{Content: f.Content}, true
	case f.Environment != "":
		v, ok := env[f.Environment]
		if !ok {
			p.at(sub(at, key("environment")), "variable %s is not set: set it (in the environment or .env), or use file: or content:", f.Environment)
		}
		return topology.FileSource{Content: v}, ok
	case f.File != "":
		return topology.FileSource{File: filepath.Clean(f.File)}, true
	}
	return topology.FileSource{}, false
}

// inlineConfig says whether a config's content is copied in: content:
// or environment:, not file:.
func inlineConfig(pr *types.Project) func(string) bool {
	return func(name string) bool {
		c, ok := pr.Configs[name]
		return ok && (c.Content != "" || c.Environment != "")
	}
}

// secretRefs and configRefs give a service's secrets and configs one type.
func secretRefs(in []types.ServiceSecretConfig) []types.FileReferenceConfig {
	out := make([]types.FileReferenceConfig, len(in))
	for i, r := range in {
		out[i] = types.FileReferenceConfig(r)
	}
	return out
}

func configRefs(in []types.ServiceConfigObjConfig) []types.FileReferenceConfig {
	out := make([]types.FileReferenceConfig, len(in))
	for i, r := range in {
		out[i] = types.FileReferenceConfig(r)
	}
	return out
}

// fileMounts map secrets or configs onto files in the container: at
// target, or dir/<target> for a relative one, or dir/<source>. inline
// says whether a source's content is copied into the container (a
// config's content or environment) rather than bind-mounted, which a
// read-only service cannot take, as compose says.
func (p *problems) fileMounts(in []types.FileReferenceConfig, dir string, at []step, readOnly bool, inline func(string) bool) []topology.FileMount {
	var out []topology.FileMount
	for i, r := range in {
		kind := "file"
		if inline(r.Source) {
			kind = "inline"
			if readOnly {
				p.at(sub(at, index(i)), "config %s is copied into the container, which read_only forbids: a read-only service takes file: configs only", r.Source)
			}
		}
		p.unmapped(r, kind, sub(at, index(i)))
		m := topology.FileMount{Source: r.Source, Target: r.Target}
		switch {
		case m.Target == "":
			m.Target = dir + r.Source
		case !strings.HasPrefix(m.Target, "/"):
			m.Target = dir + m.Target
		}
		if r.Mode != nil {
			if *r.Mode < 0 || *r.Mode > 0o7777 {
				p.at(sub(at, index(i), key("mode")), "%s: not a file mode", fmt.Sprintf("%#o", int64(*r.Mode)))
			}
			mode := int(*r.Mode)
			m.Mode = &mode
		}
		out = append(out, m)
	}
	return out
}
