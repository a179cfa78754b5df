// Tests of payloads: ?payload=N filled by the last hop, X-Chain-Payload passed down both clients, bad sizes refused, the text showing sizes only.

package link

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// getTreeQuery is getTree with query added to ?format=json.
func getTreeQuery(t *testing.T, url, query string) (*Node, int) {
	t.Helper()
	resp, body := get(t, url+"/?format=json&"+query)
	var n Node
	if err := json.Unmarshal([]byte(body), &n); err != nil {
		t.Fatalf("%v: %.300s", err, body)
	}
	return &n, resp.StatusCode
}

func TestPayloadThroughAChainOfThree(t *testing.T) {
	c := startHop(t, "c", time.Second)
	b := startHop(t, "b", time.Second, c.URL)
	a := startHop(t, "a", time.Second, b.URL)

	resp, body := get(t, a.URL+"/?payload=65536&format=json")
	var tree Node
	if err := json.Unmarshal([]byte(body), &tree); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v: %.300s", resp.StatusCode, err, body)
	}
	leaf := tree.Calls[0].Calls[0]
	if leaf.Service != "c" || len(leaf.Payload) != 65536 || strings.Trim(leaf.Payload, "x") != "" {
		t.Errorf("c's payload: %d bytes, service %q", len(leaf.Payload), leaf.Service)
	}
	if tree.Payload != "" || tree.Calls[0].Payload != "" {
		t.Errorf("hops that call others carry a payload: a %d, b %d bytes", len(tree.Payload), len(tree.Calls[0].Payload))
	}
	if !strings.Contains(body, `"error":"","payload":"`+strings.Repeat("x", 65536)+`"}]}]}`) {
		t.Errorf("the entry's answer does not hold the 65536 bytes: %.300s", body)
	}

	resp, text := get(t, a.URL+"/?payload=65536")
	if resp.StatusCode != 200 || strings.Count(text, "\n") != 1 || !strings.Contains(text, " → c (c-1, test, ") || !strings.HasSuffix(text, ") (payload 65536 B)\n") || strings.Contains(text, "xxx") {
		t.Errorf("text = %q", text)
	}
	var sb strings.Builder
	RenderTree(&sb, &tree)
	if got := sb.String(); !strings.Contains(got, "HTTP 200  (payload 65536 B)\n") || strings.Count(got, "payload") != 1 || strings.Contains(got, "xxx") {
		t.Errorf("tree = %q", got)
	}
}

func TestLargestPayloadPasses(t *testing.T) {
	c := startHop(t, "c", 10*time.Second)
	b := startHop(t, "b", 10*time.Second, c.URL)
	a := startHop(t, "a", 10*time.Second, b.URL)
	tree, status := getTreeQuery(t, a.URL, "payload="+strconv.Itoa(maxPayload))
	if status != 200 || len(tree.Calls[0].Calls[0].Payload) != maxPayload {
		t.Errorf("status %d, %s", status, Path(tree))
	}
}

func TestFannedOutPayloadsOverTheLimitAreRefused(t *testing.T) {
	c := startHop(t, "c", 10*time.Second)
	d := startHop(t, "d", 10*time.Second)
	b := startHop(t, "b", 10*time.Second, c.URL, d.URL) // answers 2 × 10 MiB
	a := startHop(t, "a", 10*time.Second, b.URL)
	tree, status := getTreeQuery(t, a.URL, "payload="+strconv.Itoa(10<<20))
	if broken := tree.Broken(); status != 502 || len(broken) != 1 || broken[0].Error != "HTTP 200, answer over 17 MiB" {
		t.Errorf("status %d, %s", status, Path(tree))
	}
}

// recorder is a link leaf that keeps the X-Chain-Payload header of each
// request ("-" when there was none).
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v := "-"
	if vs := r.Header[HeaderPayload]; len(vs) > 0 {
		v = vs[0]
	}
	rec.mu.Lock()
	rec.seen = append(rec.seen, v)
	rec.mu.Unlock()
	json.NewEncoder(w).Encode(Node{Service: "r", Instance: "r-1", Version: "test", Status: 200})
}

func (rec *recorder) got() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return strings.Join(rec.seen, ",")
}

func TestPayloadHeaderIsPassedOn(t *testing.T) {
	t.Run("http", func(t *testing.T) {
		rec := &recorder{}
		leaf := httptest.NewServer(rec)
		t.Cleanup(leaf.Close)
		b := startHop(t, "b", time.Second, leaf.URL) // passes on what a sent
		a := startHop(t, "a", time.Second, b.URL)
		getTreeQuery(t, a.URL, "payload=4096")
		getTree(t, a.URL)
		get(t, a.URL+"/", HeaderPayload, "77") // a caller may send the header itself
		getTreeQuery(t, a.URL, "payload=0")
		if got := rec.got(); got != "4096,-,77,-" {
			t.Errorf("X-Chain-Payload seen by the last hop: %s, want 4096,-,77,-", got)
		}
	})
	t.Run("https", func(t *testing.T) {
		rec := &recorder{}
		leaf := httptest.NewTLSServer(rec)
		t.Cleanup(leaf.Close)
		svc := New(testConfig("a", time.Second, leaf.URL), io.Discard)
		svc.client = leaf.Client() // trusts the test certificate
		a := httptest.NewServer(svc.Handler())
		t.Cleanup(a.Close)
		if tree, status := getTreeQuery(t, a.URL, "payload=4096"); status != 200 {
			t.Fatalf("status %d: %s", status, Path(tree))
		}
		getTree(t, a.URL)
		if got := rec.got(); got != "4096,-" {
			t.Errorf("X-Chain-Payload seen over https: %s, want 4096,-", got)
		}
	})
}

