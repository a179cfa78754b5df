// Request log: the service's log lines in the standard logger's format, written at once or in batches while Run serves.

package link

import (
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
)

// logFlushEvery is how long a request's log line may wait in the buffer
// while Run serves: the container runtime copies the log once per flush,
// not once per request.
const logFlushEvery = 100 * time.Millisecond

// logFlushBytes flushes early: a burst never holds more than this.
const logFlushBytes = 64 << 10

// logWriter writes the service's log lines in the format of the standard
// logger (log.LstdFlags|log.Lmicroseconds). Lines are written at once,
// until Run buffers them: then they are flushed within logFlushEvery of
// the first line that waits, when logFlushBytes wait, and when Run ends.
type logWriter struct {
	dst io.Writer

	mu       sync.Mutex
	buf      []byte
	buffered bool
	timer    *time.Timer // flushes the buffer; armed while it holds lines

	flushMu sync.Mutex // orders writes to dst
	spare   []byte     // the buffer dst last wrote, reused
}

func newLogWriter(dst io.Writer) *logWriter {
	w := &logWriter{dst: dst}
	w.timer = time.AfterFunc(time.Hour, func() { w.Flush() })
	w.timer.Stop()
	return w
}

// Printf logs one line.
func (w *logWriter) Printf(format string, args ...any) {
	w.line(func(b []byte) []byte { return fmt.Appendf(b, format, args...) })
}

// request logs one served request: "GET / 200 1.234ms hops=2".
func (w *logWriter) request(method, uri string, status int, took time.Duration, hops int) {
	w.line(func(b []byte) []byte {
		b = append(b, method...)
		b = append(b, ' ')
		b = append(b, uri...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(status), 10)
		b = append(b, ' ')
		b = append(b, took.Round(time.Microsecond).String()...)
		b = append(b, " hops="...)
		return strconv.AppendInt(b, int64(hops), 10)
	})
}

func (w *logWriter) line(msg func([]byte) []byte) {
	now := time.Now()
	w.mu.Lock()
	start := len(w.buf)
	w.buf = now.AppendFormat(w.buf, "2006/01/02 15:04:05.000000 ")
	w.buf = msg(w.buf)
	if len(w.buf) == 0 || w.buf[len(w.buf)-1] != '\n' {
		w.buf = append(w.buf, '\n')
	}
	buffered, full := w.buffered, len(w.buf) >= logFlushBytes
	if buffered && start == 0 && !full {
		w.timer.Reset(logFlushEvery)
	}
	w.mu.Unlock()
	if !buffered || full {
		w.Flush()
	}
}

// Flush writes what waits.
func (w *logWriter) Flush() error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	b := w.buf
	w.buf = w.spare[:0]
	w.timer.Stop()
	w.mu.Unlock()
	var err error
	if len(b) > 0 {
		_, err = w.dst.Write(b)
	}
	if cap(b) > 4*logFlushBytes {
		b = nil // a burst's buffer is not kept
	}
	w.spare = b[:0]
	return err
}

// buffer makes lines wait until a flush; the returned function writes
// what waits and goes back to writing each line at once.
func (w *logWriter) buffer() (stop func()) {
	w.mu.Lock()
	w.buffered = true
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		w.buffered = false
		w.mu.Unlock()
		w.Flush()
	}
}
