// What each kind of step takes: a break's mode and network parts (checked as chainctl break checks them), a partition, a campaign.

package experiment

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/netfault/spec"
	"github.com/chainctl/chainctl/internal/yamlnode"
)

// stepParser checks one step once its fields are read; seen holds the
// key node of each field it has.
type stepParser struct {
	*parser
	s    *Step
	n    *yaml.Node
	path string
	seen map[string]*yaml.Node
}

// where locates a field of the step; a field the step lacks is located
// at fallback (another field), else at the step.
func (sp stepParser) where(field, fallback string) (*yaml.Node, string) {
	for _, f := range []string{field, fallback} {
		if n := sp.seen[f]; n != nil {
			return n, yamlnode.Join(sp.path, f)
		}
	}
	return sp.n, sp.path
}

// refuse reports each of fields the step has, which its kind does not take.
func (sp stepParser) refuse(why string, fields ...string) {
	for _, f := range fields {
		if n := sp.seen[f]; n != nil {
			sp.Errorf(n, yamlnode.Join(sp.path, f), "%s %s", f, why)
		}
	}
}

func (sp stepParser) needFor() {
	if sp.seen["for"] == nil {
		sp.Errorf(sp.n, yamlnode.Join(sp.path, "for"), "missing: how long the fault lasts before it is healed, such as for: 10s")
	}
}

// breakStep: the mode defaults to kill, or, without mode, to what a
// network part asks for (delay, else loss, else rate), as in chainctl
// break; Mode is always filled in.
func (sp stepParser) breakStep() {
	s := sp.s
	sp.needFor()
	sp.refuse("goes with partition, not break", "one_way")
	switch {
	case sp.seen["mode"] != nil && !slices.Contains(breakModes, s.Mode):
		sp.Errorf(sp.seen["mode"], yamlnode.Join(sp.path, "mode"), "unknown mode %q (want %s)", s.Mode, strings.Join(breakModes, ", "))
		return
	case sp.seen["mode"] != nil:
	case s.Delay != 0:
		s.Mode = engine.ModeDelay
	case s.Loss != "":
		s.Mode = engine.ModeLoss
	case s.Rate != "":
		s.Mode = engine.ModeRate
	default:
		s.Mode = engine.ModeKill
	}
	if s.Mode != engine.ModeKill {
		sp.refuse("goes with mode kill, not mode "+s.Mode, "signal")
	}
	if !engine.IsNetworkMode(s.Mode) {
		sp.refuse(fmt.Sprintf("goes with a network mode (%s), not mode %s", strings.Join(engine.NetworkModes, ", "), s.Mode), netParts...)
		return
	}
	for _, pr := range sp.network(*s, s.Mode, "mode") {
		sp.Errorf(pr.n, pr.path, "%s", pr.msg)
	}
}

func (sp stepParser) partitionStep() {
	sp.needFor()
	sp.refuse("goes with break, not partition", append([]string{"mode", "signal"}, netParts...)...)
}

// randomStep: each draw is a break with the drawn mode and the step's
// parts, as Plan makes it (withRandomDefaults: a lifecycle mode drops the
// network parts; delay, loss and rate take 200ms, 30% and 1mbit when the
// step gives none). Every mode the campaign may draw is checked here, so
// no draw can fail at run time. Whether drawn faults overlap other steps
// cannot be known before the draw (see validate).
func (sp stepParser) randomStep() {
	s := sp.s
	sp.refuse("goes with break or partition: random draws its modes from random.modes", "mode", "one_way")
	r := s.Random
	if r == nil || len(r.Modes) == 0 {
		return
	}
	if sp.seen["for"] == nil && r.Every > 0 {
		s.For = r.Every / 2
	}
	if !slices.Contains(r.Modes, engine.ModeKill) {
		sp.refuse("goes with mode kill, which random.modes does not draw", "signal")
	}
	if !slices.ContainsFunc(r.Modes, engine.IsNetworkMode) {
		sp.refuse("goes with a network mode, which random.modes does not draw", netParts...)
		return
	}
	reported := map[string]bool{}
	for _, m := range r.Modes {
		if !engine.IsNetworkMode(m) {
			continue
		}
		d := *s
		d.Mode, d.Random = m, nil
		for _, pr := range sp.network(withRandomDefaults(d), m, "random") {
			if key := pr.path + "\x00" + pr.msg; !reported[key] {
				reported[key] = true
				sp.Errorf(pr.n, pr.path, "%s (when random draws %s)", pr.msg, m)
			}
		}
	}
}

// problem is a message and where it goes.
type problem struct {
	n    *yaml.Node
	path string
	msg  string
}

// network checks the parts of a network mode as chainctl break does
// (engine.BreakSpec.Options): a mode's own part is required, loss and
// rate must parse, and spec.Fault.Validate's limits hold. Its messages
// name the fields (delay) where Validate names the flags (--delay), and
// go where the field was written, else at fallback.
func (sp stepParser) network(s Step, mode, fallback string) []problem {
	var out []problem
	add := func(field, format string, args ...any) {
		n, path := sp.where(field, fallback)
		out = append(out, problem{n, path, fmt.Sprintf(format, args...)})
	}
	f := spec.Fault{Delay: s.Delay, Jitter: s.Jitter, Direction: spec.Direction(s.Direction),
		Blackhole: mode == engine.ModeBlackhole, Reset: mode == engine.ModeReset}
	var err error
	if s.Loss != "" {
		if f.Loss, err = spec.ParsePercent(s.Loss); err != nil {
			add("loss", "%v", err)
			return out
		}
	}
	if s.Rate != "" {
		if f.Rate, err = spec.ParseRate(s.Rate); err != nil {
			add("rate", "%v", err)
			return out
		} else if f.Rate == 0 {
			add("rate", "%q: want more than 0", s.Rate)
			return out
		}
	}
	switch {
	case mode == engine.ModeDelay && f.Delay == 0:
		add("delay", "mode delay needs a delay above 0, e.g. delay: 200ms")
		return out
	case mode == engine.ModeLoss && f.Loss == 0:
		add("loss", "mode loss needs a loss above 0%%, e.g. loss: 30%%")
		return out
	case mode == engine.ModeRate && f.Rate == 0:
		add("rate", "mode rate needs a rate, e.g. rate: 1mbit")
		return out
	}
	for _, e := range unjoin(f.Validate()) {
		msg, field := e.Error(), fallback
		for _, part := range []string{"delay", "jitter", "loss", "rate", "direction"} {
			if strings.HasPrefix(msg, "--"+part) {
				field = part
				break
			}
		}
		add(field, "%s", strings.ReplaceAll(msg, "--", ""))
	}
	return out
}

// unjoin lists the errors errors.Join put together.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}
