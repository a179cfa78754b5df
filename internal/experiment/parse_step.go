// The method: each step's fields, and whether it is a break, a partition or a random campaign.

package experiment

import (
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/yamlnode"
)

// Modes a step may name: every mode some backend has. The run checks the
// project's backend has it (scale-zero is swarm's only).
var (
	lifecycleModes = []string{engine.ModeKill, engine.ModeStop, engine.ModePause, engine.ModeDisconnect,
		engine.ModeRemove, engine.ModeRestart, engine.ModeScaleZero}
	breakModes = append(slices.Clone(lifecycleModes), engine.NetworkModes...)
)

// netParts are the step fields that go with a network mode, as
// `chainctl break` takes them.
var netParts = []string{"delay", "jitter", "loss", "rate", "from", "direction"}

// signalRE: a signal name as the Engine takes it (SIGTERM, TERM,
// SIGRTMIN+3) or a number.
var signalRE = regexp.MustCompile(`^((SIG)?[A-Z][A-Z0-9+-]*|[1-9][0-9]?)$`)

func (p *parser) method(n *yaml.Node, path string) []Step {
	if !p.items(n, path, "steps", "steps", "the method needs at least one, such as {at: 5s, break: c, for: 10s}", maxSteps) {
		return nil
	}
	var out []Step
	for i, c := range n.Content {
		before := len(p.Problems())
		s, nodes := p.step(yamlnode.Resolve(c), yamlnode.Index(path, i))
		if len(p.Problems()) == before { // only sound steps go on to the timeline checks
			out = append(out, s)
			p.steps = append(p.steps, nodes)
		}
	}
	return out
}

// step reads one step's fields, then checks them by kind.
func (p *parser) step(n *yaml.Node, path string) (Step, stepNodes) {
	s := Step{Line: n.Line}
	sn := stepNodes{path: path, node: n}
	seen := p.Fields(n, path, yamlnode.Handlers{
		"at":  func(v *yaml.Node, path string) { sn.at = v; s.At, _ = p.Duration(v, path) },
		"for": func(v *yaml.Node, path string) { sn.dur = v; s.For, _ = p.positive(v, path) },
		"break": func(v *yaml.Node, path string) {
			if t, ok := p.target(v, path); ok {
				s.Break = t
			}
		},
		"mode": func(v *yaml.Node, path string) { s.Mode, _ = p.Str(v, path) },
		"signal": func(v *yaml.Node, path string) {
			if sig, ok := p.Text(v, path); ok && !signalRE.MatchString(sig) {
				p.Errorf(v, path, "%q: want a signal such as SIGTERM, TERM or 15", sig)
			} else {
				s.Signal = sig
			}
		},
		"delay":     func(v *yaml.Node, path string) { s.Delay, _ = p.Duration(v, path) },
		"jitter":    func(v *yaml.Node, path string) { s.Jitter, _ = p.Duration(v, path) },
		"loss":      func(v *yaml.Node, path string) { s.Loss, _ = p.Text(v, path) },
		"rate":      func(v *yaml.Node, path string) { s.Rate, _ = p.Text(v, path) },
		"from":      func(v *yaml.Node, path string) { s.From = p.from(v, path) },
		"direction": func(v *yaml.Node, path string) { s.Direction, _ = p.Str(v, path) },
		"partition": func(v *yaml.Node, path string) { s.Partition = p.groups(v, path) },
		"one_way":   func(v *yaml.Node, path string) { s.OneWay = p.Bool(v, path) },
		"random":    func(v *yaml.Node, path string) { sn.random = v; s.Random = p.random(v, path) },
	})
	if seen == nil {
		return s, sn
	}
	var kinds []string
	for _, k := range []string{"break", "partition", "random"} {
		if seen[k] != nil {
			kinds = append(kinds, k)
		}
	}
	switch {
	case len(kinds) == 0:
		p.Errorf(n, path, "a step needs one of break, partition or random")
		return s, sn
	case len(kinds) > 1:
		p.Errorf(seen[kinds[1]], yamlnode.Join(path, kinds[1]), "%s excludes %s: one step is one fault (or one random campaign)", kinds[1], kinds[0])
		return s, sn
	}
	if seen["at"] == nil {
		p.Errorf(n, yamlnode.Join(path, "at"), "missing: when the step starts, such as at: 5s")
	}
	sp := stepParser{parser: p, s: &s, n: n, path: path, seen: seen}
	switch kinds[0] {
	case "break":
		sp.breakStep()
	case "partition":
		sp.partitionStep()
	case "random":
		sp.randomStep()
	}
	return s, sn
}

