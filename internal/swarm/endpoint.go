// Endpoint on a swarm: the URL of a published port that answers from here.

package swarm

import (
	"context"

	"github.com/chainctl/chainctl/internal/engine"
)

// Endpoint returns the URL of a service's first published TCP port that
// answers from here (the entry service when service is "").
func (s *Backend) Endpoint(ctx context.Context, project, service string) (string, string, error) {
	t, err := s.storedTopology(ctx, project)
	if err != nil {
		return "", "", err
	}
	if service, err = engine.EntryOr(t, project, service); err != nil {
		return "", "", err
	}
	st, err := s.state(ctx, project)
	if err != nil {
		return "", "", err
	}
	for _, row := range st.rows(project, t, service, s.nodeID) {
		if len(row.Endpoints) > 0 {
			return service, row.Endpoints[0], nil
		}
	}
	return service, "", &engine.NotServingError{Service: service}
}
