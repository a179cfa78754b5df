// Tests of Config: defaults, the environment, every error at once, the health URL, LOG_REQUESTS and the lookup network.

package link

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := ConfigFromEnv(envOf(nil), "3f2a1c9d")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Name: "3f2a1c9d", Instance: "3f2a1c9d", Listen: ":8080", Version: "dev", Timeout: 2 * time.Second, MaxHops: 16, LogRequests: "all"}
	if cfg.Name != want.Name || cfg.Instance != want.Instance || cfg.Listen != want.Listen || cfg.Version != want.Version ||
		cfg.Timeout != want.Timeout || cfg.MaxHops != want.MaxHops || len(cfg.Next) != 0 {
		t.Errorf("cfg = %+v, want %+v", cfg, want)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"CHAINCTL_SERVICE": "b", "NEXT": "c:8080, http://d:9000/,", "TIMEOUT": "1s", "MAX_HOPS": "4", "VERSION": "1.2", "INSTANCE": "987"}
	cfg, err := ConfigFromEnv(envOf(env), "host123")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "b" || cfg.Instance != "987" || cfg.Version != "1.2" || cfg.Timeout != time.Second || cfg.MaxHops != 4 {
		t.Errorf("cfg = %+v", cfg)
	}
	if strings.Join(cfg.Next, ",") != "http://c:8080,http://d:9000" {
		t.Errorf("next = %v", cfg.Next)
	}
	env["NAME"] = "override"
	if cfg, _ := ConfigFromEnv(envOf(env), "host123"); cfg.Name != "override" {
		t.Errorf("NAME did not win over CHAINCTL_SERVICE: %q", cfg.Name)
	}
}

func TestConfigErrorsAreAllReported(t *testing.T) {
	env := map[string]string{"TIMEOUT": "soon", "MAX_HOPS": "0", "LISTEN": "8080", "NEXT": "b:8080,ftp://c:21,http://"}
	_, err := ConfigFromEnv(envOf(env), "h")
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`TIMEOUT="soon"`, `MAX_HOPS="0"`, `LISTEN="8080"`, `"ftp://c:21"`, `"http://"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "b:8080") {
		t.Errorf("a good NEXT reported as bad:\n%v", err)
	}
	for _, bad := range []map[string]string{{"TIMEOUT": "-1s"}, {"TIMEOUT": "0"}, {"MAX_HOPS": "many"}, {"LOG_REQUESTS": "some"}} {
		if _, err := ConfigFromEnv(envOf(bad), "h"); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestHealthURL(t *testing.T) {
	for listen, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080/health",
		"0.0.0.0:9000":   "http://127.0.0.1:9000/health",
		"[::]:9000":      "http://127.0.0.1:9000/health",
		"localhost:9000": "http://127.0.0.1:9000/health",
		"10.1.2.3:8080":  "http://10.1.2.3:8080/health",
		"[::1]:8080":     "http://[::1]:8080/health",
	} {
		if got := (Config{Listen: listen}).HealthURL(); got != want {
			t.Errorf("LISTEN=%s: %s, want %s", listen, got, want)
		}
	}
}

func TestLogRequests(t *testing.T) {
	chain := httptest.NewRequest("GET", "/", nil)
	health := httptest.NewRequest("GET", "/health", nil)
	for _, c := range []struct {
		mode   string
		req    *http.Request
		status int
		want   bool
	}{
		{"all", chain, 200, true}, {"all", health, 200, false}, {"all", health, 503, true},
		{"errors", chain, 200, false}, {"errors", chain, 502, true},
		{"none", chain, 502, false},
	} {
		s := &Service{cfg: Config{LogRequests: c.mode}}
		if got := s.logs(c.req, c.status); got != c.want {
			t.Errorf("LOG_REQUESTS=%s, %s %d: logged %v, want %v", c.mode, c.req.URL.Path, c.status, got, c.want)
		}
	}
}

func TestLookupNetwork(t *testing.T) {
	addrs := func(cidrs ...string) func() ([]net.Addr, error) {
		return func() ([]net.Addr, error) {
			var out []net.Addr
			for _, c := range cidrs {
				ip, n, _ := net.ParseCIDR(c)
				n.IP = ip
				out = append(out, n)
			}
			return out, nil
		}
	}
	if got := lookupNetwork(addrs("127.0.0.1/8", "172.18.0.3/16", "::1/128", "fe80::1/64")); got != "ip4" {
		t.Errorf("IPv4 network (loopback and link-local v6 only): %s, want ip4", got)
	}
	if got := lookupNetwork(addrs("172.18.0.3/16", "fd00:1::3/64")); got != "ip" {
		t.Errorf("dual-stack network: %s, want ip", got)
	}
}
