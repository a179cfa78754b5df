// Tests of the plain and JSON reporters, of New's modes and of IsTerminal.

package progress

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPlainLineFormat(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var buf bytes.Buffer
	p := &plain{w: &buf, start: start}
	p.Report(Event{Time: start.Add(1500 * time.Millisecond), Kind: "container", Resource: "abc-a-1", Status: "starting"})
	p.Report(Event{Time: start.Add(12340 * time.Millisecond), Kind: "network", Resource: "abc-net", Status: "failed", Detail: "pool overlaps", Failed: true})
	p.Close()

	want := "container abc-a-1                      starting   1.50s\n" +
		"network   abc-net                      failed: pool overlaps  12.34s\n"
	if got := buf.String(); got != want {
		t.Errorf("plain output:\n%q\nwant:\n%q", got, want)
	}
}

func TestPlainConcurrentReportsKeepLinesWhole(t *testing.T) {
	var buf bytes.Buffer
	rep, err := New("plain", &buf)
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 16, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				rep.Report(Event{Kind: "container", Resource: fmt.Sprintf("w%02d-%03d", w, i), Status: "creating", Detail: strings.Repeat("x", 40)})
			}
		})
	}
	wg.Wait()
	rep.Close()

	line := regexp.MustCompile(`^container w\d\d-\d\d\d {22}creating: x{40} +\d+\.\d\ds$`)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != workers*each {
		t.Fatalf("got %d lines, want %d", len(lines), workers*each)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if !line.MatchString(l) {
			t.Fatalf("torn or malformed line %q", l)
		}
		seen[strings.Fields(l)[1]] = true
	}
	if len(seen) != workers*each {
		t.Errorf("got %d distinct resources, want %d", len(seen), workers*each)
	}
}

func TestJSONOneEventPerLine(t *testing.T) {
	var buf bytes.Buffer
	rep, err := New("json", &buf)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	before := time.Now()
	rep.Report(Event{Kind: "container", Resource: "abc-a-1", Status: "creating"})
	rep.Report(Event{Time: at, Kind: "container", Resource: "abc-a-1", Status: "failed", Detail: "boom", Failed: true})
	rep.Close()

	var got []Event
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var e Event
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if dec.More() {
			t.Fatalf("line %q holds more than one JSON value", sc.Text())
		}
		got = append(got, e)
	}
	if len(got) != 2 {
		t.Fatalf("got %d events, want 2:\n%s", len(got), buf.String())
	}
	if got[0].Time.Before(before) || got[0].Time.After(time.Now()) {
		t.Errorf("zero time was stamped as %v, want the time of the report", got[0].Time)
	}
	got[0].Time = time.Time{}
	if want := (Event{Kind: "container", Resource: "abc-a-1", Status: "creating"}); got[0] != want {
		t.Errorf("event 0 = %+v, want %+v", got[0], want)
	}
	if !got[1].Time.Equal(at) {
		t.Errorf("event 1 time = %v, want the given %v", got[1].Time, at)
	}
	got[1].Time = at
	if want := (Event{Time: at, Kind: "container", Resource: "abc-a-1", Status: "failed", Detail: "boom", Failed: true}); got[1] != want {
		t.Errorf("event 1 = %+v, want %+v", got[1], want)
	}
}

func TestNewUnknownModeNamesTheModes(t *testing.T) {
	_, err := New("fancy", &bytes.Buffer{})
	if err == nil {
		t.Fatal("New(\"fancy\") succeeded, want an error")
	}
	for _, want := range append([]string{`"fancy"`}, Modes...) {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestNewQuietDiscards(t *testing.T) {
	var buf bytes.Buffer
	rep, err := New("quiet", &buf)
	if err != nil {
		t.Fatal(err)
	}
	rep.Report(Event{Kind: "container", Resource: "abc-a-1", Status: "creating"})
	rep.Close()
	if rep != Discard {
		t.Errorf("quiet gave %T, want Discard", rep)
	}
	if buf.Len() != 0 {
		t.Errorf("quiet wrote %q", buf.String())
	}
}

func TestNewAutoIsPlainOffATerminal(t *testing.T) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = devNull.Close() })
	pipeR, pipeW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pipeR.Close(); _ = pipeW.Close() })

	for name, w := range map[string]io.Writer{
		"bytes.Buffer": &bytes.Buffer{}, "/dev/null": devNull, "pipe": pipeW,
	} {
		if IsTerminal(w) {
			t.Errorf("IsTerminal(%s) = true, want false", name)
		}
		for _, mode := range []string{"", "auto"} {
			rep, err := New(mode, w)
			if err != nil {
				t.Fatalf("New(%q, %s): %v", mode, name, err)
			}
			if _, ok := rep.(*plain); !ok {
				t.Errorf("New(%q, %s) gave %T, want plain", mode, name, rep)
			}
			rep.Close()
		}
	}
	if IsTerminal(nil) || IsTerminal((*os.File)(nil)) {
		t.Error("IsTerminal says true for a nil writer")
	}
}

func TestNewTTYIsLive(t *testing.T) {
	var buf bytes.Buffer
	rep, err := New("tty", &buf)
	if err != nil {
		t.Fatal(err)
	}
	rep.Report(Event{Kind: "container", Resource: "abc-a-1", Status: "running", Done: true})
	rep.Close()
	if _, ok := rep.(*live); !ok {
		t.Fatalf("New(\"tty\") gave %T, want live", rep)
	}
	if !strings.Contains(buf.String(), "✔ container abc-a-1") {
		t.Errorf("tty output %q lacks the resource line", buf.String())
	}
}
