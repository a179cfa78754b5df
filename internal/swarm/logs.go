// Logs on a swarm: each service's merged task logs, prefixed with the service name.

package swarm

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
)

// Logs copies the logs of the project's services, each line prefixed with
// the service name (the swarm merges the logs of all its tasks).
func (s *Backend) Logs(ctx context.Context, project string, opts engine.LogsOptions, w io.Writer) error {
	svcs, err := s.services(ctx, project)
	if err != nil {
		return err
	}
	wanted := map[string]bool{}
	for _, name := range opts.Services {
		wanted[name] = true
	}
	var targets []swarm.Service
	width := 0
	for _, svc := range sortedServices(mapValues(svcs)) {
		name := svc.Spec.Labels[engine.LabelService]
		if len(wanted) > 0 && !wanted[name] {
			continue
		}
		targets = append(targets, svc)
		width = max(width, len(name))
	}
	if len(targets) == 0 {
		return fmt.Errorf("no services %s in project %s", strings.Join(opts.Services, ", "), project)
	}
	out := engine.NewLineWriter(w)
	return engine.Parallel(engine.Indexes(len(targets)), func(i int) error {
		svc := targets[i]
		prefix := opts.Prefix(i, width, svc.Spec.Labels[engine.LabelService])
		rc, err := s.api.ServiceLogs(ctx, svc.ID, container.LogsOptions{
			ShowStdout: true, ShowStderr: true, Follow: opts.Follow, Tail: opts.Tail, Since: opts.Since,
		})
		if err != nil {
			return fmt.Errorf("logs of service %s: %w", svc.Spec.Name, err)
		}
		defer rc.Close()
		if err := engine.CopyLines(rc, prefix, out); err != nil && ctx.Err() == nil {
			return fmt.Errorf("logs of service %s: %w", svc.Spec.Name, err)
		}
		return nil
	})
}
