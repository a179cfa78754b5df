// Telling a compose file from a chainctl topology by the keys it uses.

package compose

import (
	"path/filepath"
	"strings"

	"github.com/chainctl/chainctl/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// chainctlOnly are the service keys only chainctl's own format has.
var chainctlOnly = map[string]bool{"calls": true, "replicas": true, "resources": true, "endpoint_mode": true}

// chainctlKnown are the service keys chainctl's own loader reads
// (internal/topology/decode.go); a key outside them makes a compose file.
var chainctlKnown = map[string]bool{
	"image": true, "command": true, "entrypoint": true, "environment": true, "labels": true,
	"ports": true, "volumes": true, "calls": true, "depends_on": true, "replicas": true,
	"healthcheck": true, "restart": true, "user": true, "read_only": true, "cap_add": true,
	"cap_drop": true, "security_opt": true, "privileged": true, "resources": true,
	"endpoint_mode": true, "stop_grace_period": true,
}

// IsCompose says whether a file is a compose file rather than a chainctl
// topology. A chainctl-only key (top-level network; a service with calls,
// replicas, resources or endpoint_mode) makes a topology. Otherwise it is
// a compose file when its name contains "compose", when it has a top-level
// key other than name, services and volumes, or when a service has a key
// chainctl's loader does not know. A file that is not YAML goes by its name.
func IsCompose(path string, data []byte) bool {
	byName := strings.Contains(strings.ToLower(filepath.Base(path)), "compose")
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return byName
	}
	root := yamlnode.Resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return byName
	}
	compose := byName
	for _, p := range mapPairs(root) {
		switch k := p.Key.Value; k {
		case "network":
			return false
		case "name", "volumes":
		case "services":
			c, chainctl := servicesSniff(p.Val)
			if chainctl {
				return false
			}
			compose = compose || c
		default:
			compose = true
		}
	}
	return compose
}

// servicesSniff looks at every service's keys: compose says a key chainctl
// does not know was seen, chainctl that a chainctl-only key was.
func servicesSniff(n *yaml.Node) (compose, chainctl bool) {
	if n = yamlnode.Resolve(n); n.Kind != yaml.MappingNode {
		return false, false
	}
	for _, svc := range mapPairs(n) {
		v := yamlnode.Resolve(svc.Val)
		if v.Kind != yaml.MappingNode {
			continue
		}
		for _, f := range mapPairs(v) {
			k := f.Key.Value
			switch {
			case chainctlOnly[k]:
				return false, true
			case k == extensionKey:
				compose = true
			case strings.HasPrefix(k, "x-"):
			case !chainctlKnown[k]:
				compose = true
			}
		}
	}
	return compose, false
}
