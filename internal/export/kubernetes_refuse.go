// Kubernetes export limits: restart, depends_on, the network's addresses and volume drivers, mapped by rule or refused by name.

package export

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/chainctl/chainctl/internal/topology"
)

// restartPolicy maps restart onto the pod's restartPolicy. A Deployment's
// pods take Always only: always and unless-stopped mean that (a pod is
// "stopped" by scaling to 0, and then stays so), and so does no restart
// given, as the swarm backend runs it. no and on-failure[:N] have no
// counterpart: the pod-level policy cannot be Never or OnFailure under a
// Deployment, and a container-level one is behind the ContainerRestartRules
// feature gate and has no retry count.
func restartPolicy(restart string) (corev1.RestartPolicy, error) {
	name, _, _ := strings.Cut(restart, ":")
	switch name {
	case "", "always", "unless-stopped":
		return corev1.RestartPolicyAlways, nil
	}
	return "", fmt.Errorf("restart %q: a Deployment's pods always restart (restartPolicy Always); remove restart or use always/unless-stopped", restart)
}

// dependsOnErrors refuses every depends_on entry. Kubernetes starts all
// Deployments at once; a wait would need an init container, and so an
// image to run it that the topology did not name (the link image is not
// in every registry, the service's own may have no client in it), retried
// with the kubelet's back-off of up to five minutes. A Service sends only
// to ready pods, so callers reach a dependency once its probe passes.
func dependsOnErrors(svc *topology.Service) []error {
	var errs []error
	for _, dep := range sortedKeys(svc.DependsOn) {
		errs = append(errs, fmt.Errorf("depends_on %s (condition %s): Kubernetes has no start order between Deployments; remove depends_on for the export (a Service sends only to ready pods: callers reach %s once its readiness probe passes)",
			dep, svc.DependsOn[dep], dep))
	}
	return errs
}

// networkErrors refuses what the project network sets that a cluster
// decides: pods take their addresses from the cluster's pod network.
func networkErrors(t *topology.Topology) []error {
	n := t.Network
	if n.Subnet == "" && n.Gateway == "" {
		return nil
	}
	what := "network.subnet " + n.Subnet
	if n.Gateway != "" {
		what += " and network.gateway " + n.Gateway
	}
	return []error{fmt.Errorf("network %s: %s: pods take their addresses from the cluster's pod network, which a manifest cannot choose; remove them for the export", n.Name, what)}
}

// volumeErrors checks what a named volume's claim cannot carry: a claim's
// storage comes from the cluster's StorageClass, so only Docker's default
// driver, local, maps (to the default StorageClass, like no driver).
func volumeErrors(key string, v topology.Volume, claim string) []error {
	var errs []error
	if msgs := validation.IsDNS1123Subdomain(claim); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("volume %s: claim name %q is not a Kubernetes object name: %s", key, claim, strings.Join(msgs, "; ")))
	}
	if v.Driver != "" && v.Driver != "local" {
		errs = append(errs, fmt.Errorf("volume %s: driver %q: a claim's storage comes from the cluster's StorageClass, not a Docker volume driver; remove driver for the export (local, the default, maps to the default StorageClass)", key, v.Driver))
	}
	return errs
}

// nameErrors checks the service's name: the Service's name is the DNS
// name callers dial, so it must be the service's name exactly, with no
// rewriting, and an error when Kubernetes cannot take it.
func nameErrors(svc *topology.Service, nodePort bool) []error {
	if msgs := validation.IsDNS1035Label(svc.Name); len(msgs) > 0 {
		return []error{fmt.Errorf("the name is not a Kubernetes Service name: %s", strings.Join(msgs, "; "))}
	}
	if msgs := validation.IsDNS1035Label(svc.Name + NodePortSuffix); len(msgs) > 0 && nodePort {
		return []error{fmt.Errorf("%q is not a Kubernetes Service name: %s", svc.Name+NodePortSuffix, strings.Join(msgs, "; "))}
	}
	return nil
}

// escapeKube keeps a string literal where Kubernetes expands $(VAR):
// env values, command, args and exec probes. The kubelet reads $$ as $,
// so doubling every $ gives back the string as it is; the topology's own
// ${VAR} were expanded when it was loaded.
func escapeKube(s string) string { return strings.ReplaceAll(s, "$", "$$") }

func escapeKubeList(l []string) []string {
	if l == nil {
		return nil
	}
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = escapeKube(s)
	}
	return out
}

// composeOnlyErrors refuses, one by one, the fields of a compose file that
// an export does not carry yet, rather than dropping them.
func composeOnlyErrors(t *topology.Topology, what string) []error {
	var errs []error
	for _, path := range t.ComposeOnly() {
		errs = append(errs, fmt.Errorf("%s: %s does not carry this yet; remove it for the export", path, what))
	}
	return errs
}
