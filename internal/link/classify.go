// Failure reasons: a transport error as the short text a person reads, and as a hop's status.

package link

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// Classify turns a transport error into the short reason a person reads:
// "timeout", "connection refused", "no such host", "connection reset",
// "no route to host", or the error itself when it is none of those.
func Classify(err error) string {
	var dnsErr *net.DNSError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dnsErr) && (dnsErr.IsNotFound || strings.Contains(dnsErr.Err, "no such host")):
		return "no such host"
	case errors.As(err, &dnsErr):
		return "dns: " + dnsErr.Err
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "no route to host"
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// failure is the status and reason of a downstream call that got no
// answer: 504 and how long it waited for a timeout, else 502.
func failure(err error, waited time.Duration) (int, string) {
	reason := Classify(err)
	if reason == "timeout" {
		return http.StatusGatewayTimeout, "timeout after " + waited.Round(time.Millisecond).String()
	}
	return http.StatusBadGateway, reason
}
