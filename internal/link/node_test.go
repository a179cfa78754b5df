// Tests of the tree: rendering, Classify, statusFor, JSON as encoding/json writes it, the query's format and the fast parser.

package link

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func TestRenderTextShowsWhereItBroke(t *testing.T) {
	n := &Node{Service: "a", Instance: "i1", Version: "v", TookMS: 1.25, Status: 502, Calls: []*Node{
		{Service: "b", Instance: "i2", Version: "v", TookMS: 0.5, Status: 502, Calls: []*Node{{Service: "c", Status: 502, Error: "no such host"}}},
		{Service: "d", Instance: "i3", Version: "v", TookMS: 2, Status: 200},
	}}
	var sb strings.Builder
	if err := RenderText(&sb, n); err != nil {
		t.Fatal(err)
	}
	want := "a (i1, v, 1.25ms) → b (i2, v, 500µs) → c ✗ no such host\n" +
		"a (i1, v, 1.25ms) → d (i3, v, 2ms)\n"
	if sb.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", sb.String(), want)
	}
	if got := Path(n); got != "a → b → c ✗ no such host" {
		t.Errorf("path = %q", got)
	}
	if b := n.Broken(); len(b) != 1 || b[0].Service != "c" {
		t.Errorf("broken = %+v", b)
	}
}

func TestRenderTextMarksAHopThatAnsweredWithAnError(t *testing.T) {
	n := &Node{Service: "a", Instance: "i1", Version: "v", Status: 508, Error: "more than 16 hops: is the chain a loop?"}
	var sb strings.Builder
	RenderText(&sb, n)
	if want := "a (i1, v, 0s) ✗ more than 16 hops: is the chain a loop?\n"; sb.String() != want {
		t.Errorf("got %q, want %q", sb.String(), want)
	}
}

