// Package export renders a topology for other runtimes: Kubernetes
// manifests and a docker-compose file. It reads the model only (no Docker
// imports) and writes what chainctl's engine would run, as close as the
// target allows; what cannot be carried over is an error that names the
// service and the field, never a silent drop.
package export

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/chainctl/chainctl/internal/topology"
)

// Formats are the names Render accepts, for flags and completion.
var Formats = []string{"compose", "kubernetes"}

// Render writes t in the named format.
func Render(format string, t *topology.Topology) ([]byte, error) {
	switch format {
	case "kubernetes":
		return Kubernetes(t)
	case "compose":
		return Compose(t)
	}
	return nil, fmt.Errorf("unknown export format %q: want %s", format, strings.Join(Formats, " or "))
}

// environment is what the engine would set, minus CHAINCTL_REPLICA:
// neither a pod nor a compose replica has a stable index to give it.
func environment(project string, svc *topology.Service) map[string]string {
	return svc.RunEnv(project)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// isLink reports whether the service runs the demo link image, whose
// health endpoint and port are known.
func isLink(svc *topology.Service) bool { return svc.Image == topology.DefaultImage }

// linkPort is the port the link service listens on: LISTEN's, else 8080.
func linkPort(svc *topology.Service) int {
	if l, ok := svc.Environment["LISTEN"]; ok {
		if i := strings.LastIndex(l, ":"); i >= 0 {
			if p, err := strconv.Atoi(l[i+1:]); err == nil && p > 0 && p < 65536 {
				return p
			}
		}
	}
	return topology.DefaultCallPort
}

// portRange reads "8080" or "8000-8001" (already validated by the loader).
func portRange(s string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = strconv.Atoi(a); err != nil {
		return 0, 0, fmt.Errorf("port %q: %w", s, err)
	}
	hi = lo
	if isRange {
		if hi, err = strconv.Atoi(b); err != nil {
			return 0, 0, fmt.Errorf("port %q: %w", s, err)
		}
	}
	if lo < 1 || hi > 65535 || hi < lo {
		return 0, 0, fmt.Errorf("port %q: out of range", s)
	}
	return lo, hi, nil
}
