// Package progress reports what chainctl is doing, resource by resource, on
// stderr: live lines on a terminal, plain lines when piped, JSON for
// machines, or nothing.
package progress

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
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

// New returns the reporter for mode, writing to w. "auto" picks tty when w
// is a terminal and plain otherwise.
func New(mode string, w io.Writer) (Closer, error) {
	switch mode {
	case "", "auto":
		if isTerminal(w) {
			return newLive(w), nil
		}
		return &plain{w: w, start: time.Now()}, nil
	case "tty":
		return newLive(w), nil
	case "plain":
		return &plain{w: w, start: time.Now()}, nil
	case "json":
		return &jsonl{enc: json.NewEncoder(w)}, nil
	case "quiet":
		return Discard, nil
	}
	return nil, fmt.Errorf("unknown progress mode %q (want one of %s)", mode, strings.Join(Modes, ", "))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
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

// live keeps one line per resource and redraws them in place, as compose
// does on a terminal.
type live struct {
	mu     sync.Mutex
	w      io.Writer
	lines  map[string]*liveLine
	order  []string
	drawn  int
	ticker *time.Ticker
	stop   chan struct{}
	done   chan struct{}
}

type liveLine struct {
	ev      Event
	started time.Time
	ended   time.Time
}

func newLive(w io.Writer) *live {
	l := &live{w: w, lines: map[string]*liveLine{}, ticker: time.NewTicker(100 * time.Millisecond),
		stop: make(chan struct{}), done: make(chan struct{})}
	go l.loop()
	return l
}

func (l *live) loop() {
	defer close(l.done)
	for {
		select {
		case <-l.ticker.C:
			l.mu.Lock()
			l.redraw()
			l.mu.Unlock()
		case <-l.stop:
			return
		}
	}
}

func (l *live) Report(e Event) {
	e = stamp(e)
	key := e.Kind + " " + e.Resource
	l.mu.Lock()
	defer l.mu.Unlock()
	ln, ok := l.lines[key]
	if !ok {
		ln = &liveLine{started: e.Time}
		l.lines[key] = ln
		l.order = append(l.order, key)
	}
	ln.ev = e
	if e.Done || e.Failed {
		ln.ended = e.Time
	} else {
		ln.ended = time.Time{}
	}
}

func (l *live) redraw() {
	if l.drawn > 0 {
		fmt.Fprintf(l.w, "\x1b[%dA", l.drawn)
	}
	keys := append([]string(nil), l.order...)
	sort.SliceStable(keys, func(i, j int) bool { return l.lines[keys[i]].started.Before(l.lines[keys[j]].started) })
	now := time.Now()
	for _, k := range keys {
		ln := l.lines[k]
		end := ln.ended
		if end.IsZero() {
			end = now
		}
		mark := " ⠿"
		switch {
		case ln.ev.Failed:
			mark = " ✗"
		case ln.ev.Done:
			mark = " ✔"
		}
		text := fmt.Sprintf("%s %-9s %-28s %-10s %5.1fs", mark, ln.ev.Kind, ln.ev.Resource, ln.ev.Status, end.Sub(ln.started).Seconds())
		if ln.ev.Detail != "" {
			text += "  " + ln.ev.Detail
		}
		fmt.Fprintf(l.w, "\x1b[2K%s\n", text)
	}
	l.drawn = len(keys)
}

// Close draws the final state once more and stops the ticker.
func (l *live) Close() {
	l.ticker.Stop()
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	l.redraw()
}