func TestClassify(t *testing.T) {
	opErr := func(err error) error {
		return fmt.Errorf("Get \"http://c:8080/\": %w", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)})
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{context.DeadlineExceeded, "timeout"},
		{opErr(syscall.ECONNREFUSED), "connection refused"},
		{opErr(syscall.ECONNRESET), "connection reset"},
		{opErr(syscall.EHOSTUNREACH), "no route to host"},
		{io.ErrUnexpectedEOF, "connection reset"},
		{&net.DNSError{Err: "no such host", Name: "c", IsNotFound: true}, "no such host"},
		{&net.DNSError{Err: "server misbehaving", Name: "c"}, "dns: server misbehaving"},
		{errors.New("something else"), "something else"},
	} {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestStatusFor(t *testing.T) {
	ok := &Node{Service: "b", Status: 200}
	refused := &Node{Service: "c", Status: 502, Error: "connection refused"}
	slow := &Node{Service: "d", Status: 504, Error: "timeout after 2s"}
	loop := &Node{Service: "e", Instance: "e1", Status: 508, Error: "more than 16 hops"}
	for _, tc := range []struct {
		calls []*Node
		want  int
	}{
		{nil, http.StatusOK},
		{[]*Node{ok, ok}, http.StatusOK},
		{[]*Node{ok, refused}, http.StatusBadGateway},
		{[]*Node{refused, slow}, http.StatusGatewayTimeout},
		{[]*Node{slow, loop, refused}, http.StatusLoopDetected},
	} {
		if got := statusFor(tc.calls); got != tc.want {
			t.Errorf("statusFor(%v) = %d, want %d", Path(&Node{Calls: tc.calls}), got, tc.want)
		}
	}
}

func TestAppendJSONIsWhatEncodingJSONWrites(t *testing.T) {
	leaf := &Node{Service: "c", Status: 502, Error: "no such host", TookMS: 0.001}
	for _, n := range []*Node{
		{Service: "a", Instance: "i1", Version: "v", Status: 200},
		{Service: "a<&>", Instance: "ü\u2028", Version: `"q"`, TookMS: 1234.567, Status: 502, Error: "x\ny", Calls: []*Node{leaf, {Service: "d", TookMS: 1e21, Status: 504, Error: "timeout after 2s"}}},
		{Service: "a", TookMS: 1e-7, Status: 508, Error: "more than 16 hops: is the chain a loop?"},
		{Service: "c", Instance: "c-1", Version: "v", Status: 200, Payload: strings.Repeat("x", 4096)},
		{Service: "c", Instance: "c-1", Version: "v\x7f~ ", Status: 200, Payload: "<&>\"\\\x01\x7fü\u2028"},
		{Service: "a", Instance: "i1", Version: "v", Status: 200, Payload: "xx", Calls: []*Node{{Service: "b", Instance: "i2", Status: 200, Payload: "xyz"}, leaf}},
	} {
		want, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSON(nil, n, jsonHead(n)); string(got) != string(want) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

func TestQueryFormat(t *testing.T) {
	for _, q := range []string{"", "format=json", "a=1&format=json", "format=text&format=json", "format", "format=%6Ason", "x;y&format=json", "format=js+on"} {
		u := &url.URL{RawQuery: q}
		if got, want := queryFormat(q), u.Query().Get("format"); got != want {
			t.Errorf("queryFormat(%q) = %q, want %q", q, got, want)
		}
	}
}

// FuzzParseNode: whenever the fast parser accepts an input, it means what
// encoding/json reads in it; what links write, it accepts.
func FuzzParseNode(f *testing.F) {
	trees := []*Node{
		{Service: "a", Instance: "i1", Version: "v", TookMS: 1.25, Status: 502, Calls: []*Node{
			{Service: "b", Instance: "i2", Version: "v", TookMS: 0.5, Status: 502, Calls: []*Node{{Service: "c", Status: 502, Error: "no such host"}}},
			{Service: "d", Instance: "i3", Version: "v", TookMS: 2e-7, Status: 200},
		}},
		{Service: "ü<&>", Instance: "x\"y", Version: "1e3", TookMS: 1e21, Status: 508, Error: "more than 16 hops"},
		{Service: "a", Instance: "i1", Version: "v", TookMS: 3, Status: 200, Calls: []*Node{
			{Service: "b", Instance: "i2", Version: "v", TookMS: 2, Status: 200, Calls: []*Node{{Service: "c", Instance: "i3", Version: "v", TookMS: 1, Status: 200, Payload: strings.Repeat("x", 1000)}}},
			{Service: "d", Instance: "i4", Version: "v", TookMS: 1, Status: 200, Payload: "xyz ü"},
		}},
	}
	for _, n := range trees {
		b := appendJSON(nil, n, jsonHead(n))
		got, end, ok := parseNode(b)
		want := new(Node)
		if err := json.Unmarshal(b, want); err != nil {
			f.Fatal(err)
		}
		if n.Instance != `x"y` && (!ok || end != len(b) || !reflect.DeepEqual(got, want)) {
			f.Errorf("parseNode(%s) = %+v, %d, %v", b, got, end, ok)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"service":"a","instance":"","version":"","took_ms":01,"status":200,"error":""}`))
	f.Add([]byte(`{"service":"a","instance":"","version":"","took_ms":1,"status":2e2,"error":"","calls":[]}`))
	f.Add([]byte(`{"service":"c","instance":"c-1","version":"v","took_ms":1,"status":200,"error":"","payload":""}`))
	f.Add([]byte(`{"service":"c","instance":"c-1","version":"v","took_ms":1,"status":200,"error":"","payload":"x\u0078"}`))
	f.Add([]byte(`{"service":"c","instance":"c-1","version":"v","took_ms":1,"status":200,"error":"","payload":7}`))
	f.Add([]byte(`{"service":"c","instance":"c-1","version":"v","took_ms":1,"status":200,"error":"","payload":"xx","payload":"y"}`))
	f.Add([]byte(`{"service":"a","instance":"","version":"","took_ms":1,"status":200,"error":"","calls":[],"payload":"xx"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, end, ok := parseNode(b)
		if !ok {
			return
		}
		want := new(Node)
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(want); err != nil {
			t.Fatalf("parseNode accepted %q, encoding/json says %v", b, err)
		}
		if int(dec.InputOffset()) != end || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: parseNode %+v (end %d), encoding/json %+v (end %d)", b, got, end, want, dec.InputOffset())
		}
	})
}
