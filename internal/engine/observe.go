// Watching a project run: the optional Observer a backend may have (events, stats), their types, and how people read them.

package engine

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	timetypes "github.com/docker/docker/api/types/time"
	units "github.com/docker/go-units"
)

// Observer is what a backend that can show a project as it runs has
// besides Backend: the project's events and its containers' resource use.
// It is optional (not every backend has it): callers ask with a type
// assertion and say so when it is missing.
type Observer interface {
	// Events calls emit with each event of the project's containers,
	// networks and volumes, and each break and heal chainctl made, in
	// time order, until ctx ends or opts.Until passes (then nil).
	Events(ctx context.Context, project string, opts EventsOptions, emit func(Event) error) error
	// Stats calls emit with one sample of every container of the project
	// each opts.Interval, until ctx ends; with opts.NoStream, once.
	Stats(ctx context.Context, project string, opts StatsOptions, emit func(StatsSample) error) error
}

// EventsOptions bound the events shown: past events from Since, then live
// ones until Until. Each is a timestamp (2006-01-02T15:04:05, RFC 3339, or
// Unix seconds) or a duration back from now ("10m"); "" is now for Since
// (live events only) and never for Until.
type EventsOptions struct {
	Since string
	Until string
}

// Event kinds: the engine's object types, and chainctl's own changes.
const (
	EventContainer = "container"
	EventNetwork   = "network"
	EventVolume    = "volume"
	EventChainctl  = "chainctl"
)

// What chainctl records of its own changes (Event.Action of kind chainctl).
const (
	ActionBreak = "break"
	ActionHeal  = "heal"
)

// RoleEvent marks the objects that record chainctl's own changes for
// events (LabelRole): they are the project's, and down removes them.
const RoleEvent = "event"

// Event is one thing that happened to the project: an engine event of one
// of its containers, networks or volumes, or a break or heal by chainctl.
type Event struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`   // container, network, volume, chainctl
	Name    string    `json:"name"`   // the object's name; for chainctl, the containers it changed
	Action  string    `json:"action"` // the engine's (die, start, health_status, ...), or break, heal
	Detail  string    `json:"detail,omitempty"`
	Service string    `json:"service,omitempty"`
	ID      string    `json:"id,omitempty"`
}

// Line is the event as one human line: time, kind, name, action, detail.
func (e Event) Line() string {
	s := fmt.Sprintf("%s  %-9s  %-24s  %-13s  %s", e.Time.Local().Format("2006-01-02 15:04:05.000"), e.Kind, e.Name, e.Action, e.Detail)
	return strings.TrimRight(s, " ")
}

// EventWindow reads opts against now: zero times where a bound is "".
func EventWindow(opts EventsOptions, now time.Time) (since, until time.Time, err error) {
	if since, err = parseEventTime("--since", opts.Since, now); err != nil {
		return since, until, err
	}
	if until, err = parseEventTime("--until", opts.Until, now); err != nil {
		return since, until, err
	}
	if !since.IsZero() && !until.IsZero() && until.Before(since) {
		return since, until, fmt.Errorf("--until %s is before --since %s", opts.Until, opts.Since)
	}
	return since, until, nil
}

// parseEventTime reads a duration back from now or a timestamp.
func parseEventTime(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	ts, err := timetypes.GetTimestamp(s, now)
	if err == nil {
		var sec, nsec int64
		if sec, nsec, err = timetypes.ParseTimestamps(ts, 0); err == nil {
			return time.Unix(sec, nsec), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q: want a duration back from now (10m) or a timestamp (2006-01-02T15:04:05, RFC 3339, or Unix seconds)", flag, s)
}

// StatsOptions tune stats.
type StatsOptions struct {
	NoStream bool          // one sample, then return
	Interval time.Duration // between samples; 0: DefaultStatsInterval
}

// DefaultStatsInterval is how often stats samples, and the window over
// which CPU % is measured.
const DefaultStatsInterval = time.Second

// StatsSample is every container of the project at one moment.
type StatsSample struct {
	Time time.Time
	Rows []StatsRow
}

// StatsRow is one container's resource use. Sizes are bytes; network and
// block I/O count since the container started.
type StatsRow struct {
	Time      time.Time `json:"time"`
	Service   string    `json:"service"`
	Replica   int       `json:"replica"`
	Container string    `json:"container"`
	ID        string    `json:"id"`
	State     string    `json:"state"`
	// CPUPercent is the share of one CPU over the last interval, as
	// docker stats counts it (200 is two CPUs); nil until two samples of
	// the container were seen, and for a container that is not running.
	CPUPercent *float64 `json:"cpu_percent"`
	MemUsage   uint64   `json:"mem_usage"` // without the page cache, as docker stats shows it
	MemLimit   uint64   `json:"mem_limit"`
	MemPercent float64  `json:"mem_percent"`
	NetRx      uint64   `json:"net_rx"`
	NetTx      uint64   `json:"net_tx"`
	BlockRead  uint64   `json:"block_read"`
	BlockWrite uint64   `json:"block_write"`
	PIDs       uint64   `json:"pids"`
}

// StatsHeader names the columns of the stats table.
var StatsHeader = []string{"SERVICE", "CONTAINER", "CPU %", "MEM USAGE / LIMIT", "NET I/O", "BLOCK I/O"}

// Cells are the row as the stats table shows it: memory in binary units
// (MiB), I/O in decimal ones (kB), "--" for what is not known.
func (r StatsRow) Cells() []string {
	if r.State != "running" {
		return []string{r.Service, r.Container, "--", "-- (" + r.State + ")", "--", "--"}
	}
	cpu := "--"
	if r.CPUPercent != nil {
		cpu = fmt.Sprintf("%.2f%%", *r.CPUPercent)
	}
	return []string{
		r.Service, r.Container, cpu,
		units.BytesSize(float64(r.MemUsage)) + " / " + units.BytesSize(float64(r.MemLimit)),
		units.HumanSizeWithPrecision(float64(r.NetRx), 3) + " / " + units.HumanSizeWithPrecision(float64(r.NetTx), 3),
		units.HumanSizeWithPrecision(float64(r.BlockRead), 3) + " / " + units.HumanSizeWithPrecision(float64(r.BlockWrite), 3),
	}
}

// WriteStatsTable writes rows as the stats table, with its header.
func WriteStatsTable(w io.Writer, rows []StatsRow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, strings.Join(StatsHeader, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r.Cells(), "\t"))
	}
	return tw.Flush()
}
