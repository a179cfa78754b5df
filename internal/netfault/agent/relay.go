// The delay relay: accepts redirected connections, dials the target over loopback, and delays what the caller sends.

package agent

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"
)

// Relay forwards each connection it accepts to a target, writing what the
// caller sends Delay ± Jitter after it arrived; the answers come back
// undelayed. Close ends the listener and every connection.
type Relay struct {
	ln    net.Listener
	dial  func() (net.Conn, error)
	sched schedule

	mu       sync.Mutex
	sessions map[*session]struct{}
	closed   bool
	wg       sync.WaitGroup
}

// session is one caller's connection and the relay's to the target.
type session struct {
	caller, target net.Conn
	done           chan struct{}
	once           sync.Once
}

// abort ends both connections at once.
func (s *session) abort() {
	s.once.Do(func() {
		close(s.done)
		s.caller.Close()
		s.target.Close()
	})
}

// NewRelay serves ln (call Serve), reaching the target with dial.
func NewRelay(ln net.Listener, dial func() (net.Conn, error), delay, jitter time.Duration) *Relay {
	return &Relay{ln: ln, dial: dial, sched: schedule{delay, jitter}, sessions: map[*session]struct{}{}}
}

// Port is the port the relay listens on.
func (r *Relay) Port() uint16 {
	return uint16(r.ln.Addr().(*net.TCPAddr).Port)
}

// Serve accepts until Close.
func (r *Relay) Serve() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		r.wg.Add(1)
		go r.handle(c)
	}
}

func (r *Relay) handle(caller net.Conn) {
	defer r.wg.Done()
	target, err := r.dial()
	if err != nil {
		if tc, ok := caller.(*net.TCPConn); ok {
			tc.SetLinger(0) // the caller reads a reset, as without the relay
		}
		caller.Close()
		return
	}
	s := &session{caller: caller, target: target, done: make(chan struct{})}
	if !r.track(s) {
		s.abort()
		return
	}
	defer r.untrack(s)
	errc := make(chan error, 2)
	go func() { errc <- r.sched.pipe(target, caller, s.done) }()
	go func() { errc <- copyHalf(caller, target) }()
	for range 2 {
		if err := <-errc; err != nil {
			s.abort()
		}
	}
	s.abort()
}

func (r *Relay) track(s *session) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.sessions[s] = struct{}{}
	return true
}

func (r *Relay) untrack(s *session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.sessions, s)
}

// Active is the number of connections being relayed.
func (r *Relay) Active() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sessions)
}

// Close stops accepting, ends every connection, and waits for them.
func (r *Relay) Close() error {
	r.mu.Lock()
	r.closed = true
	sessions := make([]*session, 0, len(r.sessions))
	for s := range r.sessions {
		sessions = append(sessions, s)
	}
	r.mu.Unlock()
	err := r.ln.Close()
	for _, s := range sessions {
		s.abort()
	}
	r.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// dialTarget reaches a listener of the namespace from inside it: over
// loopback when it listens on every address (127.0.0.1, then ::1 for an
// IPv6-only socket), else on the one address it is bound to.
func dialTarget(l Listener) func() (net.Conn, error) {
	port := strconv.Itoa(int(l.Port))
	addrs := []string{net.JoinHostPort(l.Addr.String(), port)}
	if l.Addr.IsUnspecified() {
		addrs = []string{net.JoinHostPort("127.0.0.1", port), net.JoinHostPort("::1", port)}
	}
	return func() (net.Conn, error) {
		var errs []error
		for _, a := range addrs {
			c, err := net.DialTimeout("tcp", a, 2*time.Second)
			if err == nil {
				return c, nil
			}
			errs = append(errs, err)
		}
		return nil, fmt.Errorf("relay: dial target port %d: %w", l.Port, errors.Join(errs...))
	}
}
