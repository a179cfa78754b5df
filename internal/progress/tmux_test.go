// Tests of the live renderer in a real terminal: a helper process draws into a tmux pane and the test reads the screen.

package progress

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/term"
)

// The helper process: the test binary run again, inside a tmux pane, with
// helperEnv set. It is started from TestMain rather than from a test
// function, so no test in the list passes without asserting anything.
const (
	helperEnv        = "PROGRESS_HELPER"
	helperReleaseEnv = "PROGRESS_HELPER_RELEASE" // file whose appearance lets the helper exit
	helperCountEnv   = "PROGRESS_HELPER_COUNT"   // how many resources it reports
	helperResources  = 100
	helperFailed     = "s042"
	helperMarker     = "DONE"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(helperMain())
	}
	os.Exit(m.Run())
}

// helperMain reports helperResources containers (or $PROGRESS_HELPER_COUNT) on the terminal it runs in,
// ten at a time, one of them failing with a long two-line error, then
// prints the marker (without a newline, so the screen does not scroll) and
// waits for the test to have read the screen.
func helperMain() int {
	rep, err := New("tty", os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	names := make(chan string)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for name := range names {
				helperResource(rep, name)
			}
		})
	}
	count := helperResources
	if n, err := strconv.Atoi(os.Getenv(helperCountEnv)); err == nil {
		count = n
	}
	for i := range count {
		names <- fmt.Sprintf("s%03d", i)
	}
	close(names)
	wg.Wait()
	rep.Close()
	width, height, _ := term.GetSize(int(os.Stdout.Fd()))
	fmt.Printf("%s terminal=%t size=%dx%d", helperMarker, IsTerminal(os.Stdout), width, height)
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(os.Getenv(helperReleaseEnv)); err == nil {
			return 0
		}
	}
	return 1
}

func helperResource(rep Reporter, name string) {
	step := func(status string) {
		rep.Report(Event{Kind: "container", Resource: name, Status: status})
		time.Sleep(30 * time.Millisecond)
	}
	step("creating")
	if name == helperFailed {
		rep.Report(Event{Kind: "container", Resource: name, Status: "failed", Failed: true,
			Detail: "driver failed programming external connectivity on endpoint " + name +
				":\nBind for 0.0.0.0:8080 failed: port is already allocated"})
		return
	}
	step("created")
	step("starting")
	rep.Report(Event{Kind: "container", Resource: name, Status: "running", Done: true})
}

func TestLiveInTmuxShortPane(t *testing.T) {
	t.Parallel()
	const width, height = 100, 24
	lines := runInTmux(t, width, height, helperResources)
	checkShortScreen(t, lines, height, helperResources)
}

// 200 containers on a 24-row terminal: the totals, the lines that matter,
// and a count of the rest, never 200 lines redrawn.
func TestLiveInTmuxTwoHundredOnAShortPane(t *testing.T) {
	t.Parallel()
	const width, height, count = 120, 24, 200
	lines := runInTmux(t, width, height, count)
	checkShortScreen(t, lines, height, count)
}

// checkShortScreen checks the last frame of count resources on a pane of
// height rows: the totals first, a full pane of resource lines less the
// totals, the hidden count and the marker, and the hidden count last.
func checkShortScreen(t *testing.T, lines []string, height, count int) {
	t.Helper()
	if len(lines) > height-1 {
		t.Errorf("%d progress lines on a %d-row pane, want at most %d", len(lines), height, height-1)
	}
	if want := fmt.Sprintf(" ✗ containers %d/%d done, 1 failed  ", count-1, count); len(lines) == 0 || !strings.HasPrefix(lines[0], want) {
		t.Errorf("the screen does not open with the totals %q:\n%s", want, strings.Join(lines, "\n"))
	}
	seen := checkScreen(t, lines)
	if len(seen) != height-3 {
		t.Errorf("%d resource lines, want %d (a full pane less the totals, the summary and the marker)", len(seen), height-3)
	}
	wantSummary := fmt.Sprintf("   … %d more done", count-(height-3))
	if !containsLine(lines, wantSummary) {
		t.Errorf("no summary line %q on the screen:\n%s", wantSummary, strings.Join(lines, "\n"))
	}
}

func TestLiveInTmuxTallPane(t *testing.T) {
	t.Parallel()
	const width, height = 100, 120
	lines := runInTmux(t, width, height, helperResources)
	seen := checkScreen(t, lines)
	if len(seen) != helperResources || len(lines) != helperResources {
		t.Errorf("%d lines naming %d resources on a %d-row pane, want all %d, once each and no summary",
			len(lines), len(seen), height, helperResources)
	}
}

