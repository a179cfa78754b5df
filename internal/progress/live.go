// The live (tty) renderer: one line per resource, redrawn in place, never taller than the terminal.

package progress

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// liveInterval is how often the live renderer redraws.
const liveInterval = 100 * time.Millisecond

// sizeFunc returns the terminal's width and height in cells; 0 means
// unknown, and an unknown dimension is treated as unlimited.
type sizeFunc func() (width, height int)

// terminalSize asks the terminal behind w for its size at every call, so a
// resized window is followed. Anything but a terminal says 0, 0.
func terminalSize(w io.Writer) sizeFunc {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return func() (int, int) { return 0, 0 }
	}
	fd := int(f.Fd())
	return func() (int, int) {
		width, height, err := term.GetSize(fd)
		if err != nil {
			return 0, 0
		}
		return width, height
	}
}

// live keeps one line per resource and redraws them in place, as compose
// does on a terminal. A frame never has more than height-1 lines: the cursor
// can only move up within the screen, so a taller frame would scroll its top
// off and the next frame would be drawn over the wrong rows.
type live struct {
	mu        sync.Mutex
	w         io.Writer
	size      sizeFunc
	lines     map[string]*liveLine
	order     []*liveLine // first-seen order
	drawn     int         // lines drawn by the last frame, where the cursor goes back up to
	buf       bytes.Buffer
	ticker    *time.Ticker
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

type liveLine struct {
	ev      Event
	started time.Time
	ended   time.Time
}

func (ln *liveLine) failed() bool   { return ln.ev.Failed }
func (ln *liveLine) finished() bool { return ln.ev.Done && !ln.ev.Failed }

// newLive starts a live renderer on w; size may be nil (unlimited).
func newLive(w io.Writer, size sizeFunc) *live {
	if size == nil {
		size = func() (int, int) { return 0, 0 }
	}
	l := &live{w: w, size: size, lines: map[string]*liveLine{}, ticker: time.NewTicker(liveInterval),
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
		l.order = append(l.order, ln)
	}
	ln.ev = e
	if e.Done || e.Failed {
		ln.ended = e.Time
	} else {
		ln.ended = time.Time{}
	}
}

// Close stops the ticker and draws the final state once more, by the same
// rules as every other frame. Calling it twice is harmless.
func (l *live) Close() {
	l.closeOnce.Do(func() {
		l.ticker.Stop()
		close(l.stop)
		<-l.done
		l.mu.Lock()
		defer l.mu.Unlock()
		l.redraw()
	})
}

// redraw moves the cursor back to the top of the last frame, draws the new
// one and clears whatever the last frame left below it. The frame goes out
// in one write. The caller holds l.mu.
func (l *live) redraw() {
	width, height := l.size()
	lines := l.frame(width, height, time.Now())
	if len(lines) == 0 && l.drawn == 0 {
		return
	}
	l.buf.Reset()
	if l.drawn > 0 {
		fmt.Fprintf(&l.buf, "\x1b[%dA", l.drawn)
	}
	for _, s := range lines {
		l.buf.WriteString("\r\x1b[2K")
		l.buf.WriteString(s)
		l.buf.WriteByte('\n')
	}
	l.buf.WriteString("\x1b[J")
	_, _ = l.w.Write(l.buf.Bytes())
	l.drawn = len(lines)
}

// frame is the text of one frame: the lines chosen to fit height, each cut
// to width, and a summary of the hidden ones if any are.
func (l *live) frame(width, height int, now time.Time) []string {
	all := append([]*liveLine(nil), l.order...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].started.Before(all[j].started) })
	shown, hidden, summary := pick(all, height)
	out := make([]string, 0, len(shown)+1)
	for _, ln := range shown {
		out = append(out, fit(ln.text(now), width))
	}
	if summary {
		out = append(out, fit(hidden.String(), width))
	}
	return out
}

func (ln *liveLine) text(now time.Time) string {
	end := ln.ended
	if end.IsZero() {
		end = now
	}
	mark := "⠿"
	switch {
	case ln.ev.Failed:
		mark = "✗"
	case ln.ev.Done:
		mark = "✔"
	}
	text := fmt.Sprintf(" %s %-9s %-28s %-10s %5.1fs", mark, ln.ev.Kind, ln.ev.Resource, ln.ev.Status, end.Sub(ln.started).Seconds())
	if ln.ev.Detail != "" {
		text += "  " + ln.ev.Detail
	}
	return text
}

// hiddenCount counts the lines a frame leaves out, by state.
type hiddenCount struct{ failed, working, done int }

func (h hiddenCount) String() string {
	var parts []string
	if h.failed > 0 {
		parts = append(parts, fmt.Sprintf("%d more failed", h.failed))
	}
	if h.working > 0 {
		parts = append(parts, fmt.Sprintf("%d more in progress", h.working))
	}
	if h.done > 0 {
		parts = append(parts, fmt.Sprintf("%d more done", h.done))
	}
	return "   … " + strings.Join(parts, ", ")
}

// pick chooses the lines of a frame for a terminal of height rows (0 means
// unlimited). All of them fit in height-1 rows or none are left out.
// Otherwise one row goes to the summary and the rest, in this order of
// priority, to failed lines, lines in progress, and the most recently
// finished lines; the chosen ones keep their order in lines.
func pick(lines []*liveLine, height int) (shown []*liveLine, hidden hiddenCount, summary bool) {
	rows := height - 1
	if height <= 0 || len(lines) <= rows {
		return lines, hiddenCount{}, false
	}
	var failed, working, finished []int
	for i, ln := range lines {
		switch {
		case ln.failed():
			failed = append(failed, i)
		case ln.finished():
			finished = append(finished, i)
		default:
			working = append(working, i)
		}
	}
	sort.SliceStable(finished, func(a, b int) bool {
		return lines[finished[a]].ended.After(lines[finished[b]].ended)
	})
	rank := slices.Concat(failed, working, finished)
	keep := make([]bool, len(lines))
	for _, i := range rank[:max(rows-1, 0)] {
		keep[i] = true
	}
	for i, ln := range lines {
		switch {
		case keep[i]:
			shown = append(shown, ln)
		case ln.failed():
			hidden.failed++
		case ln.finished():
			hidden.done++
		default:
			hidden.working++
		}
	}
	return shown, hidden, rows > 0
}

// fit makes s safe to redraw on one row of a terminal width cells wide (0
// means unknown): control characters, newlines included, become spaces, and
// a longer line is cut, ending in "…", so that it never wraps.
func fit(s string, width int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || (r >= 0x7f && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
	room := width - 1
	if width <= 0 || utf8.RuneCountInString(s) <= room {
		return s
	}
	if room < 1 {
		return ""
	}
	r := []rune(s)
	return string(r[:room-1]) + "…"
}
