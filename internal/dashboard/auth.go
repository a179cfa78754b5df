// Who may ask: the token (query, cookie or header, compared in constant time), the host, and for changes POST with the token header from the dashboard's own origin.

package dashboard

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// HeaderToken carries the token on a changing request. A page of another
// origin cannot set it without a CORS preflight, which is refused.
const HeaderToken = "X-Chainctl-Token"

// contentSecurityPolicy lets the page load its own files only: no inline
// script or style, no CDN, no frame around it.
const contentSecurityPolicy = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// NewToken is 192 random bits from crypto/rand, in hex.
func NewToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("dashboard: no random token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// cookieName is the token cookie's name, this server's own: cookies are
// not kept apart by port, so two dashboards on one machine must not share
// a name.
func cookieName(token string) string {
	sum := sha256.Sum256([]byte("cookie:" + token))
	return "chainctl_dashboard_" + hex.EncodeToString(sum[:4])
}

// tokenEqual compares in constant time, also when the lengths differ
// (both sides are hashed first).
func tokenEqual(got, want string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1 && got != "" // a zero token never matches
}

// guard lets through the requests that have the token, and for anything
// but GET and HEAD only those that also carry it in HeaderToken, come
// from the dashboard's origin and send JSON.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if host := hostOnly(r.Host); !s.o.ListenAny && !isLoopback(host) {
			s.refuse(w, r, http.StatusForbidden, fmt.Sprintf("host %q is not this machine: open the address chainctl printed", r.Host))
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			fromQuery := tokenEqual(r.URL.Query().Get("token"), s.token)
			if !fromQuery && !tokenEqual(r.Header.Get(HeaderToken), s.token) && !tokenEqual(s.cookieToken(r), s.token) {
				s.refuse(w, r, http.StatusForbidden, "no token or a wrong one: open the address chainctl printed, with its ?token=")
				return
			}
			if fromQuery {
				http.SetCookie(w, &http.Cookie{Name: s.cookie, Value: s.token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			}
			next.ServeHTTP(w, r)
			return
		}
		if !tokenEqual(r.Header.Get(HeaderToken), s.token) {
			s.refuse(w, r, http.StatusForbidden, "a change needs the token in the "+HeaderToken+" header (a cookie is not enough)")
			return
		}
		if err := sameOrigin(r); err != nil {
			s.refuse(w, r, http.StatusForbidden, err.Error())
			return
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			s.refuse(w, r, http.StatusUnsupportedMediaType, "a change is a JSON body (Content-Type: application/json)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) cookieToken(r *http.Request) string {
	c, err := r.Cookie(s.cookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// sameOrigin checks that a change comes from the dashboard's own page:
// its Origin, else its Referer, is http://HOST of the request. A client
// that sends neither is not a browser (browsers send Origin on every
// POST), and the token header is what it is asked for.
func sameOrigin(r *http.Request) error {
	want := "http://" + strings.ToLower(r.Host)
	if o := r.Header.Get("Origin"); o != "" {
		if !strings.EqualFold(o, want) {
			return fmt.Errorf("origin %s is not the dashboard's (%s): a page elsewhere cannot change the project", o, want)
		}
		return nil
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		u, err := url.Parse(ref)
		if err != nil || !strings.EqualFold(u.Scheme+"://"+u.Host, want) {
			return fmt.Errorf("referer %s is not of the dashboard's origin (%s): a page elsewhere cannot change the project", ref, want)
		}
	}
	return nil
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// refuse answers an error, logged with who asked: a refused change is
// worth knowing about.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, why string) {
	s.logf("refused %s %s from %s: %s", r.Method, r.URL.Path, r.RemoteAddr, why)
	writeError(w, r, status, why)
}

// writeError is JSON for the API, text for a page.
func writeError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "chainctl dashboard: %d %s: %s\n", status, http.StatusText(status), msg)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
