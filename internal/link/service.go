// Package link is the demo workload: an HTTP service that calls the next
// service(s) of a chain and answers with the tree of hops it took, so that a
// request to the entry shows a → b → c, and exactly where the chain broke.
// Standard library only.
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
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Headers that travel down the chain.
const (
	HeaderHops    = "X-Chain-Hops"      // how many hops came before: loops end at MAX_HOPS
	HeaderBudget  = "X-Chain-Budget-Ms" // what is left of the caller's timeout
	HeaderPayload = "X-Chain-Payload"   // bytes the last hop fills (?payload=N on the entry)
)

// budgetMargin is what each hop keeps for itself out of its caller's
// budget, so a slow callee is reported by the deepest hop that saw it,
// not cut off at every level at once.
const budgetMargin = 100 * time.Millisecond

const (
	maxBodyBytes   = 1 << 20  // request bodies are not used; bound them anyway
	maxHeaderBytes = 16 << 10 // a client with bigger headers is cut off
)

// ShutdownGrace bounds a graceful stop: in-flight requests get this long,
// so a container's teardown never waits out the engine's stop timeout.
const ShutdownGrace = time.Second

// Service is one link of the chain.
type Service struct {
	cfg      Config
	client   *http.Client // calls to https:// hops
	hops     *hopClient   // calls to http:// hops
	next     []*upstream  // cfg.Next, parsed; nil where a URL did not parse
	nextErrs []error
	log      *logWriter
	head     []byte // the start of this hop's JSON (see appendJSON)
	started  time.Time
	served   atomic.Int64
}

// New builds the service. Downstream calls keep up to 64 idle keep-alive
// connections per address, enough that a loaded chain reuses them.
func New(cfg Config, logw io.Writer) *Service {
	return newService(cfg, logw, net.DefaultResolver)
}

// newService is New with the resolver of NEXT's names (a fake in tests).
func newService(cfg Config, logw io.Writer, res resolver) *Service {
	network := lookupNetwork(net.InterfaceAddrs)
	s := &Service{
		cfg:     cfg,
		client:  &http.Client{Transport: newTransport(cfg)},
		hops:    newHopClient(cfg.Timeout),
		log:     newLogWriter(logw),
		started: time.Now(),
	}
	s.head = jsonHead(&Node{Service: cfg.Name, Instance: cfg.Instance, Version: cfg.Version})
	for _, n := range cfg.Next {
		up, err := newUpstream(n, res, network, cfg.Timeout)
		s.next = append(s.next, up)
		s.nextErrs = append(s.nextErrs, err)
	}
	return s
}

func newTransport(cfg Config) *http.Transport {
	return &http.Transport{
		Proxy:               nil, // hops talk directly, whatever HTTP_PROXY says
		DialContext:         (&net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}
}

// Server returns an http.Server with the limits a service on a shared
// network needs: slow or oversized clients are cut off.
func (s *Service) Server() *http.Server {
	return &http.Server{
		Addr:              s.cfg.Listen,
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      s.cfg.Timeout + 10*time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// Run serves on l until ctx is cancelled (SIGTERM in main), then shuts
// down: in-flight requests get ShutdownGrace to finish, then connections
// are closed. A stop is not an error. While it serves, request log lines
// are written in batches, at most logFlushEvery late, and all of them
// before it returns.
func (s *Service) Run(ctx context.Context, l net.Listener) error {
	srv := s.Server()
	s.log.Printf("link %s (%s, version %s) listening on %s, next: %v", s.cfg.Name, s.cfg.Instance, s.cfg.Version, l.Addr(), s.cfg.Next)
	defer s.log.buffer()()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	defer s.hops.closeIdle()
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close() // grace is over: cut what is still running
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Handler routes /, /health and /version, and logs one line per request
// as LOG_REQUESTS says.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.serveChain)
	mux.HandleFunc("GET /health", s.serveHealth)
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, s.cfg.Version)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		mux.ServeHTTP(rec, r)
		s.served.Add(1)
		if s.logs(r, rec.status) {
			s.log.request(r.Method, r.URL.RequestURI(), rec.status, time.Since(start), hopsOf(r))
		}
	})
}