// checkScreen checks the progress lines the helper left on the screen:
// none garbled or repeated, the failed resource marked ✗, every other one
// ✔ running. It returns the resources shown.
func checkScreen(t *testing.T, lines []string) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for i, l := range lines {
		if liveSummaryRE.MatchString(l) || (i == 0 && liveTotalsRE.MatchString(l)) {
			continue
		}
		m := liveLineRE.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("line %d is garbled: %q", i+1, l)
			continue
		}
		mark, res, status := m[1], m[3], m[4]
		if seen[res] {
			t.Errorf("line %d: %s appears twice", i+1, res)
		}
		seen[res] = true
		switch {
		case res == helperFailed && (mark != "✗" || status != "failed"):
			t.Errorf("line %d: failed resource shown as %q", i+1, l)
		case res != helperFailed && (mark != "✔" || status != "running"):
			t.Errorf("line %d: finished resource shown as %q", i+1, l)
		}
	}
	if !seen[helperFailed] {
		t.Errorf("the failed resource %s is not on the screen:\n%s", helperFailed, strings.Join(lines, "\n"))
	}
	return seen
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

var unsafeSocketChars = regexp.MustCompile(`[^A-Za-z0-9-]+`)

// runInTmux runs the helper in a detached tmux pane of width×height on a
// private server, waits for its marker and returns every line above the
// marker, scrollback included, so that lines pushed off the top count too.
func runInTmux(t *testing.T, width, height, count int) []string {
	t.Helper()
	tmuxPath, err := exec.LookPath("tmux")
	if err != nil {
		t.Fatalf("tmux is needed to test the live renderer in a real terminal (apt-get install -y tmux): %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf, release := filepath.Join(dir, "tmux.conf"), filepath.Join(dir, "release")
	if err := os.WriteFile(conf, []byte("set -g status off\nset -g remain-on-exit on\nset -g history-limit 10000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	socket := fmt.Sprintf("chainctl-progress-%d-%s", os.Getpid(), unsafeSocketChars.ReplaceAllString(t.Name(), "-"))
	tmux := func(args ...string) (string, error) {
		cmd := exec.Command(tmuxPath, append([]string{"-L", socket, "-f", conf}, args...)...)
		cmd.Env = withoutTmux(os.Environ())
		out, err := cmd.CombinedOutput()
		if err != nil {
			return string(out), fmt.Errorf("tmux %s: %w: %s", strings.Join(args, " "), err, out)
		}
		return string(out), nil
	}
	var socketPath string // tmux leaves its socket file behind; remove it after the server
	t.Cleanup(func() {
		_, _ = tmux("kill-server")
		if socketPath != "" {
			_ = os.Remove(socketPath)
		}
	})

	helper := fmt.Sprintf("exec env %s=1 %s=%d %s=%s %s -test.run='^$'", helperEnv, helperCountEnv, count, helperReleaseEnv, shellQuote(release), shellQuote(exe))
	if _, err := tmux("new-session", "-d", "-s", "progress", "-x", fmt.Sprint(width), "-y", fmt.Sprint(height), helper); err != nil {
		t.Fatal(err)
	}
	if out, err := tmux("display-message", "-p", "#{socket_path}"); err == nil && strings.Contains(out, socket) {
		socketPath = strings.TrimSpace(out)
	}
	screen, err := waitForMarker(tmux, 60*time.Second)
	if err != nil {
		t.Fatalf("%v; the pane shows:\n%s", err, screen)
	}
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(screen, "\n "), "\n")
	marker := lines[len(lines)-1]
	if want := fmt.Sprintf("%s terminal=true size=%dx%d", helperMarker, width, height); marker != want {
		t.Fatalf("last line is %q, want %q (the helper's stdout must be the %dx%d pane); the pane shows:\n%s",
			marker, want, width, height, screen)
	}
	return lines[:len(lines)-1]
}

// waitForMarker polls the pane, history included, until the helper's marker
// shows, the helper dies or the deadline passes. It returns the last capture.
func waitForMarker(tmux func(...string) (string, error), wait time.Duration) (string, error) {
	var screen string
	for deadline := time.Now().Add(wait); ; time.Sleep(50 * time.Millisecond) {
		var err error
		screen, err = tmux("capture-pane", "-p", "-t", "progress", "-S", "-")
		if err != nil {
			return screen, err
		}
		if strings.Contains(screen, helperMarker+" terminal=") {
			return screen, nil
		}
		if dead, _ := tmux("display-message", "-p", "-t", "progress", "#{pane_dead}"); strings.TrimSpace(dead) == "1" {
			return screen, errors.New("the helper exited before printing its marker")
		}
		if time.Now().After(deadline) {
			return screen, fmt.Errorf("no %q marker after %s", helperMarker, wait)
		}
	}
}

func withoutTmux(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "TMUX=") && !strings.HasPrefix(kv, "TMUX_PANE=") {
			out = append(out, kv)
		}
	}
	return out
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
