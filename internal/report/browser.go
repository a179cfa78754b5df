// Headless Chromium for the report: open a page as file://, watch what it logs and fetches, take a full-page screenshot.

package report

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Viewport is the window the page is opened in: the size the report is
// laid out for.
const (
	ViewportWidth  = 1280
	ViewportHeight = 800
)

// chromiumNames are the browser binaries looked for on PATH, in order.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell", "headless_shell"}

// ChromiumPath finds the browser: $CHROMIUM when set, else the first of
// the usual names on PATH. The error says how to install it.
func ChromiumPath() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return exec.LookPath(p)
	}
	for _, n := range chromiumNames {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on PATH (looked for " + strings.Join(chromiumNames, ", ") +
		"); install it with: apt-get update && apt-get install -y chromium")
}

// Screenshot opens the HTML file in headless Chromium at 1280×800 and
// writes a PNG of the whole page to pngPath. It fails when the page logs
// an error or asks for anything but the file itself, because a report
// must stand alone.
func Screenshot(ctx context.Context, htmlPath, pngPath string) error {
	v, err := openPage(ctx, htmlPath)
	if err != nil {
		return err
	}
	defer v.close()
	if err := v.problem(); err != nil {
		return err
	}
	return v.screenshot(pngPath)
}

// visit is a page opened in its own browser, and what it did.
type visit struct {
	ctx    context.Context
	cancel func()
	url    string

	mu       sync.Mutex
	errs     []string // console errors, exceptions, error log entries
	requests []string // every URL the page asked for
}

// openPage starts a browser, listens to the page's console, exceptions,
// log and network, and loads the file. Close the visit when done.
func openPage(ctx context.Context, htmlPath string) (*visit, error) {
	exe, err := ChromiumPath()
	if err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(ViewportWidth, ViewportHeight))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	v := &visit{ctx: bctx}
	v.cancel = func() { bcancel(); acancel() }
	if err := chromedp.Listen(bctx, v.note); err != nil {
		v.close()
		return nil, fmt.Errorf("report: starting %s: %w", exe, err)
	}
	if err := v.open(htmlPath); err != nil {
		v.close()
		return nil, err
	}
	return v, nil
}

// open loads another file in the same tab; what the previous page did is
// forgotten.
func (v *visit) open(htmlPath string) error {
	abs, err := filepath.Abs(htmlPath)
	if err != nil {
		return fmt.Errorf("report: %s: %w", htmlPath, err)
	}
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	v.mu.Lock()
	v.url, v.errs, v.requests = u, nil, nil
	v.mu.Unlock()
	if err := chromedp.Do(v.ctx, chromedp.Navigate(u)); err != nil {
		return fmt.Errorf("report: opening %s in chromium: %w", u, err)
	}
	return nil
}

// note records one event of the page; it runs on chromedp's reader, so
// it only appends.
func (v *visit) note(ev any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			v.errs = append(v.errs, "console."+string(e.Type)+": "+argsText(e.Args))
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		v.errs = append(v.errs, "exception: "+msg)
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError {
			v.errs = append(v.errs, "log "+string(e.Entry.Source)+": "+e.Entry.Text+" "+e.Entry.URL)
		}
	case *network.EventRequestWillBeSent:
		v.requests = append(v.requests, e.Request.URL)
	}
}

func argsText(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		if len(a.Value) > 0 {
			parts = append(parts, string(a.Value))
		} else {
			parts = append(parts, a.Description)
		}
	}
	return strings.Join(parts, " ")
}

// errors is what the page logged as errors so far.
func (v *visit) errors() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.errs...)
}

// asked is every URL the page requested, its own file included.
func (v *visit) asked() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.requests...)
}

// foreign is every request for something other than the page's file.
func (v *visit) foreign() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	self := v.url
	for _, u := range v.requests {
		if u != self {
			out = append(out, u)
		}
	}
	return out
}

// problem is the page's errors and foreign requests as one error.
func (v *visit) problem() error {
	var errs []error
	for _, e := range v.errors() {
		errs = append(errs, fmt.Errorf("%s: %s", v.url, e))
	}
	for _, u := range v.foreign() {
		errs = append(errs, fmt.Errorf("%s asked the network for %s; the report must stand alone", v.url, u))
	}
	return errors.Join(errs...)
}

// screenshot writes a PNG of the whole page.
func (v *visit) screenshot(pngPath string) error {
	png, err := chromedp.Run(v.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("report: screenshot of %s: %w", v.url, err)
	}
	if err := os.WriteFile(pngPath, png, 0o644); err != nil {
		return fmt.Errorf("report: writing the screenshot: %w", err)
	}
	return nil
}

// close stops the browser.
func (v *visit) close() { v.cancel() }
