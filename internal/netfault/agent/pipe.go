// The delayed pipe: each chunk read is written at its read time plus the delay, in order, without waiting for the one before.

package agent

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// Pipe sizing: up to queueChunks reads of up to chunkSize bytes wait
// their turn per connection (8 MiB), so the relay carries at least
// 8 MiB per delay and never one chunk per delay.
const (
	chunkSize   = 32 << 10
	queueChunks = 256
)

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// schedule says when a chunk read at t is written: t + delay ± jitter
// (uniform), never before the previous chunk.
type schedule struct {
	delay, jitter time.Duration
}

func (s schedule) due(t time.Time) time.Time {
	d := s.delay
	if s.jitter > 0 {
		d += time.Duration((rand.Float64()*2 - 1) * float64(s.jitter))
	}
	return t.Add(d)
}

type chunk struct {
	buf *[]byte
	n   int
	due time.Time
}

// pipe copies src to dst on the schedule until src ends, then half-closes
// dst. A read that fails other than at the end, a write that fails, or
// done closing, ends it with an error; the caller closes both.
func (s schedule) pipe(dst, src net.Conn, done <-chan struct{}) error {
	q := make(chan chunk, queueChunks)
	readErr := make(chan error, 1)
	go func() {
		defer close(q)
		for {
			bp := chunkPool.Get().(*[]byte)
			n, err := src.Read(*bp)
			if n > 0 {
				select {
				case q <- chunk{bp, n, s.due(time.Now())}:
				case <-done:
					readErr <- net.ErrClosed
					return
				}
			} else {
				chunkPool.Put(bp)
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				readErr <- err
				return
			}
		}
	}()
	err := s.write(dst, q, done)
	if err != nil {
		src.Close() // unblocks the reader
		for c := range q {
			chunkPool.Put(c.buf)
		}
		return err
	}
	if err := <-readErr; err != nil {
		return err
	}
	return closeWrite(dst)
}

// write takes the chunks in order and writes each when it is due.
func (s schedule) write(dst net.Conn, q <-chan chunk, done <-chan struct{}) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var last time.Time
	for c := range q {
		due := c.due
		if due.Before(last) {
			due = last // a chunk never overtakes the one before
		}
		last = due
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-done:
				chunkPool.Put(c.buf)
				return net.ErrClosed
			}
		}
		_, err := dst.Write((*c.buf)[:c.n])
		chunkPool.Put(c.buf)
		if err != nil {
			return err
		}
	}
	return nil
}

// copyHalf copies src to dst undelayed, then half-closes dst.
func copyHalf(dst, src net.Conn) error {
	if _, err := io.Copy(dst, src); err != nil {
		return err
	}
	return closeWrite(dst)
}

// closeWrite sends FIN: the other side reads the end, and can still
// answer.
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Close()
}
