// The page in a real browser: headless Chromium opens the rendered report as file:// and checks what a person would see.

package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/experiment"
	"github.com/chromedp/chromedp"
)

// screenshotDir is where the browser test leaves its PNGs (ignored by git).
const screenshotDir = "testdata/out"

// markJS lists the detect and recover marks as the page shows them.
const markJS = `[...document.querySelectorAll('.detect-mark, .recover-mark')].map(g => ({
	detect: g.classList.contains('detect-mark'),
	never: g.classList.contains('never'),
	fault: +g.dataset.fault,
	raw: g.dataset.detectMs ?? g.dataset.recoverMs ?? null,
	label: g.querySelector('.mark-label').textContent,
}))`

type shownMark struct {
	Detect, Never bool
	Fault         int
	Raw           *string
	Label         string
}

func TestReportInChromium(t *testing.T) {
	t.Parallel()
	// It runs under -short too: it takes about a second, and pages are
	// tested in a browser or not at all.
	if _, err := ChromiumPath(); err != nil {
		t.Fatalf("the report is tested in headless Chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	j := sampleJournal()
	v := openRendered(ctx, t, j, "report.html")
	defer v.close()
	checkClean(t, v)

	n, err := chromedp.Run(v.ctx, chromedp.Evaluate[int](`document.querySelectorAll('svg .fault-window').length`))
	if err != nil || n != len(j.Faults) {
		t.Errorf("the timeline shades %d fault windows (err %v), the journal has %d faults", n, err, len(j.Faults))
	}
	marks, err := chromedp.Run(v.ctx, chromedp.Evaluate[[]shownMark](markJS))
	if err != nil {
		t.Fatal(err)
	}
	checkMarks(t, j, marks)
	cells, err := chromedp.Run(v.ctx, chromedp.Evaluate[[][2]string](
		`[...document.querySelectorAll('td.detect[data-detect-ms]')].map(td => [td.dataset.detectMs, td.textContent])`))
	if err != nil || len(cells) != 2 || cells[0] != [2]string{"120.4", Ms(120.4)} || cells[1] != [2]string{"850.5", Ms(850.5)} {
		t.Errorf("the fault table shows detections %q (err %v), want 120.4 → %s and 850.5 → %s", cells, err, Ms(120.4), Ms(850.5))
	}

	wide, err := chromedp.Run(v.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil || wide > ViewportWidth {
		t.Errorf("the page is %dpx wide at a %dpx window (err %v): it scrolls sideways", wide, ViewportWidth, err)
	}
	shoot(t, v, "report.png")

	// The stress case: long run, overlapping faults, 20 services.
	if err := v.open(render(t, stressJournal(), "stress.html")); err != nil {
		t.Fatal(err)
	}
	checkClean(t, v)
	shoot(t, v, "stress.png")

	if err := v.open(render(t, &experiment.Journal{}, "empty.html")); err != nil {
		t.Fatal(err)
	}
	checkClean(t, v)
	shoot(t, v, "empty.png")
}

// openRendered renders the journal into a temp file and opens it.
func openRendered(ctx context.Context, t *testing.T, j *experiment.Journal, name string) *visit {
	t.Helper()
	v, err := openPage(ctx, render(t, j, name))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// render writes the journal's page into the test's temp dir.
func render(t *testing.T, j *experiment.Journal, name string) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, j); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkClean fails on console errors and on any request but the file.
func checkClean(t *testing.T, v *visit) {
	t.Helper()
	// One round trip, so every event of the load has been noted.
	if _, err := chromedp.Run(v.ctx, chromedp.Evaluate[int](`1`)); err != nil {
		t.Fatal(err)
	}
	for _, e := range v.errors() {
		t.Errorf("console: %s", e)
	}
	for _, u := range v.foreign() {
		t.Errorf("the page asked the network for %s; it must stand alone", u)
	}
	if !slices.Contains(v.asked(), v.url) {
		t.Errorf("the network listener did not even see the page's own file %s (saw %v)", v.url, v.asked())
	}
}

// checkMarks compares the marks shown with the journal's faults.
func checkMarks(t *testing.T, j *experiment.Journal, marks []shownMark) {
	t.Helper()
	want := 0
	for _, f := range j.Faults {
		want++
		if f.DetectMS != nil {
			want++
		}
	}
	if len(marks) != want {
		t.Errorf("the page shows %d detect/recover marks, want %d", len(marks), want)
	}
	for _, m := range marks {
		f := j.Faults[m.Fault]
		var ms *float64
		label := "did not recover"
		if m.Detect {
			ms, label = f.DetectMS, "detected "
		} else if f.RecoverMS != nil {
			ms, label = f.RecoverMS, "recovered "
		}
		if ms != nil {
			label += Ms(*ms)
			if m.Raw == nil {
				t.Errorf("fault %d: mark %q has no raw figure", m.Fault, m.Label)
			} else if got, err := strconv.ParseFloat(*m.Raw, 64); err != nil || got != *ms {
				t.Errorf("fault %d: mark %q carries %q, the journal says %v", m.Fault, m.Label, *m.Raw, *ms)
			}
		}
		if m.Label != label {
			t.Errorf("fault %d: the page shows %q, want %q", m.Fault, m.Label, label)
		}
	}
}

// shoot writes a full-page screenshot and checks it is not blank.
func shoot(t *testing.T, v *visit, name string) {
	t.Helper()
	path := filepath.Join(screenshotDir, name)
	if err := v.screenshot(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != ViewportWidth || b.Dy() < ViewportHeight/2 {
		t.Errorf("%s is %dx%d, want %d wide", path, b.Dx(), b.Dy(), ViewportWidth)
	}
	if n := colours(img, 200); n < 50 {
		t.Errorf("%s has %d distinct colours: blank?", path, n)
	}
	t.Logf("screenshot: %s", path)
}

// colours counts the distinct colours of img, up to limit.
func colours(img image.Image, limit int) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// Screenshot, as the README's picture is made: it writes the PNG, and it
// refuses a page that reaches for the network.
func TestScreenshot(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(screenshotDir, "screenshot.png")
	if err := Screenshot(ctx, render(t, sampleJournal(), "report.html"), png); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(png); err != nil || fi.Size() < 10000 {
		t.Errorf("Screenshot wrote %v (err %v)", fi, err)
	}

	leaky := filepath.Join(t.TempDir(), "leaky.html")
	page := `<!DOCTYPE html><title>x</title><img src="http://127.0.0.1:9/pixel.png"><script>console.error("boom")</script>`
	if err := os.WriteFile(leaky, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Screenshot(ctx, leaky, filepath.Join(t.TempDir(), "leaky.png"))
	if err == nil || !strings.Contains(err.Error(), "http://127.0.0.1:9/pixel.png") || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Screenshot of a page that fetches and logs an error = %v; want both named", err)
	}
}

// Without a browser the error says how to get one.
func TestChromiumPathSaysHowToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CHROMIUM", "")
	if _, err := ChromiumPath(); err == nil || !strings.Contains(err.Error(), "apt-get install -y chromium") {
		t.Errorf("ChromiumPath() without a browser = %v", err)
	}
}
