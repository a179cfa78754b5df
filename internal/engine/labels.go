// Labels and the filters built from them: the only way chainctl decides what is its own.

package engine

import (
	"github.com/docker/docker/api/types/filters"
)

// Labels decide ownership: chainctl only ever touches objects that carry
// io.chainctl.project=<project>, whatever their names say.
const (
	LabelProject     = "io.chainctl.project"
	LabelService     = "io.chainctl.service"
	LabelReplica     = "io.chainctl.replica"
	LabelConfigHash  = "io.chainctl.config-hash"
	LabelVersion     = "io.chainctl.version"
	LabelVolume      = "io.chainctl.volume"
	LabelServiceSpec = "io.chainctl.service-spec" // the service as JSON, to recreate a removed replica
	LabelTopology    = "io.chainctl.topology"     // the whole topology as JSON, on the network and the spec volume
	LabelSpec        = "io.chainctl.spec"         // marks the spec volume; value: the topology's hash
	LabelEngine      = "io.chainctl.engine"       // swarm: on what a swarm made for a chainctl service
	LabelRole        = "io.chainctl.role"         // on helpers: what the helper is for
)

// RoleNetfault marks a helper that holds a network fault in its target's
// namespace. Helpers are the project's (down removes them) but are not its
// services' containers: Containers leaves them out.
const RoleNetfault = "netfault"

// ProjectFilter selects the objects of one project, exactly (a label match,
// never a name prefix: project "ab" never matches "abc").
func ProjectFilter(project string, extra ...filters.KeyValuePair) filters.Args {
	args := filters.NewArgs(filters.Arg("label", LabelProject+"="+project))
	for _, kv := range extra {
		args.Add(kv.Key, kv.Value)
	}
	return args
}

// AnyProjectFilter selects every object chainctl created, in any project.
func AnyProjectFilter() filters.Args {
	return filters.NewArgs(filters.Arg("label", LabelProject))
}

// OwnedBy reports whether labels mark an object as the project's.
func OwnedBy(labels map[string]string, project string) bool {
	return labels[LabelProject] == project
}
