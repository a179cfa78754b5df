// Package agent is chainctl's network-fault helper, run inside a target
// container's network namespace: it turns a spec.Job into parts (delay,
// rate, loss, blackhole, reset, partition), each adding nftables rules, a
// root qdisc or a delay relay, composed into one Agent that applies them
// together and removes them again. Clear and List act on what any helper
// left in the namespace.
package agent

import (
	"errors"
	"fmt"

	"github.com/chainctl/chainctl/internal/netfault/spec"
)

// Agent applies one job to the namespace it runs in.
type Agent struct {
	sys       system
	rs        *ruleset
	parts     []part
	started   []part
	committed bool
}

// New is the agent of a job in the current namespace.
func New(job spec.Job) (*Agent, error) { return newAgent(job, kernel{}) }

func newAgent(job spec.Job, sys system) (*Agent, error) {
	parts, table, err := plan(job)
	if err != nil {
		return nil, err
	}
	return &Agent{sys: sys, rs: newRuleset(table), parts: parts}, nil
}

// plan is the job's parts, in the order they start, and its table.
func plan(job spec.Job) ([]part, string, error) {
	if p := job.Partition; p != nil {
		if len(p.Block) == 0 {
			return nil, "", errors.New("partition: no address to block")
		}
		return []part{partition{block: p.Block, oneWay: p.OneWay}}, PartitionTable, nil
	}
	f := job.Fault
	if f == nil {
		return nil, "", errors.New("job has neither a fault nor a partition")
	}
	var parts []part
	if f.Delay > 0 || f.Jitter > 0 {
		if f.DelayDirection() == spec.Out {
			return nil, "", errors.New("delay out (--direction out) is not supported: the helper delays what reaches the target; use --direction in, or put the delay on the service the target calls")
		}
		rateOut := f.Rate > 0 && f.RateDirection() == spec.Out
		parts = append(parts, &delay{d: f.Delay, jitter: f.Jitter, from: f.From, rootFree: !rateOut})
	}
	if f.Rate > 0 {
		parts = append(parts, &rate{bits: f.Rate, dir: f.RateDirection(), from: f.From})
	}
	if f.Loss > 0 {
		parts = append(parts, loss(f.Loss, f.DropDirection(), f.From))
	}
	if f.Blackhole {
		parts = append(parts, blackhole(f.DropDirection(), f.From))
	}
	if f.Reset {
		parts = append(parts, reset(f.DropDirection(), f.From))
	}
	if len(parts) == 0 {
		return nil, "", errors.New("fault asks for nothing")
	}
	return parts, FaultTable, nil
}

// Apply puts every part in force, the nftables rules last and at once.
// It returns the mechanism of each part ("delay": "relay", "rate": "tbf",
// "drop": "nftables"). When something fails it removes what it added.
func (a *Agent) Apply() (map[string]string, error) {
	mechs := map[string]string{}
	for _, p := range a.parts {
		m, err := p.start(a.sys, a.rs)
		if err != nil {
			return nil, errors.Join(err, a.Remove())
		}
		a.started = append(a.started, p)
		mechs[p.key()] = m
	}
	if !a.rs.empty() {
		if err := a.sys.commit(a.rs); err != nil {
			return nil, errors.Join(err, a.Remove())
		}
		a.committed = true
	}
	return mechs, nil
}

// Remove takes away everything Apply added: the table first (no more
// redirects to the relay), then each part in reverse order. It may be
// called more than once.
func (a *Agent) Remove() error {
	var errs []error
	if a.committed {
		if err := a.sys.deleteTable(a.rs.table); err != nil {
			errs = append(errs, err)
		} else {
			a.committed = false
		}
	}
	for i := len(a.started) - 1; i >= 0; i-- {
		if err := a.started[i].stop(a.sys); err != nil {
			errs = append(errs, err)
		}
	}
	a.started = nil
	return errors.Join(errs...)
}

// Rules are the job's nftables rules as text, "chain: rule" (after Apply;
// run writes them to stderr).
func (a *Agent) Rules() []string { return a.rs.Lines() }

// State is what chainctl's helpers have in a namespace.
type State struct {
	Tables []TableState `json:"tables"`
	Qdiscs []QdiscState `json:"qdiscs"`
}

// List describes chainctl's tables and root qdiscs in the namespace.
func List() (State, error) {
	ts, err := listTables()
	if err != nil {
		return State{}, err
	}
	qs, err := listQdiscs()
	return State{Tables: ts, Qdiscs: qs}, err
}

// Clear removes every nftables table whose name starts with chainctl and
// every root qdisc under chainctl's handle: what a helper that was killed
// left behind. Nothing there is fine. It returns what it removed.
func Clear() (State, error) {
	st, err := List()
	if err != nil {
		return st, fmt.Errorf("clear: %w", err)
	}
	var errs []error
	if err := clearTables(); err != nil {
		errs = append(errs, err)
	}
	for _, q := range st.Qdiscs {
		if err := deleteRoot(q.Link); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return st, fmt.Errorf("clear: %w", err)
	}
	return st, nil
}
