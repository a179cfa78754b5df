// Server-sent events: the framing, and the hub that keeps the latest state for a page that joins and passes on what changes.

package dashboard

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The kinds of message a page receives (the SSE event names).
const (
	kindHello  = "hello"  // the project, its kind, the modes: first on every stream
	kindGraph  = "graph"  // the SVG and each service's state
	kindProbe  = "probe"  // the strip chart's buckets
	kindStatus = "status" // what the engine or the events stream said went wrong
	kindEvent  = "event"  // one event of the project
)

// stateKinds are sent to a joining page in this order; the events last.
var stateKinds = []string{kindHello, kindGraph, kindProbe, kindStatus}

const (
	eventBacklog = 200              // events a joining page gets
	subBuffer    = 256              // frames a slow page may lag behind before it is dropped
	pingEvery    = 15 * time.Second // a comment line keeps idle streams open through proxies
	retryMS      = 2000             // how soon a page's EventSource reconnects
)

// frame is one SSE message: the event name and the data, one "data:"
// line per line of it (a line break in the data would end the field).
func frame(event string, data []byte) []byte {
	var b bytes.Buffer
	if event != "" {
		b.WriteString("event: " + strings.NewReplacer("\r", "", "\n", "").Replace(event) + "\n")
	}
	text := strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n")
	for _, line := range strings.Split(text, "\n") {
		b.WriteString("data: " + line + "\n")
	}
	b.WriteString("\n")
	return b.Bytes()
}

// jsonFrame frames v as JSON (which has no raw line breaks).
func jsonFrame(event string, v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		data, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	return frame(event, data)
}

// hub holds the latest message of each state kind and the last events,
// and passes every new one to the pages listening.
type hub struct {
	mu     sync.Mutex
	subs   map[chan []byte]struct{}
	state  map[string][]byte
	events [][]byte
	closed bool
}

func newHub() *hub {
	return &hub{subs: map[chan []byte]struct{}{}, state: map[string][]byte{}}
}

// subscribe returns what a joining page is sent first (the state, then
// the backlog of events) and the channel of what follows; nothing is
// lost or sent twice in between. The channel is closed when the page
// falls too far behind or the hub closes; cancel leaves.
func (h *hub) subscribe() (first [][]byte, ch chan []byte, cancel func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch = make(chan []byte, subBuffer)
	for _, k := range stateKinds {
		if f, ok := h.state[k]; ok {
			first = append(first, f)
		}
	}
	first = append(first, h.events...)
	if h.closed {
		close(ch)
		return first, ch, func() {}
	}
	h.subs[ch] = struct{}{}
	return first, ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
	}
}

// set replaces the state of a kind and sends it; the same frame twice is
// sent once.
func (h *hub) set(kind string, v any) {
	f := jsonFrame(kind, v)
	h.mu.Lock()
	defer h.mu.Unlock()
	if bytes.Equal(h.state[kind], f) {
		return
	}
	h.state[kind] = f
	h.send(f)
}

// event keeps an event in the backlog and sends it.
func (h *hub) event(v any) {
	f := jsonFrame(kindEvent, v)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, f)
	if n := len(h.events); n > eventBacklog {
		h.events = append([][]byte(nil), h.events[n-eventBacklog:]...)
	}
	h.send(f)
}

// send passes f on; a page whose buffer is full is dropped (its
// EventSource reconnects and gets the whole state again). Under h.mu.
func (h *hub) send(f []byte) {
	for ch := range h.subs {
		select {
		case ch <- f:
		default:
			delete(h.subs, ch)
			close(ch)
		}
	}
}

// close ends every stream.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		delete(h.subs, ch)
		close(ch)
	}
}

// stream serves the event stream of one page until it leaves, falls
// behind, or the dashboard stops.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, r, http.StatusInternalServerError, "streaming is not supported here")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	first, ch, cancel := s.hub.subscribe()
	defer cancel()
	w.WriteHeader(http.StatusOK)
	var b bytes.Buffer
	b.WriteString("retry: " + strconv.Itoa(retryMS) + "\n\n")
	for _, f := range first {
		b.Write(f)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return
	}
	fl.Flush()
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case f, ok := <-ch:
			if !ok {
				return
			}
			_, err = w.Write(f)
		case <-ping.C:
			_, err = w.Write([]byte(": ping\n\n"))
		}
		if err != nil {
			return
		}
		fl.Flush()
	}
}
