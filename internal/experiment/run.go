// Running an experiment: the load from the start, the faults on their timeline, every fault healed at the end, on error and on Ctrl-C.

package experiment

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/chainctl/chainctl/internal/engine"
)

// LoadFunc runs the experiment's load from start for its duration (or
// until ctx ends), calling record once per request; it returns when the
// last request has answered or timed out. The command line passes the
// load generator; tests may pass another.
type LoadFunc func(ctx context.Context, start time.Time, record func(Request))

// Options are what a run needs besides the experiment.
type Options struct {
	Backend  engine.Backend
	Project  string
	URL      string
	Seed     int64
	Version  string
	Graph    Graph
	Load     LoadFunc
	Progress io.Writer // one line per timeline event (nil: none)
}

// healTimeout bounds the heals at the end, after an error or Ctrl-C.
const healTimeout = 60 * time.Second

// Run runs the experiment and returns its journal, analysed. Every fault
// it put on is healed before it returns, whatever happened; after Ctrl-C
// the journal holds what was measured until then and the error is ctx's.
func Run(ctx context.Context, e *Experiment, o Options) (*Journal, error) {
	plan, err := Plan(e, o.Seed)
	if err != nil {
		return nil, err
	}
	j := &Journal{Experiment: e, Seed: o.Seed, Version: o.Version, Project: o.Project, URL: o.URL, Graph: o.Graph}
	j.MarkFaulted(plan)
	for _, p := range plan {
		j.Faults = append(j.Faults, Fault{Service: faultSubject(p), Mode: modeOf(p), Text: p.text, Step: p.step})
	}
	start := time.Now()
	j.Started = start
	loadCtx, stopLoad := context.WithTimeout(ctx, e.Duration)
	defer stopLoad()
	var mu sync.Mutex
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		o.Load(loadCtx, start, func(r Request) {
			mu.Lock()
			j.Requests = append(j.Requests, r)
			mu.Unlock()
		})
	}()
	tl := &timeline{o: o, j: j, plan: plan, start: start}
	runErr := tl.run(loadCtx)
	healErr := tl.healAll(ctx)
	<-loadDone
	j.EndMS = msSince(start, time.Now())
	if d := float64(e.Duration.Milliseconds()); j.EndMS > d {
		j.EndMS = d
	}
	mu.Lock()
	Analyze(j)
	mu.Unlock()
	switch {
	case ctx.Err() != nil:
		return j, ctx.Err()
	case runErr != nil:
		return j, runErr
	}
	return j, healErr
}

func faultSubject(p planned) string {
	if p.partition != nil {
		return p.text[len("partition "):]
	}
	return p.targets[0].String()
}

func modeOf(p planned) string {
	if p.partition != nil {
		return "partition"
	}
	return p.opts.Mode
}

func msSince(start, t time.Time) float64 { return float64(t.Sub(start).Microseconds()) / 1000 }

// timeline puts each fault on at its time and heals it after its time,
// one engine call at a time (they share the project's lock), in time order.
type timeline struct {
	o      Options
	j      *Journal
	plan   []planned
	start  time.Time
	broken []bool // by fault: in force, to heal
}

type action struct {
	fault int
	heal  bool
	at    time.Duration
}

func (tl *timeline) run(ctx context.Context) error {
	tl.broken = make([]bool, len(tl.plan))
	var acts []action
	for i, p := range tl.plan {
		acts = append(acts, action{i, false, p.at}, action{i, true, p.at + p.dur})
	}
	sortActions(acts)
	for _, a := range acts {
		wait := time.Until(tl.start.Add(a.at))
		select {
		case <-ctx.Done():
			return nil // the load's end, or Ctrl-C: healAll takes over
		case <-time.After(wait):
		}
		if err := tl.do(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

func (tl *timeline) do(ctx context.Context, a action) error {
	p := tl.plan[a.fault]
	ev := Event{Fault: a.fault, Action: "break", RequestedMS: float64(a.at.Milliseconds()), StartedMS: msSince(tl.start, time.Now())}
	var err error
	if a.heal {
		ev.Action = "heal"
		if !tl.broken[a.fault] {
			return nil
		}
		err = tl.heal(ctx, p)
		tl.broken[a.fault] = err != nil
	} else {
		err = tl.inject(ctx, p)
		tl.broken[a.fault] = true // whatever was done of it is healed later
	}
	ev.ActualMS = msSince(tl.start, time.Now())
	f := &tl.j.Faults[a.fault]
	if a.heal {
		f.EndMS = ev.ActualMS
	} else {
		f.StartMS = ev.StartedMS
	}
	if err != nil {
		ev.Error = err.Error()
	}
	tl.j.Timeline = append(tl.j.Timeline, ev)
	tl.report(ev, p)
	if err != nil {
		return fmt.Errorf("%s %s at %.1fs: %w", ev.Action, p.text, ev.StartedMS/1000, err)
	}
	return nil
}

func (tl *timeline) inject(ctx context.Context, p planned) error {
	if p.partition != nil {
		_, err := tl.o.Backend.Partition(ctx, tl.o.Project, p.partition, p.oneWay)
		return err
	}
	_, err := tl.o.Backend.Break(ctx, tl.o.Project, p.targets, p.opts)
	return err
}

func (tl *timeline) heal(ctx context.Context, p planned) error {
	opts := engine.HealOptions{NoWait: true, Partition: p.partition != nil}
	_, err := tl.o.Backend.Heal(ctx, tl.o.Project, p.services(), opts)
	return err
}

// healAll heals every fault still in force, on a context of its own: at
// the end, after an error, after Ctrl-C.
func (tl *timeline) healAll(ctx context.Context) error {
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), healTimeout)
	defer cancel()
	var errs []error
	for i := range tl.plan {
		if tl.broken == nil || !tl.broken[i] {
			continue
		}
		if err := tl.do(hctx, action{fault: i, heal: true, at: time.Since(tl.start)}); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("healing at the end: %v", errs)
	}
	return nil
}

func (tl *timeline) report(ev Event, p planned) {
	if tl.o.Progress == nil {
		return
	}
	status := fmt.Sprintf("done in %.0fms", ev.ActualMS-ev.StartedMS)
	if ev.Error != "" {
		status = "failed: " + ev.Error
	}
	fmt.Fprintf(tl.o.Progress, "%7.2fs  %-5s %s  %s\n", ev.StartedMS/1000, ev.Action, p.text, status)
}
