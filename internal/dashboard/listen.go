// Where the dashboard listens: loopback unless asked otherwise, and the URL with the token that it prints.

package dashboard

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ListenError is a --listen the dashboard refuses; the command line
// reports it as a usage error.
type ListenError struct {
	Addr   string
	Reason string
}

func (e *ListenError) Error() string { return fmt.Sprintf("--listen %s: %s", e.Addr, e.Reason) }

// CheckListen accepts host:port on a loopback address (127.0.0.0/8, ::1,
// localhost); any other address only with any (--listen-any), because the
// page can break and heal the project's services.
func CheckListen(addr string, any bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return &ListenError{Addr: addr, Reason: "want host:port, e.g. 127.0.0.1:0 (any free port) or 127.0.0.1:8765"}
	}
	if isLoopback(host) || any {
		return nil
	}
	where := host
	if host == "" {
		where = "every interface"
	}
	return &ListenError{Addr: addr, Reason: "not a loopback address (" + where + "): the dashboard breaks and heals the project's services, " +
		"and whoever reaches it and learns the token can too; give --listen-any to serve there anyway, on a network you trust"}
}

// isLoopback says whether a host (no port) is this machine only. Names
// other than localhost are not resolved: they are not loopback.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// DashboardURL is the address to open: the listener's, with 127.0.0.1 for
// an unspecified one (0.0.0.0 or ::), and the token, as Jupyter prints it.
func DashboardURL(addr net.Addr, token string) string {
	host := addr.String()
	if ta, ok := addr.(*net.TCPAddr); ok {
		ip := ta.IP
		if ip == nil || ip.IsUnspecified() {
			ip = net.IPv4(127, 0, 0, 1)
		}
		host = net.JoinHostPort(ip.String(), fmt.Sprint(ta.Port))
	}
	return "http://" + host + "/?token=" + url.QueryEscape(token)
}
