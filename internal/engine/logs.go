package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// LogsOptions tune `chainctl logs`.
type LogsOptions struct {
	Services []string // empty: all
	Follow   bool
	Tail     string // "all" or a number
	Since    string // RFC 3339, a Unix time or a Go duration like 10m
	Color    bool
}

// Logs copies the logs of the project's containers to w, each line prefixed
// with `service-n |`; stdout and stderr are demultiplexed.
func (e *Engine) Logs(ctx context.Context, project string, opts LogsOptions, w io.Writer) error {
	cs, err := e.containers(ctx, project)
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
		if len(wanted) > 0 && !wanted[c.Labels[LabelService]] {
			continue
		}
		targets = append(targets, c)
		width = max(width, len(logPrefix(c)))
	}
	if len(targets) == 0 && len(wanted) > 0 {
		return fmt.Errorf("no containers for services %v in project %s", opts.Services, project)
	}
	out := &lockedWriter{w: w}
	return parallel(indexes(len(targets)), func(i int) error {
		c := targets[i]
		prefix := fmt.Sprintf("%-*s | ", width, logPrefix(c))
		if opts.Color {
			prefix = fmt.Sprintf("\x1b[%dm%s\x1b[0m", 31+i%6, prefix)
		}
		return e.containerLogs(ctx, c, opts, prefix, out)
	})
}

func logPrefix(c container.Summary) string {
	return fmt.Sprintf("%s-%s", c.Labels[LabelService], c.Labels[LabelReplica])
}

func (e *Engine) containerLogs(ctx context.Context, c container.Summary, opts LogsOptions, prefix string, out *lockedWriter) error {
	rc, err := e.api.ContainerLogs(ctx, c.ID, container.LogsOptions{
		ShowStdout: true, ShowStderr: true, Follow: opts.Follow, Tail: opts.Tail, Since: opts.Since,
	})
	if err != nil {
		return fmt.Errorf("logs of %s: %w", containerName(c), err)
	}
	defer rc.Close()
	if err := copyLines(rc, prefix, out); err != nil && ctx.Err() == nil {
		return fmt.Errorf("logs of %s: %w", containerName(c), err)
	}
	return nil
}

// copyLines demultiplexes a non-TTY log stream and writes it line by line
// after prefix.
func copyLines(rc io.Reader, prefix string, out *lockedWriter) error {
	pr, pw := io.Pipe()
	go func() {
		_, err := stdcopy.StdCopy(pw, pw, rc)
		pw.CloseWithError(err)
	}()
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		out.line(prefix, sc.Text())
	}
	return sc.Err()
}

// lockedWriter keeps lines from different containers whole.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) line(prefix, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s%s\n", prefix, text)
}
