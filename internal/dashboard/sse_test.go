// Tests of the event stream: the SSE framing, the hub's state for a joining page, and a live stream over HTTP that the graph follows after an event.

package dashboard

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/engine"
)

func TestFrame(t *testing.T) {
	for _, tc := range []struct {
		event, data, want string
	}{
		{"graph", `{"a":1}`, "event: graph\ndata: {\"a\":1}\n\n"},
		{"", "one", "data: one\n\n"},
		{"x", "two\nlines", "event: x\ndata: two\ndata: lines\n\n"},
		{"x", "crlf\r\nand\rcr", "event: x\ndata: crlf\ndata: and\ndata: cr\n\n"},
		{"in\njected", "", "event: injected\ndata: \n\n"},
	} {
		if got := string(frame(tc.event, []byte(tc.data))); got != tc.want {
			t.Errorf("frame(%q, %q) = %q, want %q", tc.event, tc.data, got, tc.want)
		}
	}
	// JSON escapes line breaks: one data line whatever the text holds.
	if got := string(jsonFrame("event", map[string]string{"detail": "a\nb"})); got != "event: event\ndata: {\"detail\":\"a\\nb\"}\n\n" {
		t.Errorf("jsonFrame = %q", got)
	}
}

func TestHubGivesAJoiningPageTheStateThenWhatChanges(t *testing.T) {
	h := newHub()
	h.set(kindProbe, 1)
	h.set(kindHello, "hi")
	h.event("e1")
	first, ch, cancel := h.subscribe()
	defer cancel()
	want := []string{"event: hello\ndata: \"hi\"\n\n", "event: probe\ndata: 1\n\n", "event: event\ndata: \"e1\"\n\n"}
	if len(first) != len(want) {
		t.Fatalf("first = %q, want %q", first, want)
	}
	for i := range want {
		if string(first[i]) != want[i] {
			t.Errorf("first[%d] = %q, want %q", i, first[i], want[i])
		}
	}
	h.set(kindProbe, 1) // unchanged: not sent again
	h.set(kindProbe, 2)
	h.event("e2")
	for _, w := range []string{"event: probe\ndata: 2\n\n", "event: event\ndata: \"e2\"\n\n"} {
		if got := string(<-ch); got != w {
			t.Errorf("then %q, want %q", got, w)
		}
	}
	for i := 0; i < subBuffer+10; i++ {
		h.event(i)
	}
	if first, _, c := h.subscribe(); len(first) != 2+eventBacklog {
		t.Errorf("a page joining after %d events gets %d frames, want the state and the last %d", subBuffer+12, len(first), eventBacklog)
	} else {
		c()
	}
	// ch fell behind (its buffer is smaller than what was sent): dropped.
	n := 0
	for range ch {
		n++
	}
	if n != subBuffer {
		t.Errorf("the slow page got %d frames before it was dropped, want %d", n, subBuffer)
	}
	h.close()
	if _, ch, _ := h.subscribe(); ch != nil {
		if _, ok := <-ch; ok {
			t.Error("a page joining a closed hub is not ended")
		}
	}
}

// sseReader reads frames of a stream.
type sseReader struct{ r *bufio.Reader }

// next is the next frame's event name and data (comments and retry skipped).
func (s sseReader) next(t *testing.T) (string, string) {
	t.Helper()
	var event, data string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if event != "" || data != "" {
				return event, data
			}
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data += strings.TrimPrefix(line, "data: ")
		}
	}
}

// until reads frames until one of event has data containing want.
func (s sseReader) until(t *testing.T, event, want string) string {
	t.Helper()
	for {
		e, d := s.next(t)
		if e == event && strings.Contains(d, want) {
			return d
		}
	}
}

func TestTheStreamFollowsEventsAndRedrawsTheGraph(t *testing.T) {
	fe := &fakeEngine{rows: healthy("a", "b", "c")}
	evs := &fakeEvents{ch: make(chan engine.Event)}
	s, ts := newTestServer(t, fe, func(o *Options) { o.Events = evs; o.Resync = time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.watch(ctx)

	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/stream", nil)
	req.Header.Set("Cookie", cookieName(testToken)+"="+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("GET /api/stream: %d %s", resp.StatusCode, ct)
	}
	r := sseReader{bufio.NewReader(resp.Body)}
	if e, d := r.next(t); e != kindHello || !strings.Contains(d, `"project":"p"`) || !strings.Contains(d, `"name":"delay"`) {
		t.Errorf("the first frame is %s %s, want hello with the project and its modes", e, d)
	}
	r.until(t, kindGraph, `data-service=\"c\" data-layer=\"2\" data-state=\"healthy\"`)

	// c dies: the event is passed on, and the graph is redrawn at once
	// (the resync is an hour away).
	rows := healthy("a", "b")
	rows = append(rows, engine.ContainerStatus{Service: "c", Replica: 1, Container: "p-c-1", State: "exited", Fault: engine.FaultKilled})
	fe.setRows(rows...)
	start := time.Now()
	evs.ch <- engine.Event{Time: time.Now(), Kind: engine.EventContainer, Name: "p-c-1", Action: "die", Detail: "exit code 137", Service: "c"}
	r.until(t, kindEvent, `"action":"die"`)
	d := r.until(t, kindGraph, `"name":"c","replicas":1,"state":"faulted","fault":"killed"`)
	if took := time.Since(start); took > time.Second {
		t.Errorf("the graph was redrawn %s after the event, want well under a second", took)
	}
	if strings.Contains(d, "<style>") || !strings.Contains(d, "faulted: killed") {
		t.Errorf("the graph frame has an inline style sheet, or lacks the fault's text: %s", d)
	}
}
