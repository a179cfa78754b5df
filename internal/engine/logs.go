// Log streams: options of `chainctl logs` and the prefixed, line-whole copy both backends use.

package engine

import (
	"bufio"
	"fmt"
	"io"
	"sync"

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

// Prefix is the `name | ` in front of each line, coloured by position.
func (o LogsOptions) Prefix(i, width int, name string) string {
	prefix := fmt.Sprintf("%-*s | ", width, name)
	if o.Color {
		prefix = fmt.Sprintf("\x1b[%dm%s\x1b[0m", 31+i%6, prefix)
	}
	return prefix
}

// CopyLines demultiplexes a non-TTY log stream and writes it line by line
// after prefix.
func CopyLines(rc io.Reader, prefix string, out *LineWriter) error {
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

// LineWriter keeps lines from different streams whole.
type LineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// NewLineWriter writes whole lines to w.
func NewLineWriter(w io.Writer) *LineWriter { return &LineWriter{w: w} }

func (l *LineWriter) line(prefix, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s%s\n", prefix, text)
}
