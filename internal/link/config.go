// Link settings: Config, read from the service's environment, and where -health probes it.

package link

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is the service's settings, read from its environment.
type Config struct {
	Name     string        // NAME, else CHAINCTL_SERVICE, else the hostname
	Instance string        // INSTANCE, else the hostname (a container's short id)
	Next     []string      // NEXT: downstream base URLs
	Listen   string        // LISTEN, default :8080
	Version  string        // VERSION, default dev
	Timeout  time.Duration // TIMEOUT per downstream call, default 2s
	MaxHops  int           // MAX_HOPS, default 16
	// LogRequests is LOG_REQUESTS: all (default), errors (only answers
	// that are not 200) or none. Successful health probes are never
	// logged: the engine sends one every few seconds.
	LogRequests string
}

// ConfigFromEnv reads the configuration; getenv is os.Getenv in main.
func ConfigFromEnv(getenv func(string) string, hostname string) (Config, error) {
	c := Config{
		Name:     first(getenv("NAME"), getenv("CHAINCTL_SERVICE"), hostname, "link"),
		Instance: first(getenv("INSTANCE"), hostname, "local"),
		Listen:   first(getenv("LISTEN"), ":8080"),
		Version:  first(getenv("VERSION"), "dev"),

		LogRequests: first(getenv("LOG_REQUESTS"), "all"),
		Timeout:     2 * time.Second,
		MaxHops:     16,
	}
	var errs []error
	switch c.LogRequests {
	case "all", "errors", "none":
	default:
		errs = append(errs, fmt.Errorf("LOG_REQUESTS=%q: want all, errors or none", c.LogRequests))
	}
	if v := getenv("TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("TIMEOUT=%q: want a positive duration like 2s", v))
		}
		c.Timeout = d
	}
	if v := getenv("MAX_HOPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("MAX_HOPS=%q: want a whole number from 1", v))
		}
		c.MaxHops = n
	}
	for _, n := range strings.Split(getenv("NEXT"), ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if !strings.Contains(n, "://") {
			n = "http://" + n
		}
		// A typo in NEXT is a startup error, not a 502 on every request.
		if u, err := url.Parse(n); err != nil || u.Hostname() == "" || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("NEXT: %q: want host:port or an http:// URL", n))
			continue
		}
		c.Next = append(c.Next, strings.TrimRight(n, "/"))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("LISTEN=%q: want host:port or :port", c.Listen))
	}
	return c, errors.Join(errs...)
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// HealthURL is where `link -health` probes this service: loopback, unless
// LISTEN names one address (then only that address answers).
func (c Config) HealthURL() string {
	host, port, _ := net.SplitHostPort(c.Listen)
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/health"
}
