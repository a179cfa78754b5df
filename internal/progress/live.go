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
	first     time.Time   // the first event's time, where the totals' clock starts
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
	changed time.Time // when its status last changed: what "still changing" means
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
	if l.first.IsZero() {
		l.first = e.Time
	}
	ln, ok := l.lines[key]
	if !ok {
		ln = &liveLine{started: e.Time}
		l.lines[key] = ln
		l.order = append(l.order, ln)
	}
	if !ok || ln.ev.Status != e.Status || ln.ev.Done != e.Done || ln.ev.Failed != e.Failed {
		ln.changed = e.Time
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
// to width. When some are left out, the frame opens with the totals of
// every kind and ends with a count of the hidden lines, as compose's
// progress does for a project taller than the terminal.
func (l *live) frame(width, height int, now time.Time) []string {
	all := append([]*liveLine(nil), l.order...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].started.Before(all[j].started) })
	shown, hidden, summary := pick(all, height)
	out := make([]string, 0, len(shown)+2)
	if summary && withTotals(height) {
		out = append(out, fit(totals(all, l.first, now), width))
	}
	for _, ln := range shown {
		out = append(out, fit(ln.text(now), width))
	}
	if summary {
		out = append(out, fit(hidden.String(), width))
	}
	return out
}

// totals is the frame's opening line when it cannot show every line: per
// kind (those still in progress or failed first, then in first-seen
// order), how many are done of how many, how many are in progress and at
// which status, and how many failed; then the time since the first event.
func totals(lines []*liveLine, first time.Time, now time.Time) string {
	type count struct {
		all, done, working, failed int
		status                     map[string]int // of those in progress
	}
	var kinds []string
	end := first // when nothing is in progress, the clock stops at the last end
	busy := false
	by := map[string]*count{}
	for _, ln := range lines {
		c := by[ln.ev.Kind]
		if c == nil {
			c = &count{status: map[string]int{}}
			by[ln.ev.Kind] = c
			kinds = append(kinds, ln.ev.Kind)
		}
		c.all++
		switch {
		case ln.failed():
			c.failed++
		case ln.finished():
			c.done++
		default:
			c.working++
			c.status[ln.ev.Status]++
			busy = true
		}
		if ln.ended.After(end) {
			end = ln.ended
		}
	}
	if busy {
		end = now
	}
	// The kinds still moving first: they are what the line is read for.
	sort.SliceStable(kinds, func(i, j int) bool {
		return by[kinds[i]].working+by[kinds[i]].failed > 0 && by[kinds[j]].working+by[kinds[j]].failed == 0
	})
	mark := "✔"
	var parts []string
	for _, k := range kinds {
		c := by[k]
		part := fmt.Sprintf("%s %d/%d done", plural(k, c.all), c.done, c.all)
		if c.working > 0 {
			part += fmt.Sprintf(", %d in progress (%s)", c.working, byStatus(c.status))
			if mark != "✗" {
				mark = "⠿"
			}
		}
		if c.failed > 0 {
			part += fmt.Sprintf(", %d failed", c.failed)
			mark = "✗"
		}
		parts = append(parts, part)
	}
	return fmt.Sprintf(" %s %s  %.1fs", mark, strings.Join(parts, " · "), end.Sub(first).Seconds())
}

// byStatus says how many lines are at each status, the commonest first,
// at most three named.
func byStatus(status map[string]int) string {
	names := make([]string, 0, len(status))
	for st := range status {
		names = append(names, st)
	}
	sort.Slice(names, func(i, j int) bool {
		if status[names[i]] != status[names[j]] {
			return status[names[i]] > status[names[j]]
		}
		return names[i] < names[j]
	})
	var parts []string
	rest := 0
	for i, st := range names {
		if i < 3 {
			parts = append(parts, fmt.Sprintf("%d %s", status[st], st))
		} else {
			rest += status[st]
		}
	}
	if rest > 0 {
		parts = append(parts, fmt.Sprintf("%d other", rest))
	}
	return strings.Join(parts, ", ")
}

// withTotals: a frame that leaves lines out opens with the totals, unless
// the terminal is so short that they would take the last lines' place.
func withTotals(height int) bool { return height >= 5 }

func plural(kind string, n int) string {
	if n == 1 {
		return kind
	}
	return kind + "s"
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
// Otherwise two rows go to the totals and the count of hidden lines (only
// the count on a terminal under 5 rows), and the rest, in this order of priority, to
// failed lines, lines in progress that changed most recently (a line
// still "created" while others start is not news), and the most recently
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
	sort.SliceStable(working, func(a, b int) bool {
		return lines[working[a]].changed.After(lines[working[b]].changed)
	})
	sort.SliceStable(finished, func(a, b int) bool {
		return lines[finished[a]].ended.After(lines[finished[b]].ended)
	})
	rank := slices.Concat(failed, working, finished)
	keep := make([]bool, len(lines))
	overhead := 1 // the hidden count
	if withTotals(height) {
		overhead = 2 // and the totals
	}
	for _, i := range rank[:max(rows-overhead, 0)] {
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
