// Tests of the hop client and the log writer: stale pooled connections, chunked answers, JSON passed on as it came, batched log lines.

package link

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPooledConnectionClosedByTheCalleeIsReplaced(t *testing.T) {
	c := httptest.NewServer(New(testConfig("c", time.Second), io.Discard).Handler())
	t.Cleanup(c.Close)
	a := startHop(t, "a", time.Second, c.URL)
	for i := 0; i < 3; i++ {
		if tree, status := getTree(t, a.URL); status != 200 {
			t.Fatalf("call %d: %d %s", i, status, Path(tree))
		}
		c.CloseClientConnections() // c closes the idle connection a pooled
	}
}

func TestChunkedAnswerIsReadAndTheConnectionReused(t *testing.T) {
	var mu sync.Mutex
	conns := map[string]bool{}
	leaf := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		json.NewEncoder(w).Encode(Node{Service: "c", Instance: "c-1", Version: "test", Status: 200})
		w.(http.Flusher).Flush() // forces chunked encoding
	}))
	t.Cleanup(leaf.Close)
	a := startHop(t, "a", time.Second, leaf.URL)
	for i := 0; i < 5; i++ {
		if tree, status := getTree(t, a.URL); status != 200 || tree.Calls[0].Instance != "c-1" {
			t.Fatalf("call %d: %d %s", i, status, Path(tree))
		}
	}
	if len(conns) != 1 {
		t.Errorf("5 sequential calls used %d connections, want 1", len(conns))
	}
}

func TestJSONIsPassedOnAsItCame(t *testing.T) {
	leaf := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"service":"c","instance":"c-1","version":"test","took_ms":0.5,"status":200,"error":"","extra":1}`+"\n")
	}))
	t.Cleanup(leaf.Close)
	b := startHop(t, "b", time.Second, leaf.URL)
	a := startHop(t, "a", time.Second, b.URL)
	_, body := get(t, a.URL+"/?format=json")
	if !strings.Contains(body, `"calls":[{"service":"c","instance":"c-1","version":"test","took_ms":0.5,"status":200,"error":"","extra":1}]`) {
		t.Errorf("body = %s", body)
	}
}

// syncBuffer is a log destination tests can read while the service writes.
type syncBuffer struct {
	mu     sync.Mutex
	b      strings.Builder
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) String() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String(), s.writes
}

func TestRunWritesLogLinesInBatchesAndAllBeforeItReturns(t *testing.T) {
	var logs syncBuffer
	cfg := testConfig("a", time.Second)
	cfg.LogRequests = "all"
	url, stop, done := serve(t, New(cfg, &logs))
	const requests = 50
	for i := 0; i < requests; i++ {
		get(t, url+"/")
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		text, _ := logs.String()
		if strings.Count(text, "GET / 200 ") == requests {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 2s, %d of %d lines: a line waits at most %s: %q", strings.Count(text, "GET / 200 "), requests, logFlushEvery, text)
		}
		time.Sleep(10 * time.Millisecond) // polling, bounded by the deadline
	}
	if _, writes := logs.String(); writes > requests/2 {
		t.Errorf("%d writes for %d lines: not batched", writes, requests)
	}
	get(t, url+"/version")
	stop()
	<-done
	if text, _ := logs.String(); !strings.Contains(text, "GET /version 200 ") {
		t.Errorf("the last line was not written before Run returned: %q", text[max(0, len(text)-200):])
	}
}
