// Keeping the page live: the project's events from the Observer, each one redrawing the graph soon after, and a resync every few seconds as a safety net.

package dashboard

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/graph"
)

// settle is how long a redraw waits after an event for the ones that
// come with it (a kill brings kill, die, and the record of the break).
const settle = 60 * time.Millisecond

// eventsRetry is how long a broken events stream waits before it starts
// again.
const eventsRetry = 2 * time.Second

// graphMsg is the graph as the page shows it: the SVG, without its style
// sheet (served as /graph.css, as the page's policy allows no inline
// style), and each service's state in words.
type graphMsg struct {
	SVG      string       `json:"svg"`
	Services []serviceMsg `json:"services"`
	Error    string       `json:"error,omitempty"` // the last redraw failed: the SVG is the one before
}

type serviceMsg struct {
	Name     string `json:"name"`
	Replicas int    `json:"replicas"`
	State    string `json:"state"`
	Fault    string `json:"fault,omitempty"`
	Extra    bool   `json:"extra,omitempty"`
}

// statusMsg says what is wrong with the dashboard's view, "" when nothing.
type statusMsg struct {
	Events string `json:"events,omitempty"` // the events stream
}

// watch redraws the graph now, after each event (settled) and every
// Resync, until ctx ends; the events are followed alongside.
func (s *Server) watch(ctx context.Context) {
	if s.o.Events != nil {
		go s.followEvents(ctx)
	}
	resync := time.NewTicker(s.o.Resync)
	defer resync.Stop()
	var last graphMsg
	for {
		last = s.redraw(ctx, last)
		select {
		case <-ctx.Done():
			return
		case <-resync.C:
		case <-s.refresh:
			t := time.NewTimer(settle)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			select { // what came while settling is in this redraw
			case <-s.refresh:
			default:
			}
		}
	}
}

// redraw asks the graph source and sends the graph when it changed; on
// failure the previous picture stays, with the error.
func (s *Server) redraw(ctx context.Context, last graphMsg) graphMsg {
	g, err := s.o.Graph.Graph(ctx)
	if ctx.Err() != nil {
		return last
	}
	m := last
	if err != nil {
		m.Error = fmt.Sprintf("asking the engine for project %s: %v", s.o.Project, err)
	} else if m, err = graphMessage(g); err != nil {
		m = last
		m.Error = err.Error()
	}
	s.hub.set(kindGraph, m)
	return m
}

// graphMessage renders g for the page.
func graphMessage(g *graph.Graph) (graphMsg, error) {
	var b bytes.Buffer
	if err := g.SVG(&b); err != nil {
		return graphMsg{}, fmt.Errorf("drawing the graph: %w", err)
	}
	svg, _ := splitStyle(b.String())
	m := graphMsg{SVG: svg, Services: []serviceMsg{}}
	for _, sv := range g.Services {
		m.Services = append(m.Services, serviceMsg{Name: sv.Name, Replicas: sv.Replicas, State: string(sv.State), Fault: sv.Fault, Extra: sv.Extra})
	}
	return m, nil
}

// splitStyle takes the <style> element out of an SVG: the SVG without
// it, and the style sheet.
func splitStyle(svg string) (rest, css string) {
	i := strings.Index(svg, "<style>")
	j := strings.Index(svg, "</style>")
	if i < 0 || j < i {
		return svg, ""
	}
	css = svg[i+len("<style>") : j]
	rest = svg[:i] + strings.TrimPrefix(svg[j+len("</style>"):], "\n")
	return rest, strings.TrimSpace(css) + "\n"
}

// graphCSS is the style sheet of internal/graph's SVG, the same for
// every graph.
func graphCSS() string {
	g := &graph.Graph{Project: "style", Live: true, Services: []graph.Service{{Name: "x", Replicas: 1}}}
	var b bytes.Buffer
	if g.SVG(&b) != nil {
		return ""
	}
	_, css := splitStyle(b.String())
	return css
}

// followEvents sends the project's events to the pages from EventsBack
// on, and asks for a redraw at each; a stream that breaks starts again
// from the last event seen, without repeating it.
func (s *Server) followEvents(ctx context.Context) {
	since := EventsBack
	var last time.Time
	seen := map[engine.Event]bool{} // the events at time last
	for {
		err := s.o.Events.Events(ctx, s.o.Project, engine.EventsOptions{Since: since}, func(e engine.Event) error {
			switch {
			case e.Time.Before(last), e.Time.Equal(last) && seen[e]:
				return nil // shown before the stream broke
			case e.Time.After(last):
				last, seen = e.Time, map[engine.Event]bool{}
			}
			seen[e] = true
			s.hub.event(e)
			s.kick()
			return nil
		})
		if ctx.Err() != nil {
			return
		}
		msg := "the events stream ended"
		if err != nil {
			msg = "the events stream broke: " + err.Error()
		}
		s.logf("%s; starting it again in %s", msg, eventsRetry)
		s.hub.set(kindStatus, statusMsg{Events: msg + " (starting again)"})
		select {
		case <-ctx.Done():
			return
		case <-time.After(eventsRetry):
		}
		if !last.IsZero() {
			since = fmt.Sprintf("%d.%09d", last.Unix(), last.Nanosecond())
		}
		s.hub.set(kindStatus, statusMsg{})
	}
}
