// Logs: the project's container logs, each line prefixed with service-n.

package docker

import (
	"context"
	"fmt"
	"io"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// Logs copies the logs of the project's containers to w, each line prefixed
// with `service-n |`; stdout and stderr are demultiplexed.
func (b *Backend) Logs(ctx context.Context, project string, opts engine.LogsOptions, w io.Writer) error {
	cs, err := engine.Containers(ctx, b.api, project)
	if err != nil {
		return err
	}
	wanted := map[string]bool{}
	for _, s := range opts.Services {
		wanted[s] = true
	}
	var targets []container.Summary
	width := 0
	for _, c := range cs {
		if len(wanted) > 0 && !wanted[c.Labels[engine.LabelService]] {
			continue
		}
		targets = append(targets, c)
		width = max(width, len(logPrefix(c)))
	}
	if len(targets) == 0 && len(wanted) > 0 {
		return fmt.Errorf("no containers for services %v in project %s", opts.Services, project)
	}
	out := engine.NewLineWriter(w)
	return engine.Parallel(engine.Indexes(len(targets)), func(i int) error {
		c := targets[i]
		prefix := opts.Prefix(i, width, logPrefix(c))
		return b.containerLogs(ctx, c, opts, prefix, out)
	})
}

func logPrefix(c container.Summary) string {
	return fmt.Sprintf("%s-%s", c.Labels[engine.LabelService], c.Labels[engine.LabelReplica])
}

func (b *Backend) containerLogs(ctx context.Context, c container.Summary, opts engine.LogsOptions, prefix string, out *engine.LineWriter) error {
	rc, err := b.api.ContainerLogs(ctx, c.ID, container.LogsOptions{
		ShowStdout: true, ShowStderr: true, Follow: opts.Follow, Tail: opts.Tail, Since: opts.Since,
	})
	if err != nil {
		return logsError(c, err)
	}
	defer rc.Close()
	if err := engine.CopyLines(multiplexed(c, rc), prefix, out); err != nil && ctx.Err() == nil {
		return fmt.Errorf("logs of %s: %w", engine.NameOf(c), err)
	}
	return nil
}

// multiplexed is the container's log stream as a non-TTY container gives
// it: a service with tty: true logs raw bytes, which are framed as stdout
// here so that one demultiplexer reads both.
func multiplexed(c container.Summary, rc io.Reader) io.Reader {
	if svc := engine.ServiceSpec(c); svc == nil || !svc.Tty {
		return rc
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(stdcopy.NewStdWriter(pw, stdcopy.Stdout), rc)
		pw.CloseWithError(err)
	}()
	return pr
}
