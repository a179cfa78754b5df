package link

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Headers that travel down the chain.
const (
	HeaderHops   = "X-Chain-Hops"      // how many hops came before: loops end at MAX_HOPS
	HeaderBudget = "X-Chain-Budget-Ms" // what is left of the caller's timeout
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
	cfg     Config
	client  *http.Client
	lb      *balancer
	log     *log.Logger
	started time.Time
	served  atomic.Int64
}

// New builds the service. Downstream calls share one transport with enough
// idle connections per host that a loaded chain reuses them.
func New(cfg Config, logw io.Writer) *Service {
	tr := &http.Transport{
		Proxy:               nil, // hops talk directly, whatever HTTP_PROXY says
		DialContext:         (&net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Service{
		cfg:     cfg,
		client:  &http.Client{Transport: tr},
		lb:      newBalancer(),
		log:     log.New(logw, "", log.LstdFlags|log.Lmicroseconds),
		started: time.Now(),
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
// are closed. A stop is not an error.
func (s *Service) Run(ctx context.Context, l net.Listener) error {
	srv := s.Server()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	s.log.Printf("link %s (%s, version %s) listening on %s, next: %v", s.cfg.Name, s.cfg.Instance, s.cfg.Version, l.Addr(), s.cfg.Next)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
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
			s.log.Printf("%s %s %d %s hops=%d", r.Method, r.URL.RequestURI(), rec.status, time.Since(start).Round(time.Microsecond), hopsOf(r))
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

// serveChain calls every NEXT in parallel and answers with the tree.
func (s *Service) serveChain(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	hops := hopsOf(r)
	self := &Node{Service: s.cfg.Name, Instance: s.cfg.Instance, Version: s.cfg.Version, Status: http.StatusOK}
	if hops >= s.cfg.MaxHops {
		self.Status = http.StatusLoopDetected
		self.Error = fmt.Sprintf("more than %d hops: is the chain a loop?", s.cfg.MaxHops)
	} else {
		self.Calls = s.callAll(r.Context(), hops+1, s.budget(r))
		self.Status = statusFor(self.Calls)
	}
	self.TookMS = ms(time.Since(start))
	writeNode(w, r, self)
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

func (s *Service) callAll(ctx context.Context, hops int, budget time.Duration) []*Node {
	out := make([]*Node, len(s.cfg.Next))
	var wg sync.WaitGroup
	for i, next := range s.cfg.Next {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.call(ctx, next, hops, budget)
		}()
	}
	wg.Wait()
	return out
}

// call asks one downstream for its tree. A failure becomes a node that
// names the hop and the reason, so the tree shows where the chain broke.
func (s *Service) call(ctx context.Context, base string, hops int, budget time.Duration) *Node {
	start := time.Now()
	u, err := url.Parse(base)
	if err != nil {
		return &Node{Service: base, Status: http.StatusBadGateway, Error: "bad NEXT: " + err.Error()}
	}
	fail := func(status int, reason string) *Node {
		return &Node{Service: u.Hostname(), Status: status, Error: reason, TookMS: ms(time.Since(start))}
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	target, err := s.lb.pick(ctx, u)
	if err != nil {
		return fail(failure(err, budget))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target+"/?format=json", nil)
	if err != nil {
		return fail(http.StatusBadGateway, err.Error())
	}
	req.Host = u.Host
	req.Header.Set("Accept", "application/json")
	req.Header.Set(HeaderHops, strconv.Itoa(hops))
	req.Header.Set(HeaderBudget, strconv.FormatInt(budget.Milliseconds(), 10))
	resp, err := s.client.Do(req)
	if err != nil {
		return fail(failure(err, budget))
	}
	defer resp.Body.Close()
	n, err := readTree(resp)
	if err != nil {
		return fail(http.StatusBadGateway, err.Error())
	}
	return n
}

// statusFor is 200 when every call answered; otherwise the worst outcome:
// a loop (508), then a timeout anywhere below (504), then any failure (502).
func statusFor(calls []*Node) int {
	status := http.StatusOK
	for _, c := range calls {
		switch {
		case c.Status == http.StatusLoopDetected:
			return http.StatusLoopDetected
		case c.Status == http.StatusGatewayTimeout:
			status = http.StatusGatewayTimeout
		case !c.OK() && status == http.StatusOK:
			status = http.StatusBadGateway
		}
	}
	return status
}

func writeNode(w http.ResponseWriter, r *http.Request, n *Node) {
	if wantsJSON(r) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(n.Status)
		_ = json.NewEncoder(w).Encode(n)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(n.Status)
	_ = RenderText(w, n)
}

func wantsJSON(r *http.Request) bool {
	return r.URL.Query().Get("format") == "json" || r.Header.Get("Accept") == "application/json"
}
