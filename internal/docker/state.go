// What a container's state means against its topology: which of its networks it is off, and a one-shot that has completed.

package docker

import (
	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

// faultCompleted is a one-shot service's container that exited 0: it did
// its work, nothing is wrong (ps shows no fault), and break and heal leave
// it alone.
const faultCompleted = "completed"

// serviceOf is the service a container of the topology belongs to.
func serviceOf(t *topology.Topology, c container.Summary) *topology.Service {
	return t.Services[c.Labels[engine.LabelService]]
}

// offNetworks are the networks of the container's service it is not on.
func offNetworks(t *topology.Topology, c container.Summary) []topology.AttachedNetwork {
	svc := serviceOf(t, c)
	if svc == nil {
		return nil
	}
	var out []topology.AttachedNetwork
	for _, a := range t.NetworksOf(svc) {
		if !engine.OnNetwork(c, a.Name) {
			out = append(out, a)
		}
	}
	return out
}

// faultOf is what is wrong with a container of the topology: what the
// engine says (engine.Fault), disconnected when it is off any network of
// its service, and faultCompleted for a one-shot that exited 0.
func faultOf(t *topology.Topology, c container.Summary) string {
	if completed(t, c) {
		return faultCompleted
	}
	f := engine.Fault(c, "")
	if f == engine.FaultNone && len(offNetworks(t, c)) > 0 {
		return engine.FaultDisconnected
	}
	return f
}

// completed says whether the container is a one-shot's that exited 0.
func completed(t *topology.Topology, c container.Summary) bool {
	if c.State != container.StateExited || !t.OneShot(c.Labels[engine.LabelService]) {
		return false
	}
	code, ok := engine.ExitCode(c)
	return ok && code == 0
}

// oneShots are the services that run to completion (topology.OneShot).
func oneShots(t *topology.Topology) map[string]bool {
	out := map[string]bool{}
	for name := range t.Services {
		if t.OneShot(name) {
			out[name] = true
		}
	}
	return out
}
