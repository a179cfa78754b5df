// The plan: the method's steps, random campaigns drawn from the seed, as faults with their break options.

package experiment

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/chainctl/chainctl/internal/engine"
)

// planned is one fault of the timeline, ready to inject.
type planned struct {
	step      int
	at, dur   time.Duration
	text      string
	targets   []engine.Target // a break
	opts      engine.BreakOptions
	partition [][]string // or a partition
	oneWay    bool
}

// services names what the fault acts on, for heal.
func (p planned) services() []string {
	if p.partition != nil {
		return nil
	}
	out := make([]string, len(p.targets))
	for i, t := range p.targets {
		out[i] = t.String()
	}
	return out
}

// Defaults a random step's network modes take when the step gives none.
const (
	randomDelay = 200 * time.Millisecond
	randomLoss  = "30%"
	randomRate  = "1mbit"
)

// Plan expands the method into faults, random campaigns drawn from seed
// (the same seed, the same timeline), in time order.
func Plan(e *Experiment, seed int64) ([]planned, error) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x636861696e63746c))
	var out []planned
	for i, s := range e.Method {
		switch {
		case s.Random != nil:
			for n := 0; n < s.Random.Count; n++ {
				d := s
				d.At = s.At + time.Duration(n)*s.Random.Every
				if d.For <= 0 {
					d.For = s.Random.Every / 2
				}
				d.Break = s.Random.Services[rng.IntN(len(s.Random.Services))]
				d.Mode = s.Random.Modes[rng.IntN(len(s.Random.Modes))]
				d.Random = nil
				p, err := planStep(i, withRandomDefaults(d))
				if err != nil {
					return nil, err
				}
				out = append(out, p)
			}
		default:
			p, err := planStep(i, s)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].at < out[b].at })
	return out, nil
}

func withRandomDefaults(s Step) Step {
	switch s.Mode {
	case engine.ModeDelay:
		if s.Delay == 0 {
			s.Delay = randomDelay
		}
	case engine.ModeLoss:
		if s.Loss == "" {
			s.Loss = randomLoss
		}
	case engine.ModeRate:
		if s.Rate == "" {
			s.Rate = randomRate
		}
	case engine.ModeBlackhole, engine.ModeReset:
	default: // lifecycle modes take no network part
		s.From, s.Direction = nil, ""
	}
	// A drawn mode takes only its own part of the step's network parts.
	if s.Mode != engine.ModeDelay {
		s.Delay, s.Jitter = 0, 0
	}
	if s.Mode != engine.ModeLoss {
		s.Loss = ""
	}
	if s.Mode != engine.ModeRate {
		s.Rate = ""
	}
	return s
}

func planStep(i int, s Step) (planned, error) {
	p := planned{step: i, at: s.At, dur: s.For}
	if len(s.Partition) > 0 {
		groups := make([]string, len(s.Partition))
		for g, grp := range s.Partition {
			groups[g] = "{" + strings.Join(grp, ",") + "}"
		}
		p.partition, p.oneWay = s.Partition, s.OneWay
		p.text = "partition " + strings.Join(groups, "|")
		return p, nil
	}
	tg, err := engine.ParseTarget(s.Break)
	if err != nil {
		return p, fmt.Errorf("method[%d].break: %w", i, err)
	}
	mode := s.Mode
	if mode == "" {
		mode = engine.ModeKill
	}
	opts, err := engine.BreakSpec{Mode: mode, ModeSet: true, Signal: s.Signal, Delay: s.Delay, Jitter: s.Jitter,
		Loss: s.Loss, Rate: s.Rate, Direction: s.Direction, From: s.From}.Options()
	if err != nil {
		return p, fmt.Errorf("method[%d]: %w", i, err)
	}
	p.targets, p.opts = []engine.Target{tg}, opts
	p.text = tg.String() + " " + mode
	if opts.Net != nil && !opts.Net.Blackhole && !opts.Net.Reset {
		p.text = tg.String() + " " + opts.Net.String()
	}
	if len(opts.From) > 0 {
		p.text += " from " + strings.Join(opts.From, ",")
	}
	return p, nil
}
