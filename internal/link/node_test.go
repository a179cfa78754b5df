package link

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
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
