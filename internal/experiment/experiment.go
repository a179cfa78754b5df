// Package experiment runs chaos experiments: a steady-state hypothesis,
// faults on a timeline and open-loop load against a chain's entry, measured
// into one journal (the truth) from which the terminal summary, JUnit and
// the HTML report are rendered. This file is the experiment file's model.
package experiment

import (
	"time"
)

// Experiment is one experiment file, parsed and validated.
type Experiment struct {
	Name     string `json:"name"`
	File     string `json:"file"`
	Topology string `json:"topology,omitempty"` // path of the topology file, relative to the experiment's directory resolved
	Project  string `json:"project,omitempty"`  // a project already up (instead of Topology)

	Load        LoadSpec      `json:"load"`
	SteadyState []Check       `json:"steady_state"`
	Method      []Step        `json:"method"`
	Duration    time.Duration `json:"duration"`
	Settle      time.Duration `json:"settle"` // the last stretch of the run over which the hypothesis is checked at the end (default 3s)
}

// LoadSpec is the open-loop load: requests go out on schedule, whatever
// the answers (no coordinated omission). (Named LoadSpec, not Load: the
// package's Load reads an experiment file.)
type LoadSpec struct {
	Entry   string        `json:"entry,omitempty"` // the service whose published port receives the load
	URL     string        `json:"url,omitempty"`   // or a URL
	Rate    float64       `json:"rate"`            // requests per second
	Timeout time.Duration `json:"timeout"`         // per request (default 2s)
	Line    int           `json:"line,omitempty"`  // where entry (or url) was written
}

// Metrics a check may name.
const (
	MetricSuccessRatio = "success_ratio" // share of requests that answered 2xx (for link chains: every hop answered)
	MetricP50          = "p50"
	MetricP95          = "p95"
	MetricP99          = "p99"
)

// Check is one line of the steady-state hypothesis, over sliding 1 s
// windows: "success_ratio >= 99%", "p99 <= 50ms".
type Check struct {
	Text   string  `json:"text"`   // as written
	Metric string  `json:"metric"` // one of the Metric constants
	Op     string  `json:"op"`     // >=, <=, >, <
	Value  float64 `json:"value"`  // a share (0..1) for success_ratio, milliseconds for latencies
	During bool    `json:"during"` // also checked while faults are in force
	Line   int     `json:"line"`
}

// Step is one entry of the method: a fault at a time, for a while, or a
// random campaign that expands into such faults.
type Step struct {
	Line int           `json:"line"`
	At   time.Duration `json:"at"`
	For  time.Duration `json:"for"` // how long the fault lasts (healed after); required

	Break string `json:"break,omitempty"` // the service, or SERVICE/N
	Mode  string `json:"mode,omitempty"`  // any break mode (default kill)

	// Network parts, as `chainctl break` takes them.
	Signal    string        `json:"signal,omitempty"`
	Delay     time.Duration `json:"delay,omitempty"`
	Jitter    time.Duration `json:"jitter,omitempty"`
	Loss      string        `json:"loss,omitempty"` // "30%"
	Rate      string        `json:"rate,omitempty"` // "1mbit"
	From      []string      `json:"from,omitempty"`
	Direction string        `json:"direction,omitempty"`

	Partition [][]string `json:"partition,omitempty"` // instead of Break: groups
	OneWay    bool       `json:"one_way,omitempty"`

	Random *Random `json:"random,omitempty"` // instead of Break and Partition
}

// Random is a campaign drawn from --seed: Count faults, one every Every
// from At, each on a service drawn from Services with a mode drawn from
// Modes, lasting For (default: half of Every).
type Random struct {
	Services []string      `json:"services"`
	Modes    []string      `json:"modes"`
	Count    int           `json:"count"`
	Every    time.Duration `json:"every"`
}

// Defaults.
const (
	DefaultSettle  = 3 * time.Second
	DefaultTimeout = 2 * time.Second
)
