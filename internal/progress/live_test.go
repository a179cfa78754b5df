// Tests of the live renderer in memory: what each frame holds and that it fits the terminal.

package progress

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

var (
	liveLineRE    = regexp.MustCompile(`^ ([✔✗⠿]) (\S+) +(\S+) +(\S+) +\d+\.\ds(?:  (.*))?$`)
	liveSummaryRE = regexp.MustCompile(`^   … (?:(\d+) more failed)?(?:, )?(?:(\d+) more in progress)?(?:, )?(?:(\d+) more done)?$`)
	liveTotalsRE  = regexp.MustCompile(`^ [✔✗⠿] \S+ \d+/\d+ done.*  \d+\.\ds$`)
	frameRE       = regexp.MustCompile(`^(?:\x1b\[(\d+)A)?((?:\r\x1b\[2K[^\n\x1b]*\n)*)$`)
)

// parseFrames splits what the live renderer wrote into frames and checks
// that each one moves up exactly over the last, clears below itself and has
// at most maxLines lines (0: no limit), each a resource or the summary.
func parseFrames(t *testing.T, out string, maxLines int) [][]string {
	t.Helper()
	chunks := strings.Split(out, "\x1b[J")
	if last := chunks[len(chunks)-1]; last != "" {
		t.Fatalf("output does not end with a whole frame cleared below (ESC[J): trailing %q", last)
	}
	var frames [][]string
	prev := 0
	for i, c := range chunks[:len(chunks)-1] {
		m := frameRE.FindStringSubmatch(c)
		if m == nil {
			t.Fatalf("frame %d is malformed: %q", i, c)
		}
		up := 0
		if m[1] != "" {
			up, _ = strconv.Atoi(m[1])
		}
		if up != prev {
			t.Errorf("frame %d moves the cursor up %d lines, the frame before drew %d", i, up, prev)
		}
		var lines []string
		if m[2] != "" {
			for _, l := range strings.Split(strings.TrimSuffix(m[2], "\n"), "\n") {
				l = strings.TrimPrefix(l, "\r\x1b[2K")
				if !liveLineRE.MatchString(l) && !liveSummaryRE.MatchString(l) && !(len(lines) == 0 && liveTotalsRE.MatchString(l)) {
					t.Errorf("frame %d: line %q is neither a resource, the summary nor (first) the totals", i, l)
				}
				lines = append(lines, l)
			}
		}
		if maxLines > 0 && len(lines) > maxLines {
			t.Errorf("frame %d has %d lines, the terminal has room for %d", i, len(lines), maxLines)
		}
		prev = len(lines)
		frames = append(frames, lines)
	}
	if len(frames) == 0 {
		t.Fatal("the live renderer drew no frame")
	}
	return frames
}

// resources names the resource of each resource line, and returns the
// summary line (the hidden count) if any; the totals line is neither.
func resources(lines []string) (names []string, summary string) {
	for _, l := range lines {
		if m := liveLineRE.FindStringSubmatch(l); m != nil {
			names = append(names, m[3])
		} else if !liveTotalsRE.MatchString(l) {
			summary = l
		}
	}
	return names, summary
}

// syncBuffer is a bytes.Buffer that the renderer and the test may share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func fixedSize(width, height int) sizeFunc { return func() (int, int) { return width, height } }

