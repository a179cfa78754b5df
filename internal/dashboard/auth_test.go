// Tests of who may ask: the token on every request, the cookie it leaves, POST only for changes, with the header, from the dashboard's own origin and host.

package dashboard

import (
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestNewTokenIsRandomAndLongEnough(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if a == b || len(a) < 32 || strings.Trim(a, "0123456789abcdef") != "" {
		t.Errorf("tokens %q and %q: want two different hex strings of at least 128 bits", a, b)
	}
	if cookieName(a) == cookieName(b) || !strings.HasPrefix(cookieName(a), "chainctl_dashboard_") {
		t.Errorf("cookie names %q, %q: want one per token", cookieName(a), cookieName(b))
	}
}

func TestTokenEqual(t *testing.T) {
	for _, tc := range []struct {
		got  string
		want bool
	}{
		{testToken, true}, {"", false}, {testToken[:47], false}, {testToken + "0", false},
		{strings.ToUpper(testToken), false}, {"x" + testToken[1:], false},
	} {
		if tokenEqual(tc.got, testToken) != tc.want {
			t.Errorf("tokenEqual(%q) = %v, want %v", tc.got, !tc.want, tc.want)
		}
	}
	if tokenEqual("", "") {
		t.Error("an empty token must never match")
	}
}

func TestEveryRequestNeedsTheToken(t *testing.T) {
	_, ts := newTestServer(t, &fakeEngine{}, nil)
	for _, path := range []string{"/", "/app.js", "/app.css", "/graph.css", "/favicon.svg", "/api/stream", "/nope"} {
		for _, q := range []string{"", "?token=", "?token=wrong", "?token=" + testToken[:40]} {
			resp, body := do(t, "GET", ts.URL+path+q, "")
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("GET %s%s: %d, want 403", path, q, resp.StatusCode)
			}
			if resp.Header.Get("Content-Security-Policy") != contentSecurityPolicy || strings.Contains(body, testToken) {
				t.Errorf("GET %s%s: the refusal lacks the CSP or shows the token: %q", path, q, body)
			}
			if len(resp.Cookies()) > 0 {
				t.Errorf("GET %s%s: a refusal set a cookie", path, q)
			}
		}
	}
	resp, body := do(t, "GET", ts.URL+"/?token="+testToken, "")
	if resp.StatusCode != 200 || !strings.Contains(body, `<meta name="chainctl-token" content="`+testToken+`">`) {
		t.Fatalf("GET /?token=: %d %q", resp.StatusCode, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'") {
		t.Errorf("the page's CSP is %q, want default-src 'self'", csp)
	}
	cs := resp.Cookies()
	if len(cs) != 1 || cs[0].Value != testToken || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteStrictMode || cs[0].Path != "/" {
		t.Fatalf("the first load set cookies %+v, want one HttpOnly SameSite=Strict cookie with the token", cs)
	}
	cookie := cs[0].Name + "=" + cs[0].Value
	for _, path := range []string{"/", "/app.js", "/app.css", "/graph.css", "/favicon.svg"} {
		if resp, _ := do(t, "GET", ts.URL+path, "", "Cookie", cookie); resp.StatusCode != 200 || len(resp.Cookies()) != 0 {
			t.Errorf("GET %s with the cookie: %d (cookies %v), want 200 and no new cookie", path, resp.StatusCode, resp.Cookies())
		}
	}
	if resp, _ := do(t, "GET", ts.URL+"/app.js", "", "Cookie", cs[0].Name+"=wrong"); resp.StatusCode != 403 {
		t.Errorf("GET /app.js with a wrong cookie: %d, want 403", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", ts.URL+"/app.js", "", "Cookie", "chainctl_dashboard_other="+testToken); resp.StatusCode != 403 {
		t.Errorf("GET /app.js with another dashboard's cookie name: %d, want 403", resp.StatusCode)
	}
}

func TestChangesArePostOnlyWithTheHeaderFromTheOrigin(t *testing.T) {
	fe := &fakeEngine{}
	_, ts := newTestServer(t, fe, nil)
	own := ts.URL // http://127.0.0.1:PORT
	cookie := cookieName(testToken) + "=" + testToken
	body := `{"service":"c","mode":"kill"}`
	json := "application/json"
	cases := []struct {
		name   string
		method string
		hdr    []string
		want   int
	}{
		{"GET", "GET", []string{"Cookie", cookie, HeaderToken, testToken}, http.StatusMethodNotAllowed},
		{"PUT", "PUT", []string{HeaderToken, testToken, "Origin", own, "Content-Type", json}, http.StatusMethodNotAllowed},
		{"no token", "POST", []string{"Origin", own, "Content-Type", json}, 403},
		{"cookie only", "POST", []string{"Cookie", cookie, "Origin", own, "Content-Type", json}, 403},
		{"wrong header", "POST", []string{HeaderToken, "nope", "Origin", own, "Content-Type", json}, 403},
		{"other origin", "POST", []string{HeaderToken, testToken, "Origin", "http://127.0.0.1:1", "Content-Type", json}, 403},
		{"other host origin", "POST", []string{HeaderToken, testToken, "Origin", "http://evil.example", "Content-Type", json}, 403},
		{"null origin", "POST", []string{HeaderToken, testToken, "Origin", "null", "Content-Type", json}, 403},
		{"https origin", "POST", []string{HeaderToken, testToken, "Origin", strings.Replace(own, "http:", "https:", 1), "Content-Type", json}, 403},
		{"other referer", "POST", []string{HeaderToken, testToken, "Referer", "http://evil.example/page", "Content-Type", json}, 403},
		{"not json", "POST", []string{HeaderToken, testToken, "Origin", own, "Content-Type", "text/plain"}, http.StatusUnsupportedMediaType},
		{"form", "POST", []string{HeaderToken, testToken, "Origin", own, "Content-Type", "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType},
	}
	for _, tc := range cases {
		resp, text := do(t, tc.method, ts.URL+"/api/break", body, tc.hdr...)
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, resp.StatusCode, text, tc.want)
		}
	}
	if b := fe.breaksSeen(); len(b) != 0 {
		t.Fatalf("refused requests broke %+v", b)
	}
	for _, hdr := range [][]string{
		{HeaderToken, testToken, "Origin", own, "Content-Type", json},
		{HeaderToken, testToken, "Referer", own + "/", "Content-Type", "application/json; charset=utf-8"},
		{HeaderToken, testToken, "Content-Type", json}, // not a browser: no Origin, no Referer
	} {
		if resp, text := do(t, "POST", ts.URL+"/api/break", body, hdr...); resp.StatusCode != 200 {
			t.Errorf("POST with %q: %d %s, want 200", hdr, resp.StatusCode, text)
		}
	}
	if b := fe.breaksSeen(); len(b) != 3 {
		t.Errorf("the accepted requests broke %d times, want 3", len(b))
	}
}

func TestTheHostMustBeThisMachine(t *testing.T) {
	_, ts := newTestServer(t, &fakeEngine{}, nil)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(ts.URL, "http://"))
	for host, want := range map[string]int{
		"127.0.0.1:" + port: 200, "localhost:" + port: 200, "[::1]:" + port: 200,
		"evil.example:" + port: 403, "192.168.1.5:" + port: 403,
	} {
		if resp, _ := do(t, "GET", ts.URL+"/?token="+testToken, "", "Host", host); resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
	_, any := newTestServer(t, &fakeEngine{}, func(o *Options) { o.ListenAny = true })
	if resp, _ := do(t, "GET", any.URL+"/?token="+testToken, "", "Host", "dash.example:"+port); resp.StatusCode != 200 {
		t.Errorf("with --listen-any, another host name: %d, want 200", resp.StatusCode)
	}
}

func TestCheckListen(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:0": true, "127.0.0.2:8765": true, "localhost:0": true, "[::1]:0": true,
		"0.0.0.0:0": false, ":8080": false, "192.168.1.5:80": false, "[::]:0": false, "dash.example:80": false,
		"127.0.0.1": false, "": false,
	} {
		err := CheckListen(addr, false)
		if (err == nil) != ok {
			t.Errorf("CheckListen(%q) = %v, want ok %v", addr, err, ok)
		}
		if err != nil && ok == false && strings.Contains(addr, ":") && addr != "127.0.0.1" {
			if !strings.Contains(err.Error(), "--listen-any") {
				t.Errorf("CheckListen(%q): %v does not say how to allow it", addr, err)
			}
			if CheckListen(addr, true) != nil {
				t.Errorf("CheckListen(%q, any) refused it", addr)
			}
		}
	}
}

func TestDashboardURL(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4321}, "http://127.0.0.1:4321/?token=" + testToken},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 4321}, "http://[::1]:4321/?token=" + testToken},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 4321}, "http://127.0.0.1:4321/?token=" + testToken},
	} {
		if got := DashboardURL(tc.addr, testToken); got != tc.want {
			t.Errorf("DashboardURL(%s) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}
