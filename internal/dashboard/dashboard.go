// Package dashboard is chainctl's live dashboard: one local web page, all
// of it embedded (no CDN, nothing fetched from elsewhere), that shows a
// project as it runs. The graph is internal/graph's SVG, redrawn as the
// engine's events come (server-sent events to the page, a resync every few
// seconds as a safety net); a strip chart shows a light probe load through
// the entry; the project's events are listed; buttons break and heal.
//
// It listens on loopback only unless told otherwise, and every request
// needs the random token printed with the URL: the page keeps it in a
// SameSite=Strict HttpOnly cookie after the first load, and a changing
// request (break, heal, probe) is a POST that carries it in a header and
// comes from the dashboard's own origin. It takes narrow interfaces of the
// backend, so its handlers are tested with httptest and fakes.
package dashboard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/graph"
	"github.com/chainctl/chainctl/internal/topology"
)

// Engine is what the dashboard asks of the backend (engine.Backend has
// it all).
type Engine interface {
	Kind() string
	PS(ctx context.Context, project string) ([]engine.ContainerStatus, error)
	Break(ctx context.Context, project string, targets []engine.Target, opts engine.BreakOptions) (*engine.BreakResult, error)
	Heal(ctx context.Context, project string, services []string, opts engine.HealOptions) (*engine.HealResult, error)
	Endpoint(ctx context.Context, project, service string) (string, string, error)
	BreakModes() []engine.Mode
}

// EventSource is the half of engine.Observer the dashboard reads.
type EventSource interface {
	Events(ctx context.Context, project string, opts engine.EventsOptions, emit func(engine.Event) error) error
}

// GraphSource draws the project as it runs now.
type GraphSource interface {
	Graph(ctx context.Context) (*graph.Graph, error)
}

// LiveGraph is the topology's graph coloured by ps's rows.
type LiveGraph struct {
	Topology *topology.Topology
	Engine   interface {
		PS(ctx context.Context, project string) ([]engine.ContainerStatus, error)
	}
}

// Graph asks ps and draws.
func (l LiveGraph) Graph(ctx context.Context) (*graph.Graph, error) {
	rows, err := l.Engine.PS(ctx, l.Topology.Name)
	if err != nil {
		return nil, err
	}
	g := graph.New(l.Topology)
	g.SetLive(rows)
	return g, nil
}

// Defaults.
const (
	DefaultListen    = "127.0.0.1:0"
	DefaultProbeRate = 5.0 // requests per second: light, and enough for a second's ratio
	DefaultResync    = 3 * time.Second
	// EventsBack is how far back the events panel starts: the engine
	// keeps its last few hundred events, chainctl's records stay until
	// down.
	EventsBack = "15m"
)

// Options say what to show and where.
type Options struct {
	Project string
	Engine  Engine
	// Events feeds the events panel and redraws the graph as things
	// happen; nil (a backend without engine.Observer): the graph is only
	// resynced, and the panel says why it is empty.
	Events EventSource
	// Graph draws the project; nil: LiveGraph of Topology on Engine.
	Graph    GraphSource
	Topology *topology.Topology

	Listen    string  // host:port; "": DefaultListen
	ListenAny bool    // allow an address that is not loopback
	ProbeRate float64 // 0: DefaultProbeRate
	// Resync redraws the graph this often whatever the events say; 0:
	// DefaultResync.
	Resync time.Duration
	Token  string // "": a random one (tests give their own)

	Out io.Writer // the URL is printed here
	Log io.Writer // refusals, engine trouble, break and heal results
}

func (o *Options) defaults() {
	if o.Listen == "" {
		o.Listen = DefaultListen
	}
	if o.ProbeRate <= 0 {
		o.ProbeRate = DefaultProbeRate
	}
	if o.Resync <= 0 {
		o.Resync = DefaultResync
	}
	if o.Graph == nil {
		o.Graph = LiveGraph{Topology: o.Topology, Engine: o.Engine}
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// Serve listens, prints the URL with its token on o.Out, and serves the
// dashboard until ctx ends (Ctrl-C); then it stops the probe load and
// the server and returns nil.
func Serve(ctx context.Context, o Options) error {
	o.defaults()
	if err := CheckListen(o.Listen, o.ListenAny); err != nil {
		return err
	}
	s, err := New(o)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.o.Listen)
	if err != nil {
		return fmt.Errorf("dashboard: listen on %s: %w (give another --listen, e.g. 127.0.0.1:0 for any free port)", s.o.Listen, err)
	}
	return s.Run(ctx, ln)
}

// Server is one dashboard: its token, the hub its pages listen to, the
// probe load and what redraws the graph.
type Server struct {
	o       Options
	token   string
	cookie  string // the cookie's name, this server's own
	hub     *hub
	probe   *probe
	refresh chan struct{}   // something happened: redraw the graph soon
	runCtx  context.Context // Run's: the probe load lives as long
	logMu   sync.Mutex
}

// New prepares a server; Handler or Run use it.
func New(o Options) (*Server, error) {
	o.defaults()
	if o.Engine == nil || o.Project == "" {
		return nil, errors.New("dashboard: no engine or no project")
	}
	tok := o.Token
	if tok == "" {
		var err error
		if tok, err = NewToken(); err != nil {
			return nil, err
		}
	}
	s := &Server{o: o, token: tok, cookie: cookieName(tok), hub: newHub(), refresh: make(chan struct{}, 1)}
	s.probe = newProbe(s)
	s.hub.set(kindHello, s.hello())
	s.hub.set(kindProbe, s.probe.snapshot(time.Now()))
	return s, nil
}

// Run serves on ln until ctx ends.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	s.runCtx = ctx // before any request
	srv := &http.Server{
		Handler:           s.Handler(),
		BaseContext:       func(net.Listener) context.Context { return ctx }, // Ctrl-C ends every request
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintf(s.o.Out, "dashboard of project %s: %s\n", s.o.Project, DashboardURL(ln.Addr(), s.token))
	s.logf("open the address above in a browser (it holds the token: keep it to yourself); Ctrl-C stops the dashboard")
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.watch(wctx) }()

	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
		err = fmt.Errorf("dashboard: serving on %s: %w", ln.Addr(), err)
	}
	s.probe.stop()
	s.hub.close() // ends every event stream
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	stopWatch()
	wg.Wait()
	return err
}

// base is what the probe load lives in: Run's context.
func (s *Server) base() context.Context {
	if s.runCtx == nil {
		return context.Background()
	}
	return s.runCtx
}

// hello is what a page learns first: the project and the modes.
func (s *Server) hello() helloMsg {
	h := helloMsg{Project: s.o.Project, Kind: s.o.Engine.Kind(), NetworkModes: engine.NetworkModes,
		ProbeRate: s.o.ProbeRate, Events: s.o.Events != nil}
	for _, m := range s.o.Engine.BreakModes() {
		h.Modes = append(h.Modes, modeMsg{Name: m.Name, Help: m.Help})
	}
	return h
}

type modeMsg struct {
	Name string `json:"name"`
	Help string `json:"help"`
}

type helloMsg struct {
	Project      string    `json:"project"`
	Kind         string    `json:"kind"`
	Modes        []modeMsg `json:"modes"`
	NetworkModes []string  `json:"network_modes"`
	ProbeRate    float64   `json:"probe_rate"`
	Events       bool      `json:"events"` // false: the backend has no events
}

// logf writes one line to the log.
func (s *Server) logf(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.o.Log, "dashboard: "+format+"\n", args...)
}

// kick asks for a redraw of the graph.
func (s *Server) kick() {
	select {
	case s.refresh <- struct{}{}:
	default:
	}
}
