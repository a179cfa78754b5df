// Package spec is the contract between chainctl and its network-fault
// helper: what to do to one container's traffic, validated, encoded as JSON
// for the helper, and described for ps. Standard library only, so the
// helper's static binary stays small.
package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Direction says which traffic of the target a fault acts on.
type Direction string

// Directions: In is what reaches the target (requests to it), Out what it
// sends (its answers and its own calls), Both is both.
const (
	In   Direction = "in"
	Out  Direction = "out"
	Both Direction = "both"
)

// Fault is everything done to one target's traffic at once; the parts
// combine (delay with loss with rate...). A zero part is off.
type Fault struct {
	Delay     time.Duration `json:"delay,omitempty"`     // added to each request to the target
	Jitter    time.Duration `json:"jitter,omitempty"`    // ± around Delay, uniformly
	Loss      float64       `json:"loss,omitempty"`      // share of packets dropped, 0..1
	Rate      uint64        `json:"rate,omitempty"`      // bits per second, 0: unlimited
	Blackhole bool          `json:"blackhole,omitempty"` // drop everything
	Reset     bool          `json:"reset,omitempty"`     // refuse TCP with a reset
	// From limits the fault to traffic between the target and these
	// addresses (every replica of the --from services); empty: all peers.
	From      []netip.Addr `json:"from,omitempty"`
	FromNames []string     `json:"from_names,omitempty"` // the services From came from, for ps
	Direction Direction    `json:"direction,omitempty"`  // "": each part's default
}

// Partition cuts the target off from Block: every packet between them is
// dropped, or with OneWay only the connections the target opens to them.
type Partition struct {
	Block  []netip.Addr `json:"block"`
	OneWay bool         `json:"one_way,omitempty"`
	// Groups is the whole partition as ps shows it: {a,b}|{c,d}.
	Groups [][]string `json:"groups"`
}

// Job is what one helper does: a fault or a partition (a target can have
// one of each, in two helpers).
type Job struct {
	Fault     *Fault     `json:"fault,omitempty"`
	Partition *Partition `json:"partition,omitempty"`
}

// Kind names the job: "fault" or "partition".
func (j Job) Kind() string {
	if j.Partition != nil {
		return "partition"
	}
	return "fault"
}

// Encode is the job as the helper reads it.
func (j Job) Encode() (string, error) {
	b, err := json.Marshal(j)
	return string(b), err
}

// Decode reads a job the helper was given, and checks it.
func Decode(s string) (Job, error) {
	var j Job
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return j, fmt.Errorf("fault spec: %w", err)
	}
	if (j.Fault == nil) == (j.Partition == nil) {
		return j, errors.New("fault spec: want exactly one of fault and partition")
	}
	if j.Fault != nil {
		if err := j.Fault.Validate(); err != nil {
			return j, err
		}
	}
	if j.Partition != nil && len(j.Partition.Block) == 0 {
		return j, errors.New("fault spec: a partition blocks no address")
	}
	return j, nil
}

// Limits of what a fault may ask for.
const (
	MaxDelay = 60 * time.Second
	MinRate  = 8 // bits per second
)

// IsZero reports a fault that does nothing.
func (f Fault) IsZero() bool {
	return f.Delay == 0 && f.Jitter == 0 && f.Loss == 0 && f.Rate == 0 && !f.Blackhole && !f.Reset
}

