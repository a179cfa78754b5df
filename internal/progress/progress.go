// Package progress reports what chainctl is doing, resource by resource, on
// stderr: live lines on a terminal, plain lines when piped, JSON for
// machines, or nothing.
package progress

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Event is one step on one resource: "container abc-a-1 starting".
type Event struct {
	Time     time.Time `json:"time"`
	Kind     string    `json:"kind"` // network, volume, container, service, project
	Resource string    `json:"resource"`
	Status   string    `json:"status"` // creating, created, starting, running, waiting, healthy, failed, ...
	Detail   string    `json:"detail,omitempty"`
	Done     bool      `json:"done"`
	Failed   bool      `json:"failed,omitempty"`
}

// Reporter receives events. Implementations are safe for concurrent use.
type Reporter interface {
	Report(Event)
}

// Closer is a Reporter that must be flushed at the end (the live renderer).
type Closer interface {
	Reporter
	Close()
}

type discard struct{}

func (discard) Report(Event) {}
func (discard) Close()       {}

// Discard drops every event.
var Discard Closer = discard{}

// Mode names accepted by New.
var Modes = []string{"auto", "tty", "plain", "json", "quiet"}

// New returns the reporter for mode, writing to w. "auto" (or "") picks tty
// when IsTerminal(w) and plain otherwise. It reads no environment.
func New(mode string, w io.Writer) (Closer, error) {
	switch mode {
	case "", "auto":
		if IsTerminal(w) {
			return newLive(w, terminalSize(w)), nil
		}
		return &plain{w: w, start: time.Now()}, nil
	case "tty":
		return newLive(w, terminalSize(w)), nil
	case "plain":
		return &plain{w: w, start: time.Now()}, nil
	case "json":
		return &jsonl{enc: json.NewEncoder(w)}, nil
	case "quiet":
		return Discard, nil
	}
	return nil, fmt.Errorf("unknown progress mode %q (want one of %s)", mode, strings.Join(Modes, ", "))
}

// IsTerminal reports whether w is an *os.File open on a terminal. It reads
// no environment: mapping TERM=dumb to plain output is the caller's choice.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && f != nil && term.IsTerminal(int(f.Fd()))
}

// stamp fills the time of an event that has none.
func stamp(e Event) Event {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	return e
}

type plain struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func (p *plain) Report(e Event) {
	e = stamp(e)
	p.mu.Lock()
	defer p.mu.Unlock()
	line := fmt.Sprintf("%-9s %-28s %s", e.Kind, e.Resource, e.Status)
	if e.Detail != "" {
		line += ": " + e.Detail
	}
	fmt.Fprintf(p.w, "%s %6.2fs\n", line, e.Time.Sub(p.start).Seconds())
}

func (p *plain) Close() {}

type jsonl struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (j *jsonl) Report(e Event) {
	e = stamp(e)
	j.mu.Lock()
	defer j.mu.Unlock()
	_ = j.enc.Encode(e)
}

func (j *jsonl) Close() {}