func TestLiveFramesFitHeight(t *testing.T) {
	const height = 10
	var out syncBuffer
	l := newLive(&out, fixedSize(80, height))
	t0 := time.Now().Add(-time.Minute)
	name := func(i int) string { return fmt.Sprintf("s%02d", i) }
	for i := range 50 {
		l.Report(Event{Time: t0.Add(time.Duration(i) * time.Millisecond), Kind: "container", Resource: name(i), Status: "creating"})
	}
	l.mu.Lock()
	l.redraw()
	l.mu.Unlock()
	for i := range 50 {
		at := t0.Add(time.Second + time.Duration(i)*time.Millisecond)
		switch i {
		case 20, 30, 40:
			l.Report(Event{Time: at, Kind: "container", Resource: name(i), Status: "starting"})
		case 7:
			l.Report(Event{Time: at, Kind: "container", Resource: name(i), Status: "failed", Detail: "exit 2", Failed: true})
		default:
			l.Report(Event{Time: at, Kind: "container", Resource: name(i), Status: "running", Done: true})
		}
	}
	l.Close()

	frames := parseFrames(t, out.String(), height-1)
	allWorking := false // the frame drawn when all 50 were in progress
	for _, f := range frames {
		names, summary := resources(f)
		// The lines that changed last: s43 to s49.
		if len(names) == height-3 && names[0] == "s43" && summary == "   … 43 more in progress" &&
			strings.HasPrefix(f[0], " ⠿ containers 0/50 done, 50 in progress (50 creating)  ") {
			allWorking = true
		}
	}
	if !allWorking {
		t.Errorf("no frame shows the totals, the %d lines in progress that changed last and “… 43 more in progress”: %q", height-3, frames)
	}
	last := frames[len(frames)-1]
	names, summary := resources(last)
	if want := []string{"s07", "s20", "s30", "s40", "s47", "s48", "s49"}; fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("final frame shows %v, want the failed line, those in progress and the last finished, in order: %v", names, want)
	}
	if summary != "   … 43 more done" {
		t.Errorf("final summary = %q, want “… 43 more done”", summary)
	}
	if want := " ✗ containers 46/50 done, 3 in progress (3 starting), 1 failed  "; !strings.HasPrefix(last[0], want) {
		t.Errorf("totals line = %q, want it to start %q", last[0], want)
	}
	if !strings.HasPrefix(last[1], " ✗ container s07") || !strings.HasSuffix(last[1], "  exit 2") {
		t.Errorf("failed line = %q, want ✗ and its detail", last[1])
	}
}

func TestPick(t *testing.T) {
	mk := func(states string) []*liveLine {
		t0 := time.Now()
		var lines []*liveLine
		for i, s := range states {
			ln := &liveLine{ev: Event{Resource: fmt.Sprintf("r%d", i)}, started: t0.Add(time.Duration(i)), changed: t0.Add(time.Duration(i))}
			switch s {
			case 'f':
				ln.ev.Failed, ln.ended = true, t0.Add(time.Duration(i))
			case 'd':
				ln.ev.Done, ln.ended = true, t0.Add(time.Duration(i))
			case 'D': // finished long after the others
				ln.ev.Done, ln.ended = true, t0.Add(time.Hour)
			case 'W': // in progress, and changed long after the others
				ln.changed = t0.Add(time.Hour)
			}
			lines = append(lines, ln)
		}
		return lines
	}
	for _, tc := range []struct {
		states  string
		height  int
		shown   string // indexes of the shown lines
		summary string
	}{
		{"dddd", 0, "0123", ""},
		{"dddd", 5, "0123", ""},
		{"ddddd", 5, "34", "   … 3 more done"},         // with the totals
		{"wwwwww", 5, "45", "   … 4 more in progress"}, // those that changed last
		{"wWwwww", 5, "15", "   … 4 more in progress"},
		{"dDddd", 4, "14", "   … 3 more done"},
		{"ddwdfdd", 4, "24", "   … 5 more done"},
		{"wwwwwfd", 4, "45", "   … 4 more in progress, 1 more done"},
		{"ffffw", 3, "0", "   … 3 more failed, 1 more in progress"},
		{"ddd", 1, "", ""},
	} {
		shown, hidden, summary := pick(mk(tc.states), tc.height)
		var idx strings.Builder
		for _, ln := range shown {
			idx.WriteString(strings.TrimPrefix(ln.ev.Resource, "r"))
		}
		gotSummary := ""
		if summary {
			gotSummary = hidden.String()
		}
		if idx.String() != tc.shown || gotSummary != tc.summary {
			t.Errorf("pick(%s, height %d) shows %q and %q, want %q and %q", tc.states, tc.height, idx.String(), gotSummary, tc.shown, tc.summary)
		}
		rows := len(shown)
		if summary {
			rows++
		}
		if summary && withTotals(tc.height) {
			rows++
		}
		if tc.height > 0 && rows > tc.height-1 {
			t.Errorf("pick(%s, height %d) fills %d rows", tc.states, tc.height, rows)
		}
	}
}