// Validate lists every problem at once.
func (f Fault) Validate() error {
	var errs []error
	if f.IsZero() {
		errs = append(errs, errors.New("no network fault asked for: give --delay, --loss, --rate, or a mode"))
	}
	if f.Delay < 0 || f.Delay > MaxDelay {
		errs = append(errs, fmt.Errorf("--delay %s: want 0 to %s", f.Delay, MaxDelay))
	}
	if f.Jitter < 0 || f.Jitter > f.Delay {
		errs = append(errs, fmt.Errorf("--jitter %s: want 0 to --delay (%s)", f.Jitter, f.Delay))
	}
	if f.Loss < 0 || f.Loss > 1 {
		errs = append(errs, fmt.Errorf("--loss %s: want 0%% to 100%%", Percent(f.Loss)))
	}
	if f.Rate != 0 && f.Rate < MinRate {
		errs = append(errs, fmt.Errorf("--rate %s: want at least %dbit", FormatRate(f.Rate), MinRate))
	}
	if f.Blackhole && f.Reset {
		errs = append(errs, errors.New("blackhole and reset exclude each other: one drops, the other refuses"))
	}
	if (f.Blackhole || f.Reset) && (f.Delay > 0 || f.Loss > 0 || f.Rate > 0) {
		errs = append(errs, errors.New("blackhole and reset take no --delay, --loss or --rate: nothing gets through to be slowed"))
	}
	switch f.Direction {
	case Out:
		if f.Delay > 0 || f.Jitter > 0 {
			errs = append(errs, errors.New("--delay with --direction out is not supported: delay acts on what reaches the target (each request to it is answered later)"))
		}
	case "", In, Both:
	default:
		errs = append(errs, fmt.Errorf("--direction %q: want in, out or both", f.Direction))
	}
	return errors.Join(errs...)
}

// DelayDirection is where delay acts: on what reaches the target (each
// request to it is answered later), unless Direction says out.
func (f Fault) DelayDirection() Direction {
	if f.Direction == Out {
		return Out
	}
	return In
}

// RateDirection is where the rate limit acts: on what the target sends
// (its answers, the way callers feel a slow link), unless Direction says in.
func (f Fault) RateDirection() Direction {
	if f.Direction == In {
		return In
	}
	return Out
}

// DropDirection is where loss, blackhole and reset act: both ways unless
// Direction says one.
func (f Fault) DropDirection() Direction {
	if f.Direction == "" {
		return Both
	}
	return f.Direction
}

// String describes the fault as ps shows it: "delay 200ms±50ms from a",
// "loss 30%", "rate 1mbit out", "blackhole".
func (f Fault) String() string {
	var parts []string
	if f.Blackhole {
		parts = append(parts, "blackhole")
	}
	if f.Reset {
		parts = append(parts, "reset")
	}
	if f.Delay > 0 || f.Jitter > 0 {
		d := "delay " + f.Delay.String()
		if f.Jitter > 0 {
			d += "±" + f.Jitter.String()
		}
		parts = append(parts, d)
	}
	if f.Loss > 0 {
		parts = append(parts, "loss "+Percent(f.Loss))
	}
	if f.Rate > 0 {
		parts = append(parts, "rate "+FormatRate(f.Rate))
	}
	s := strings.Join(parts, " ")
	if f.Direction != "" && f.Direction != Both {
		s += " " + string(f.Direction)
	}
	if len(f.FromNames) > 0 {
		s += " from " + strings.Join(f.FromNames, ",")
	}
	return s
}

// String describes the partition: "partition {a,b}|{c,d}", with "one-way".
func (p Partition) String() string {
	groups := make([]string, len(p.Groups))
	for i, g := range p.Groups {
		groups[i] = "{" + strings.Join(g, ",") + "}"
	}
	s := "partition " + strings.Join(groups, "|")
	if p.OneWay {
		s += " one-way"
	}
	return s
}

// String describes the job for ps.
func (j Job) String() string {
	if j.Partition != nil {
		return j.Partition.String()
	}
	if j.Fault != nil {
		return j.Fault.String()
	}
	return ""
}

// Percent writes a share as a percentage: 0.3 → "30%".
func Percent(share float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", share*100), "0"), ".") + "%"
}

// Addrs sorts and dedupes addresses.
func Addrs(as []netip.Addr) []netip.Addr {
	out := slices.Clone(as)
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return slices.Compact(out)
}
