// The routes: the page and its files, the event stream, and the changes (break, heal, probe) as JSON POSTs.

package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/chainctl/chainctl/internal/engine"
)

// maxBody bounds a change's JSON.
const maxBody = 64 << 10

// Handler is every route behind the guard (token, host, origin).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.pageRoutes(mux)
	mux.HandleFunc("GET /api/stream", s.stream)
	mux.HandleFunc("POST /api/break", s.breakHandler)
	mux.HandleFunc("POST /api/heal", s.healHandler)
	mux.HandleFunc("POST /api/probe", s.probeHandler)
	return s.guard(mux)
}

// breakRequest is the page's break form: what the break verb's flags
// say (cmd/chainctl/app/break.go), as text.
type breakRequest struct {
	Service   string   `json:"service"` // SERVICE or SERVICE/N
	Mode      string   `json:"mode"`
	Signal    string   `json:"signal,omitempty"`
	Delay     string   `json:"delay,omitempty"` // durations: 200ms
	Jitter    string   `json:"jitter,omitempty"`
	Loss      string   `json:"loss,omitempty"`
	Rate      string   `json:"rate,omitempty"`
	Direction string   `json:"direction,omitempty"`
	From      []string `json:"from,omitempty"`
}

// options maps the form to a break, as the break verb maps its flags.
func (b breakRequest) options(modes []engine.Mode, kind string) ([]engine.Target, engine.BreakOptions, error) {
	targets, err := engine.ParseTargets([]string{strings.TrimSpace(b.Service)})
	if err != nil {
		return nil, engine.BreakOptions{}, err
	}
	mode := b.Mode
	if mode == "" {
		mode = engine.ModeKill
	}
	if err := engine.CheckMode(kind, mode, modes); err != nil {
		return nil, engine.BreakOptions{}, err
	}
	spec := engine.BreakSpec{Mode: mode, ModeSet: true, Signal: b.Signal, Loss: b.Loss, Rate: b.Rate, Direction: b.Direction}
	var errs []error
	for _, d := range []struct {
		name, text string
		to         *time.Duration
	}{{"delay", b.Delay, &spec.Delay}, {"jitter", b.Jitter, &spec.Jitter}} {
		if d.text == "" {
			continue
		}
		v, err := time.ParseDuration(d.text)
		if err != nil || v < 0 {
			errs = append(errs, fmt.Errorf("%s %q: want a duration such as 200ms", d.name, d.text))
		}
		*d.to = v
	}
	for _, f := range b.From {
		if f = strings.TrimSpace(f); f != "" {
			spec.From = append(spec.From, f)
		}
	}
	if len(errs) > 0 {
		return nil, engine.BreakOptions{}, errors.Join(errs...)
	}
	opts, err := spec.Options()
	return targets, opts, err
}

// breakMsg is what a break did, for the page's status line.
type breakMsg struct {
	Text          string   `json:"text"`
	Broken        []string `json:"broken"`
	AlreadyBroken []string `json:"already_broken,omitempty"`
	Replaced      []string `json:"replaced,omitempty"`
	Affected      []string `json:"affected,omitempty"`
}

func (s *Server) breakHandler(w http.ResponseWriter, r *http.Request) {
	var req breakRequest
	if !readJSON(w, r, &req) {
		return
	}
	targets, opts, err := req.options(s.o.Engine.BreakModes(), s.o.Engine.Kind())
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "break: "+err.Error())
		return
	}
	res, err := s.o.Engine.Break(r.Context(), s.o.Project, targets, opts)
	s.kick()
	if err != nil {
		s.logf("break %s: %v", req.Service, err)
		writeError(w, r, http.StatusBadGateway, "break "+req.Service+": "+err.Error())
		return
	}
	m := breakMsg{Broken: orEmpty(res.Broken), AlreadyBroken: res.AlreadyBroken, Replaced: res.Replaced, Affected: res.Affected}
	m.Text = breakText(opts, res)
	s.logf("%s", m.Text)
	writeJSON(w, http.StatusOK, m)
}

// breakText is the break verb's summary line.
func breakText(opts engine.BreakOptions, res *engine.BreakResult) string {
	if len(res.Broken) == 0 {
		if len(res.AlreadyBroken) > 0 {
			return "already broken, left as it is (heal it first): " + strings.Join(res.AlreadyBroken, ", ")
		}
		return "nothing broken"
	}
	what := opts.Mode
	if opts.Net != nil {
		what = opts.Net.String()
		if len(opts.From) > 0 {
			what += " from " + strings.Join(opts.From, ",")
		}
	}
	text := fmt.Sprintf("broke %s (%s)", strings.Join(res.Broken, ", "), what)
	if len(res.Affected) > 0 {
		return text + "; affected callers: " + strings.Join(res.Affected, ", ")
	}
	return text + "; affected callers: none"
}

type healRequest struct {
	Services []string `json:"services"` // none: the whole project
}

type healMsg struct {
	Text   string   `json:"text"`
	Healed []string `json:"healed"`
}

func (s *Server) healHandler(w http.ResponseWriter, r *http.Request) {
	var req healRequest
	if !readJSON(w, r, &req) {
		return
	}
	var services []string
	for _, sv := range req.Services {
		if sv = strings.TrimSpace(sv); sv != "" && !slices.Contains(services, sv) {
			services = append(services, sv)
		}
	}
	res, err := s.o.Engine.Heal(r.Context(), s.o.Project, services, engine.HealOptions{})
	s.kick()
	if err != nil {
		s.logf("heal %s: %v", strings.Join(services, " "), err)
		writeError(w, r, http.StatusBadGateway, "heal: "+err.Error())
		return
	}
	m := healMsg{Healed: orEmpty(res.Healed), Text: "nothing to heal: every container is healthy"}
	if len(res.Healed) > 0 {
		m.Text = "healed " + strings.Join(res.Healed, ", ")
	}
	s.logf("%s", m.Text)
	writeJSON(w, http.StatusOK, m)
}

type probeRequest struct {
	Run bool `json:"run"`
}

func (s *Server) probeHandler(w http.ResponseWriter, r *http.Request) {
	var req probeRequest
	if !readJSON(w, r, &req) {
		return
	}
	if !req.Run {
		writeJSON(w, http.StatusOK, s.probe.stop())
		return
	}
	m, err := s.probe.start(r.Context(), s.base())
	if err != nil {
		writeError(w, r, http.StatusBadGateway, "probe: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// readJSON decodes a change's body strictly; false when it answered an
// error.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, r, http.StatusBadRequest, "the body is not the JSON expected: "+err.Error())
		return false
	}
	return true
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
