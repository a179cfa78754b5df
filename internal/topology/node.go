// Topology's own YAML readers on top of yamlnode: command words and KEY=VALUE lists with values from the environment.

package topology

import (
	"strings"

	"github.com/chainctl/chainctl/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// words reads command and entrypoint: a list, or a string split into
// words as a shell would (quotes group, backslash escapes; nothing is
// expanded).
func (d *decoder) words(n *yaml.Node, path string) []string {
	if n.Kind == yaml.SequenceNode {
		var out []string
		for _, s := range d.List(n, path, d.Text) {
			out = append(out, s.Val)
		}
		return out
	}
	s, ok := d.Text(n, path)
	if !ok {
		return nil
	}
	w, err := splitWords(s)
	if err != nil {
		d.Errorf(n, path, "%q: %v", s, err)
	}
	return w
}

// keyValues reads environment and labels: a mapping, or a list of
// KEY=VALUE. With fromEnv, a KEY without a value takes it from the
// environment and is left out when that does not set it, as in compose.
// check vets each key and returns a problem or "".
func (d *decoder) keyValues(n *yaml.Node, path string, fromEnv bool, check func(key string) string) map[string]string {
	out := map[string]string{}
	add := func(at *yaml.Node, p, key, val string, hasVal bool) {
		if msg := check(key); msg != "" {
			d.Errorf(at, p, "%s", msg)
			return
		}
		switch {
		case hasVal:
			out[key] = val
		case !fromEnv:
			out[key] = ""
		default:
			if v, ok := d.lookupEnv(key); ok {
				out[key] = v
			}
		}
	}
	switch n.Kind {
	case yaml.MappingNode:
		ps, _ := d.Pairs(n, path)
		for _, kv := range ps {
			p := yamlnode.Join(path, kv.Key.Value)
			if yamlnode.IsNull(kv.Val) {
				add(kv.Key, p, kv.Key.Value, "", false)
			} else if v, ok := d.Text(kv.Val, p); ok {
				add(kv.Key, p, kv.Key.Value, v, true)
			}
		}
	case yaml.SequenceNode:
		for _, s := range d.List(n, path, d.Text) {
			k, v, hasVal := strings.Cut(s.Val, "=")
			add(s.Node, s.Path, k, v, hasVal)
		}
	default:
		d.Errorf(n, path, "want a mapping or a list of KEY=VALUE, got %s", yamlnode.Describe(n))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