func TestLiveShrinkingFrameClearsBelow(t *testing.T) {
	var height atomic.Int64
	height.Store(40)
	var out syncBuffer
	l := newLive(&out, func() (int, int) { return 80, int(height.Load()) })
	for i := range 20 {
		l.Report(Event{Kind: "container", Resource: fmt.Sprintf("s%02d", i), Status: "running", Done: true})
	}
	l.mu.Lock()
	l.redraw()
	l.mu.Unlock()
	height.Store(6)
	l.Close()

	frames := parseFrames(t, out.String(), 0)
	if n := len(frames[0]); n != 20 {
		t.Fatalf("first frame has %d lines, want all 20", n)
	}
	last := frames[len(frames)-1]
	if len(last) != 5 || last[4] != "   … 17 more done" || !strings.HasPrefix(last[0], " ✔ containers 20/20 done  ") {
		t.Errorf("frame after the terminal shrank = %q, want the totals, 3 lines and “… 17 more done”", last)
	}
}

func TestFitNeverWraps(t *testing.T) {
	long := "Bind for 0.0.0.0:8080 failed:\n\tport is \x1b[31malready\x1b[0m allocated " + strings.Repeat("é", 80)
	for _, width := range []int{1, 2, 10, 40, 100} {
		got := fit(long, width)
		if n := utf8.RuneCountInString(got); n > width-1 {
			t.Errorf("fit(width %d) is %d cells: %q", width, n, got)
		}
		if strings.ContainsAny(got, "\n\t\x1b") {
			t.Errorf("fit(width %d) kept control characters: %q", width, got)
		}
		if width > 2 && !strings.HasSuffix(got, "…") {
			t.Errorf("fit(width %d) = %q, want a cut marked with …", width, got)
		}
	}
	if got := fit("short", 0); got != "short" {
		t.Errorf("fit with unknown width = %q, want it unchanged", got)
	}
}

func TestLiveConcurrentReports(t *testing.T) {
	const height = 12
	var out syncBuffer
	l := newLive(&out, fixedSize(120, height))
	var wg sync.WaitGroup
	stop := time.Now().Add(3 * liveInterval) // long enough for the ticker to draw while reports arrive
	for w := range 8 {
		wg.Go(func() {
			for i := 0; time.Now().Before(stop); i++ {
				name := fmt.Sprintf("w%d-%03d", w, i%40)
				l.Report(Event{Kind: "container", Resource: name, Status: "starting"})
				l.Report(Event{Kind: "container", Resource: name, Status: "running", Done: i%7 != 0, Failed: i%97 == 0})
			}
		})
	}
	wg.Wait()
	l.Close()
	frames := parseFrames(t, out.String(), height-1)
	if len(frames) < 2 {
		t.Errorf("got %d frames, want the ticker to have drawn while reports arrived", len(frames))
	}
	if _, summary := resources(frames[len(frames)-1]); summary == "" {
		t.Error("final frame of 320 resources on 12 rows has no summary line")
	}
}

func TestByStatusNamesTheCommonestThree(t *testing.T) {
	got := byStatus(map[string]int{"created": 80, "started": 57, "health: starting": 40, "starting": 8, "recreating": 1})
	if want := "80 created, 57 started, 40 health: starting, 9 other"; got != want {
		t.Errorf("byStatus = %q, want %q", got, want)
	}
}
