// Validation of the timeline (every fault within the run and before the settle stretch, no two at once on a service) and of the services a file names.

package experiment

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/chainctl/chainctl/internal/yamlnode"
)

// End is when the step's last fault is healed: at+for, or for a campaign
// the last draw's at+for, at + (count-1)×every + for.
func (s Step) End() time.Duration {
	if r := s.Random; r != nil && r.Count > 0 {
		return addSat(addSat(s.At, mulSat(r.Every, r.Count-1)), s.For)
	}
	return addSat(s.At, s.For)
}

// MethodEnd is when the last fault of the method is healed (0 without
// steps).
func (e *Experiment) MethodEnd() time.Duration {
	var end time.Duration
	for _, s := range e.Method {
		end = max(end, s.End())
	}
	return end
}

// addSat and mulSat saturate instead of wrapping, so that a huge duration
// cannot come back round as a small one.
func addSat(a, b time.Duration) time.Duration {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func mulSat(d time.Duration, n int) time.Duration {
	if n > 0 && d > math.MaxInt64/time.Duration(n) {
		return math.MaxInt64
	}
	return d * time.Duration(n)
}

// validate checks what needs the whole experiment: each sound step
// against the duration and the settle stretch, and steps against each
// other.
func (p *parser) validate(e *Experiment) {
	if e.Duration <= 0 {
		return // reported: nothing to check the timeline against
	}
	settleFrom := e.Duration - e.Settle
	switch {
	case e.Settle >= e.Duration && p.settle != nil:
		p.Errorf(p.settle, "settle", "settle %s: want less than duration %s (the faults come before the settle stretch)", e.Settle, e.Duration)
	case e.Settle >= e.Duration:
		p.Errorf(p.dur, "duration", "duration %s: want more than settle (%s by default; the faults come before the settle stretch)", e.Duration, e.Settle)
	}
	for k, s := range e.Method {
		p.checkWindow(e, s, p.steps[k], settleFrom)
	}
	for _, c := range Conflicts(e.Method) {
		a, b := e.Method[c.A], e.Method[c.B]
		sn := p.steps[c.B]
		if c.Service == "" {
			p.Errorf(sn.node, sn.path, "overlaps the partition of %s (%s and %s): one partition at a time, a partition replaces the one in force",
				p.steps[c.A].path, span(a), span(b))
			continue
		}
		p.Errorf(sn.node, sn.path, "overlaps %s on %s (%s and %s): one fault at a time on a service (move at, or shorten for)",
			p.steps[c.A].path, c.Service, span(a), span(b))
	}
}

func span(s Step) string { return "[" + s.At.String() + ", " + s.End().String() + ")" }

// checkWindow checks a step's faults start and end within the run, and
// end before the settle stretch, over which the hypothesis is checked
// after the faults.
func (p *parser) checkWindow(e *Experiment, s Step, sn stepNodes, settleFrom time.Duration) {
	end, r := s.End(), s.Random
	endNode, endPath := sn.dur, yamlnode.Join(sn.path, "for")
	if r != nil && (sn.dur == nil || r.Count > 1) {
		endNode, endPath = sn.random, yamlnode.Join(sn.path, "random")
	}
	ends := "the fault ends at " + end.String() + " (at " + s.At.String() + " + for " + s.For.String() + ")"
	if r != nil {
		ends = "the campaign's last fault ends at " + end.String() + " (at " + s.At.String() + " + " +
			strconv.Itoa(r.Count-1) + " × every " + r.Every.String() + " + for " + s.For.String() + ")"
	}
	switch {
	case s.At >= e.Duration:
		p.Errorf(sn.at, yamlnode.Join(sn.path, "at"), "at %s: the run is over by then (duration %s)", s.At, e.Duration)
	case end > e.Duration:
		p.Errorf(endNode, endPath, "%s, after the run (duration %s)", ends, e.Duration)
	case end > settleFrom && settleFrom > 0:
		p.Errorf(endNode, endPath, "%s, inside the settle stretch (the last %s of the run, from %s) where the hypothesis is checked after the faults: end it by %s, or lengthen duration",
			ends, e.Settle, settleFrom, settleFrom)
	}
	if r != nil && s.For > r.Every {
		p.Errorf(sn.dur, yamlnode.Join(sn.path, "for"), "for %s is longer than every %s: two drawn faults could overlap on one service", s.For, r.Every)
	}
}

// Conflict is two steps of a method (indices, A before B) whose faults are
// in force at once on one service; Service is "" for two partitions.
type Conflict struct {
	A, B    int
	Service string
}

// claim is what a fault holds: a service, one replica of it (0: all), or
// a side of a partition.
type claim struct {
	service   string
	replica   int
	partition bool
}

func (s Step) claims() []claim {
	if s.Break != "" {
		svc, rep, _ := strings.Cut(s.Break, "/")
		n, _ := strconv.Atoi(rep)
		return []claim{{service: svc, replica: n}}
	}
	var out []claim
	for _, g := range s.Partition {
		for _, svc := range g {
			out = append(out, claim{service: svc, partition: true})
		}
	}
	return out
}

// Conflicts lists the steps whose [at, at+for) windows overlap on one
// service: a break of a service holds all its replicas (SERVICE/N only
// N), a partition every service it names; two partitions never overlap.
// Random steps are left out: what they hit is drawn at run time, so only
// the drawn plan can be checked (pass its steps, each a break).
func Conflicts(steps []Step) []Conflict {
	claims := make([][]claim, len(steps))
	for i, s := range steps {
		claims[i] = s.claims()
	}
	var out []Conflict
	for j, b := range steps {
		for i, a := range steps[:j] {
			if a.Random != nil || b.Random != nil || a.At >= b.End() || b.At >= a.End() {
				continue
			}
			if len(a.Partition) > 0 && len(b.Partition) > 0 {
				out = append(out, Conflict{A: i, B: j})
				continue
			}
			if svc := shared(claims[i], claims[j]); svc != "" {
				out = append(out, Conflict{A: i, B: j, Service: svc})
			}
		}
	}
	return out
}

// shared names a service both hold, or "".
func shared(as, bs []claim) string {
	for _, a := range as {
		for _, b := range bs {
			if a.service == b.service && (a.replica == 0 || b.replica == 0 || a.replica == b.replica) {
				return a.service
			}
		}
	}
	return ""
}

// ValidateServices checks every service the experiment names (the load's
// entry; each step's target, from, partition and random services) against
// the project's services, listing every unknown one at once at its step's
// line, as FILE:LINE: PATH: unknown service "x" (services: a, b, c).
func ValidateServices(e *Experiment, services []string) error {
	known := map[string]bool{}
	for _, s := range services {
		known[s] = true
	}
	r := &yamlnode.Reader{File: e.File}
	list := serviceList(services)
	check := func(line int, path, target string) {
		if svc, _, _ := strings.Cut(target, "/"); !known[svc] {
			r.Addf(line, path, "unknown service %q (%s)", svc, list)
		}
	}
	if e.Load.Entry != "" {
		check(e.Load.Line, "load.entry", e.Load.Entry)
	}
	for i, s := range e.Method {
		path := yamlnode.Index("method", i)
		if s.Break != "" {
			check(s.Line, yamlnode.Join(path, "break"), s.Break)
		}
		for j, f := range s.From {
			check(s.Line, yamlnode.Index(yamlnode.Join(path, "from"), j), f)
		}
		for g, group := range s.Partition {
			for k, svc := range group {
				check(s.Line, yamlnode.Index(yamlnode.Index(yamlnode.Join(path, "partition"), g), k), svc)
			}
		}
		if s.Random != nil {
			for k, svc := range s.Random.Services {
				check(s.Line, yamlnode.Index(yamlnode.Join(yamlnode.Join(path, "random"), "services"), k), svc)
			}
		}
	}
	return r.Err()
}

// serviceList names the services for a message, unless there are many.
func serviceList(services []string) string {
	if len(services) > 10 {
		return strconv.Itoa(len(services)) + " services are defined"
	}
	return "services: " + strings.Join(services, ", ")
}
