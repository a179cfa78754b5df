// End-to-end tests through a fault-injecting engine proxy: failed creates, 500s and a hung start roll back.

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultProxy sits between chainctl and the engine's socket and breaks
// chosen API calls: chainctl runs with DOCKER_HOST=unix://<its socket>.
type faultProxy struct {
	sock  string
	mu    sync.Mutex
	rules []*faultRule
	stop  chan struct{}
}

// faultRule fails, or hangs, the nth call (1-based) matching method and path.
type faultRule struct {
	method string
	path   *regexp.Regexp
	nth    int
	hang   bool
	status int
	seen   int
}

func startFaultProxy(t *testing.T, rules ...*faultRule) *faultProxy {
	t.Helper()
	dir, err := os.MkdirTemp("", "chainctl-proxy-") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{sock: filepath.Join(dir, "docker.sock"), rules: rules, stop: make(chan struct{})}
	engineSock := "/var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); strings.HasPrefix(h, "unix://") {
		engineSock = strings.TrimPrefix(h, "unix://")
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: "docker"})
	rp.FlushInterval = -1
	rp.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", engineSock)
	}}
	l, err := net.Listen("unix", p.sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rule := p.match(r); rule != nil {
			if rule.hang {
				select {
				case <-r.Context().Done():
				case <-p.stop:
				}
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rule.status)
			fmt.Fprintf(w, `{"message":"injected fault: %s %s"}`, r.Method, r.URL.Path)
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	t.Cleanup(func() {
		close(p.stop)
		srv.Close()
		os.RemoveAll(dir)
	})
	return p
}

func (p *faultProxy) match(r *http.Request) *faultRule {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, rule := range p.rules {
		if r.Method == rule.method && rule.path.MatchString(r.URL.Path) {
			rule.seen++
			if rule.seen == rule.nth {
				return rule
			}
		}
	}
	return nil
}

func (p *faultProxy) env() []string { return []string{"DOCKER_HOST=unix://" + p.sock} }

func TestEngineFaultsGiveClearErrorsAndNoLeak(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		rule *faultRule
		want string
		env  []string
	}{
		{"7th-container-create-fails", &faultRule{method: "POST", path: regexp.MustCompile(`/containers/create$`), nth: 7, status: 500}, "injected fault", nil},
		{"network-create-fails", &faultRule{method: "POST", path: regexp.MustCompile(`/networks/create$`), nth: 1, status: 500}, "create network", nil},
		// The first volume create is the project's lock on the engine.
		{"volume-create-fails", &faultRule{method: "POST", path: regexp.MustCompile(`/volumes/create$`), nth: 2, status: 500}, "create volume", nil},
		{"lock-create-fails", &faultRule{method: "POST", path: regexp.MustCompile(`/volumes/create$`), nth: 1, status: 500}, "lock project", nil},
		{"start-hangs", &faultRule{method: "POST", path: regexp.MustCompile(`/containers/[^/]+/start$`), nth: 3, hang: true}, "did not answer", []string{"CHAINCTL_API_TIMEOUT=2s"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newProject(t)
			proxy := startFaultProxy(t, c.rule)
			start := time.Now()
			r := chainctlEnv(t, append(proxy.env(), c.env...), "up", "-q", writeTopology(t, p, chainOf(10)))
			if r.code != 1 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("want exit 1 saying %q: %s", c.want, r)
			}
			if took := time.Since(start); took > time.Minute {
				t.Errorf("took %s", took)
			}
			if left := leftovers(p); left != "" {
				t.Errorf("leaked: %s", left)
			}
		})
	}
}

func TestHealthFailuresAndTimeoutsRollBack(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, health, flags, want string
	}{
		{"never-healthy", `{test: ["CMD", "/link", "-no-such-flag"], interval: 300ms, timeout: 1s, retries: 2, start_period: 100ms}`, "", "is unhealthy: last probe said: exit"},
		{"wait-times-out", `{test: ["CMD", "/link", "-health"], interval: 1m, timeout: 1s, retries: 2}`, "--wait-timeout=2s", "not ready, and no service became ready in 2s: last seen health: starting"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newProject(t)
			path := writeTopology(t, p, "name: PROJECT\nservices:\n  a: {image: chainctl/link:latest, healthcheck: "+c.health+"}\n")
			args := []string{"up", "-q", path}
			if c.flags != "" {
				args = append(args, c.flags)
			}
			r := chainctl(t, args...)
			if r.code != 1 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("want exit 1 saying %q: %s", c.want, r)
			}
			if left := leftovers(p); left != "" {
				t.Errorf("not rolled back: %s", left)
			}
		})
	}
}
