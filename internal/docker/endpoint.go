// Endpoint: the URL a request enters the chain by, from what the engine publishes.

package docker

import (
	"context"
	"strings"

	"github.com/chainctl/chainctl/internal/engine"
)

// Endpoint returns the URL of a service's first published TCP port. With
// service "" it picks the entry: a service with a published port that no
// other service calls.
func (b *Backend) Endpoint(ctx context.Context, project, service string) (string, string, error) {
	s, err := b.chaosState(ctx, project)
	if err != nil {
		return "", "", err
	}
	if service, err = engine.EntryOr(s.t, project, service); err != nil {
		return "", "", err
	}
	for _, c := range s.cs {
		if c.Labels[engine.LabelService] != service {
			continue
		}
		if eps := endpoints(c); len(eps) > 0 {
			return service, eps[0], nil
		}
	}
	// No running container publishes it (broken entry): use the fixed port
	// from the spec so the call fails the way a user's curl would.
	for _, p := range s.t.Services[service].Ports {
		if p.HostPort != "" && p.Protocol == "tcp" && !strings.Contains(p.HostPort, "-") {
			ip := p.HostIP
			if ip == "" || ip == "0.0.0.0" {
				ip = "127.0.0.1"
			}
			return service, "http://" + ip + ":" + p.HostPort, nil
		}
	}
	return service, "", &engine.NotServingError{Service: service}
}