func TestBadPayloadIsRefused(t *testing.T) {
	rec := &recorder{}
	leaf := httptest.NewServer(rec)
	t.Cleanup(leaf.Close)
	a := startHop(t, "a", time.Second, leaf.URL)
	for _, q := range []string{"payload=-1", "payload=x", "payload=16777217", "payload=99999999999999999999999", "payload=", "payload", "payload=1.5", "payload=%2B5", "payload=%205", "payload=0x10"} {
		tree, status := getTreeQuery(t, a.URL, q)
		if status != http.StatusBadRequest || tree.Status != 400 || len(tree.Calls) != 0 || !strings.HasPrefix(tree.Error, "payload=") || !strings.HasSuffix(tree.Error, ": want a plain number of bytes from 0 to 16777216 (16 MiB)") {
			t.Errorf("?%s: status %d, error %q", q, status, tree.Error)
		}
	}
	resp, text := get(t, a.URL+"/?payload=x")
	if want := " ✗ payload=\"x\": want a plain number of bytes from 0 to 16777216 (16 MiB)\n"; resp.StatusCode != 400 || !strings.HasPrefix(text, "a (a-1, test, ") || !strings.HasSuffix(text, want) {
		t.Errorf("text: %d %q", resp.StatusCode, text)
	}
	resp, body := get(t, a.URL+"/?format=json", HeaderPayload, "lots")
	if resp.StatusCode != 400 || !strings.Contains(body, `"error":"X-Chain-Payload=\"lots\": want a plain number`) {
		t.Errorf("a bad header: %d %s", resp.StatusCode, body)
	}
	if got := rec.got(); got != "" {
		t.Errorf("a refused request was passed on: %s", got)
	}
}

func TestNoPayloadLeavesTheAnswerAsItWas(t *testing.T) {
	c := startHop(t, "c", time.Second)
	a := startHop(t, "a", time.Second, c.URL)
	for _, q := range []string{"", "payload=0&"} {
		_, body := get(t, a.URL+"/?"+q+"format=json")
		if strings.Contains(body, "payload") || !strings.HasSuffix(body, `"status":200,"error":""}]}`+"\n") {
			t.Errorf("?%s: %s", q, body)
		}
	}
}

func TestParsePayload(t *testing.T) {
	for v, want := range map[string]int{"0": 0, "00": 0, "1": 1, "65536": 65536, "16777216": maxPayload, "0016777216": maxPayload} {
		if n, err := parsePayload("payload", v); err != nil || n != want {
			t.Errorf("parsePayload(%q) = %d, %v, want %d", v, n, err, want)
		}
	}
	for _, v := range []string{"", "-0", "+1", " 1", "1 ", "1e3", "16777217", "99999999999", strings.Repeat("9", 40)} {
		if n, err := parsePayload("payload", v); err == nil {
			t.Errorf("parsePayload(%q) = %d, want an error", v, n)
		}
	}
}

func TestPayloadBytes(t *testing.T) {
	for _, n := range []int{0, 1, 100, 64 << 10, 64<<10 + 1, 3, maxPayload, 5} {
		if p := payloadBytes(n); len(p) != n || strings.Trim(p, "x") != "" {
			t.Errorf("payloadBytes(%d): %d bytes", n, len(p))
		}
	}
}

func TestQueryValue(t *testing.T) {
	for _, q := range []string{"", "payload=5", "format=json&payload=7", "payload", "payload=", "payload=1&payload=2", "payload=%35", "x;y&payload=3", "payloads=4", "a=payload"} {
		vs, has := (&url.URL{RawQuery: q}).Query()["payload"]
		want := ""
		if has {
			want = vs[0]
		}
		if got, ok := queryValue(q, "payload"); got != want || ok != has {
			t.Errorf("queryValue(%q) = %q, %v, want %q, %v", q, got, ok, want, has)
		}
	}
}

func TestHopRequestCarriesThePayload(t *testing.T) {
	h := hopHeaders{hops: 2, budget: 1500 * time.Millisecond}
	plain := "GET /?format=json HTTP/1.1\r\nHost: c:8080\r\nUser-Agent: Go-http-client/1.1\r\nAccept: application/json\r\nX-Chain-Hops: 2\r\nX-Chain-Budget-Ms: 1500\r\n\r\n"
	if got := string(hopRequest("/?format=json", "c:8080", h)); got != plain {
		t.Errorf("without a payload: %q, want %q", got, plain)
	}
	h.payload = 262144
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(string(hopRequest("/?format=json", "c:8080", h)))))
	if err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get(HeaderPayload); got != "262144" || req.Header.Get(HeaderHops) != "2" || req.Header.Get(HeaderBudget) != "1500" {
		t.Errorf("headers = %v", req.Header)
	}
}

func TestTextShowsThePayloadSizeOnly(t *testing.T) {
	n := &Node{Service: "a", Instance: "i1", Version: "v", TookMS: 1.25, Status: 200, Calls: []*Node{
		{Service: "b", Instance: "i2", Version: "v", TookMS: 0.5, Status: 200, Payload: strings.Repeat("x", 262144)},
	}}
	var sb strings.Builder
	RenderText(&sb, n)
	if want := "a (i1, v, 1.25ms) → b (i2, v, 500µs) (payload 262144 B)\n"; sb.String() != want {
		t.Errorf("text:\n%q\nwant\n%q", sb.String(), want)
	}
	sb.Reset()
	RenderTree(&sb, n)
	if want := "a ✓  i1  v  1.25ms  HTTP 200\n└─ b ✓  i2  v  500µs  HTTP 200  (payload 262144 B)\n"; sb.String() != want {
		t.Errorf("tree:\n%q\nwant\n%q", sb.String(), want)
	}
}