// logs decides whether a request gets a log line (LOG_REQUESTS).
func (s *Service) logs(r *http.Request, status int) bool {
	switch {
	case status != http.StatusOK:
		return s.cfg.LogRequests != "none"
	case r.URL.Path == "/health":
		return false
	}
	return s.cfg.LogRequests == "all"
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// hopsOf is how many hops came before this one. Anything but a count
// (a negative one would let a loop run far past MAX_HOPS) counts as 0.
func hopsOf(r *http.Request) int {
	n, err := strconv.Atoi(r.Header.Get(HeaderHops))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func (s *Service) serveHealth(w http.ResponseWriter, r *http.Request) {
	if !r.URL.Query().Has("verbose") {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"service":    s.cfg.Name,
		"instance":   s.cfg.Instance,
		"version":    s.cfg.Version,
		"goroutines": runtime.NumGoroutine(),
		"uptime_s":   time.Since(s.started).Seconds(),
		"requests":   s.served.Load(),
	})
}

// serveChain calls every NEXT in parallel and answers with the tree. The
// last hop (no NEXT) fills the payload the request asks for.
func (s *Service) serveChain(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	hops := hopsOf(r)
	self := &Node{Service: s.cfg.Name, Instance: s.cfg.Instance, Version: s.cfg.Version, Status: http.StatusOK}
	payload, err := requestedPayload(r)
	switch {
	case err != nil:
		self.Status = http.StatusBadRequest
		self.Error = err.Error()
	case hops >= s.cfg.MaxHops:
		self.Status = http.StatusLoopDetected
		self.Error = fmt.Sprintf("more than %d hops: is the chain a loop?", s.cfg.MaxHops)
	case len(s.next) == 0:
		self.Payload = payloadBytes(payload)
	default:
		self.Calls = s.callAll(r.Context(), hopHeaders{hops: hops + 1, budget: s.budget(r), payload: payload})
		self.Status = statusFor(self.Calls)
	}
	self.TookMS = ms(time.Since(start))
	s.writeNode(w, r, self)
}

// budget is the time this hop may spend downstream: its own TIMEOUT, or
// less when its caller has less left.
func (s *Service) budget(r *http.Request) time.Duration {
	b := s.cfg.Timeout
	if v, err := strconv.Atoi(r.Header.Get(HeaderBudget)); err == nil {
		if left := time.Duration(v)*time.Millisecond - budgetMargin; left < b {
			b = max(left, budgetMargin)
		}
	}
	return b
}

var (
	contentJSON = []string{"application/json"}
	contentText = []string{"text/plain; charset=utf-8"}
	bufs        = sync.Pool{New: func() any { return new([]byte) }}
)

// writeNode answers with n: JSON (as encoding/json writes it, followed by
// a newline) or text, in one write.
func (s *Service) writeNode(w http.ResponseWriter, r *http.Request, n *Node) {
	bp := bufs.Get().(*[]byte)
	b := (*bp)[:0]
	if wantsJSON(r) {
		w.Header()["Content-Type"] = contentJSON
		if size := jsonSizeHint(n); size > cap(b) {
			b = make([]byte, 0, size) // a payload: one allocation, not a doubling
		}
		b = append(appendJSON(b, n, s.head), '\n')
	} else {
		w.Header()["Content-Type"] = contentText
		buf := bytes.NewBuffer(b)
		_ = RenderText(buf, n)
		b = buf.Bytes()
	}
	w.WriteHeader(n.Status)
	_, _ = w.Write(b)
	if cap(b) <= 64<<10 {
		*bp = b
		bufs.Put(bp)
	}
}

// wantsJSON: ?format=json, or Accept: application/json.
func wantsJSON(r *http.Request) bool {
	return queryFormat(r.URL.RawQuery) == "json" || r.Header.Get("Accept") == "application/json"
}

// queryFormat is r.URL.Query().Get("format"), without building the map
// for the plain queries links send.
func queryFormat(q string) string {
	v, _ := queryValue(q, "format")
	return v
}

// queryValue is the first value of key in the query q and whether key is
// there at all, as r.URL.Query() says, without building the map for the
// plain queries links send.
func queryValue(q, key string) (string, bool) {
	if strings.ContainsAny(q, "%+;") {
		if vs := (&url.URL{RawQuery: q}).Query()[key]; len(vs) > 0 {
			return vs[0], true
		}
		return "", false
	}
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v, true
		}
	}
	return "", false
}