// target reads SERVICE or SERVICE/N.
func (p *parser) target(n *yaml.Node, path string) (string, bool) {
	s, ok := p.Str(n, path)
	if !ok {
		return "", false
	}
	t, err := engine.ParseTarget(s)
	switch {
	case err != nil:
		p.Errorf(n, path, "%v", err)
	case !projectRE.MatchString(t.Service):
		p.Errorf(n, path, "invalid service name %q", t.Service)
	default:
		return s, true
	}
	return "", false
}

// from reads the services a network fault is limited to: a list, or a
// comma-separated string as --from takes them.
func (p *parser) from(n *yaml.Node, path string) []string {
	var names []yamlnode.Located
	if n.Kind == yaml.SequenceNode {
		names = p.List(n, path, p.Str)
	} else if s, ok := p.Str(n, path); ok {
		for _, name := range strings.Split(s, ",") {
			names = append(names, yamlnode.Located{Val: strings.TrimSpace(name), Node: n, Path: path})
		}
	}
	return p.serviceNames(names, "from")
}

// serviceNames checks each name is a service name and is named once.
func (p *parser) serviceNames(names []yamlnode.Located, what string) []string {
	var out []string
	for _, s := range names {
		switch {
		case !projectRE.MatchString(s.Val):
			p.Errorf(s.Node, s.Path, "invalid service name %q", s.Val)
		case slices.Contains(out, s.Val):
			p.Errorf(s.Node, s.Path, "%s names %s twice", what, s.Val)
		default:
			out = append(out, s.Val)
		}
	}
	return out
}

// groups reads a partition: a list of groups, each a list of services.
// Whether it leaves two sides (the services it does not name form one
// more group) needs the topology: the run checks that.
func (p *parser) groups(n *yaml.Node, path string) [][]string {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		p.Errorf(n, path, "want a list of groups, such as [[a, b], [c]], got %s", yamlnode.Describe(n))
		return nil
	}
	var out [][]string
	where := map[string]string{} // service -> the group that has it
	for i, g := range n.Content {
		g, gp := yamlnode.Resolve(g), yamlnode.Index(path, i)
		names := p.List(g, gp, p.Str)
		if g.Kind == yaml.SequenceNode && len(g.Content) == 0 {
			p.Errorf(g, gp, "empty group")
		}
		var group []string
		for _, s := range names {
			switch {
			case !projectRE.MatchString(s.Val):
				p.Errorf(s.Node, s.Path, "invalid service name %q", s.Val)
			case where[s.Val] != "":
				p.Errorf(s.Node, s.Path, "service %s is already in %s: a service is on one side of a partition", s.Val, where[s.Val])
			default:
				where[s.Val] = gp
				group = append(group, s.Val)
			}
		}
		out = append(out, group)
	}
	return out
}

// random reads a campaign: {services, modes, count, every}.
func (p *parser) random(n *yaml.Node, path string) *Random {
	r := &Random{}
	seen := p.Fields(n, path, yamlnode.Handlers{
		"services": func(v *yaml.Node, path string) {
			var targets []yamlnode.Located
			for _, s := range p.List(v, path, p.target) {
				if slices.ContainsFunc(targets, func(t yamlnode.Located) bool { return t.Val == s.Val }) {
					p.Errorf(s.Node, s.Path, "services names %s twice", s.Val)
					continue
				}
				targets = append(targets, s)
				r.Services = append(r.Services, s.Val)
			}
			if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				p.Errorf(v, path, "no services to draw from")
			}
		},
		"modes": func(v *yaml.Node, path string) {
			for _, m := range p.List(v, path, p.Str) {
				switch {
				case !slices.Contains(breakModes, m.Val):
					p.Errorf(m.Node, m.Path, "unknown mode %q (want %s)", m.Val, strings.Join(breakModes, ", "))
				case slices.Contains(r.Modes, m.Val):
					p.Errorf(m.Node, m.Path, "modes names %s twice", m.Val)
				default:
					r.Modes = append(r.Modes, m.Val)
				}
			}
			if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				p.Errorf(v, path, "no modes to draw from")
			}
		},
		"count": func(v *yaml.Node, path string) {
			if c, ok := p.Int(v, path); ok && (c < 1 || c > maxDraws) {
				p.Errorf(v, path, "count %d: want 1 to %d faults", c, maxDraws)
			} else {
				r.Count = c
			}
		},
		"every": func(v *yaml.Node, path string) { r.Every, _ = p.positive(v, path) },
	})
	for _, k := range []string{"services", "modes", "count", "every"} {
		if seen != nil && seen[k] == nil {
			p.Errorf(n, yamlnode.Join(path, k), "missing: random needs services, modes, count and every")
		}
	}
	return r
}
