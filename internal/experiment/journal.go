// The journal: everything an experiment measured, in one JSON document that every view is rendered from.

package experiment

import "time"

// Journal is what one run measured. The terminal summary, JUnit and the
// HTML report are rendered from it and from nothing else, so they can
// never disagree. Times are milliseconds from the start of the load.
type Journal struct {
	Experiment *Experiment `json:"experiment"`
	Seed       int64       `json:"seed"`
	Version    string      `json:"version"` // chainctl's
	Project    string      `json:"project"`
	URL        string      `json:"url"`     // what the load hit
	Started    time.Time   `json:"started"` // wall clock at 0 ms
	EndMS      float64     `json:"end_ms"`  // when the load stopped

	Timeline []Event   `json:"timeline"` // what was done, asked and actual times
	Faults   []Fault   `json:"faults"`
	Phases   []Phase   `json:"phases"`
	Checks   []Result  `json:"checks"`  // one per hypothesis line
	Verdict  string    `json:"verdict"` // "held", "broken", "did not recover"
	Buckets  []Bucket  `json:"buckets"` // 100 ms each, from 0
	Errors   []HopErr  `json:"errors"`  // by hop and kind, over the run
	Graph    Graph     `json:"graph"`   // the topology, for the report
	Requests []Request `json:"requests,omitempty"`
}

// Verdicts.
const (
	VerdictHeld          = "held"
	VerdictBroken        = "broken"
	VerdictDidNotRecover = "did not recover"
)

// Event is one action of the timeline: a fault put in force or healed.
type Event struct {
	Fault       int     `json:"fault"`        // index into Faults
	Action      string  `json:"action"`       // "break" or "heal"
	RequestedMS float64 `json:"requested_ms"` // on the timeline
	StartedMS   float64 `json:"started_ms"`   // when chainctl began it
	ActualMS    float64 `json:"actual_ms"`    // when the engine had done it
	Error       string  `json:"error,omitempty"`
}

// Fault is one fault of the run and what it did.
type Fault struct {
	Service   string   `json:"service"` // or the partition's groups, "{a,b}|{c}"
	Step      int      `json:"step"`    // the method's step it came from (0-based)
	Mode      string   `json:"mode"`
	Text      string   `json:"text"` // "c kill", "b delay 200ms"
	StartMS   float64  `json:"start_ms"`
	EndMS     float64  `json:"end_ms"`
	DetectMS  *float64 `json:"detect_ms"`  // from injection to the first failed request; nil: none failed
	RecoverMS *float64 `json:"recover_ms"` // from heal to the start of the first 1 s window where the hypothesis holds again; nil: never
	Errors    []HopErr `json:"errors"`     // of the requests sent while it was in force
}

// Phase is a stretch of the run: before the first fault, during each
// fault, between faults, after the last.
type Phase struct {
	Name         string  `json:"name"` // "before", "during c kill", "after"
	StartMS      float64 `json:"start_ms"`
	EndMS        float64 `json:"end_ms"`
	Requests     int     `json:"requests"`
	SuccessRatio float64 `json:"success_ratio"`
	P50MS        float64 `json:"p50_ms"`
	P95MS        float64 `json:"p95_ms"`
	P99MS        float64 `json:"p99_ms"`
}

// Result is one hypothesis line, checked.
type Result struct {
	Check  Check  `json:"check"`
	Held   bool   `json:"held"`
	Figure string `json:"figure"` // the worst window's figure: "97.5%", "61ms"
	Where  string `json:"where"`  // "before", "after (last 3s)", "during c kill at 6.2s"
}

// Bucket is 100 ms of the run, by when requests were sent.
type Bucket struct {
	StartMS  float64 `json:"start_ms"`
	Requests int     `json:"requests"`
	OK       int     `json:"ok"`
	P50MS    float64 `json:"p50_ms"`
	P95MS    float64 `json:"p95_ms"`
	P99MS    float64 `json:"p99_ms"`
}

// HopErr counts failures by the hop that failed and why: "c", "no such host".
type HopErr struct {
	Hop   string `json:"hop"`
	Kind  string `json:"kind"`
	Count int    `json:"count"`
}

// Request is one request of the load.
type Request struct {
	SentMS    float64 `json:"sent_ms"`    // when it was due (open loop: the schedule, not when it went)
	LatencyMS float64 `json:"latency_ms"` // from due to answer (so a late send counts)
	Status    int     `json:"status"`     // HTTP status, 0 when nothing answered
	OK        bool    `json:"ok"`
	Hop       string  `json:"hop,omitempty"`   // the hop that failed, for link chains
	Error     string  `json:"error,omitempty"` // why
}

// Graph is the topology as the report draws it.
type Graph struct {
	Services []GraphService `json:"services"`
}

// GraphService is one service, whom it calls, and whether a fault hit it.
type GraphService struct {
	Name    string   `json:"name"`
	Calls   []string `json:"calls,omitempty"`
	Faulted bool     `json:"faulted"`
}
