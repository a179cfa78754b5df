// Watch: `chainctl call --watch`'s loop, one line per call to the chain's entry, then how often it failed and when it came back.

package link

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// WatchOptions tune Watch.
type WatchOptions struct {
	Service  string        // the entry service, for the tree's root and the error node
	URL      string        // its endpoint now, "" if none is up
	Endpoint func() string // looks the endpoint up again ("" if none); called when URL is "" or the entry itself failed
	Client   *http.Client  // nil: http.DefaultClient
	Interval time.Duration // between calls; must be positive
	Timeout  time.Duration // one call
}

// WatchSummary is what a watch saw: its calls, how many failed, when the
// chain first broke and when it last came back.
type WatchSummary struct {
	Calls, Failed int
	FirstFailure  time.Time // zero when no call failed
	Recovered     time.Time // the last call that answered after one that failed; zero when none did
}

// watchClock is how Watch's lines and summary show a time.
const watchClock = "15:04:05.000"

// String is the summary's line: "12 calls, 3 failed; first failure
// 15:04:05.000, recovered 15:04:06.500 (1.5s later)", or ", not recovered".
func (s WatchSummary) String() string {
	line := fmt.Sprintf("%d calls, %d failed", s.Calls, s.Failed)
	if !s.FirstFailure.IsZero() {
		line += fmt.Sprintf("; first failure %s", s.FirstFailure.Format(watchClock))
		if !s.Recovered.IsZero() {
			line += fmt.Sprintf(", recovered %s (%s later)", s.Recovered.Format(watchClock), s.Recovered.Sub(s.FirstFailure).Round(time.Millisecond))
		} else {
			line += ", not recovered"
		}
	}
	return line
}

// Recovery keeps a watch's figures as calls come in: Observe each call's
// outcome, in order, and read the embedded WatchSummary.
type Recovery struct {
	WatchSummary
	broken bool // the last call failed
}

// Observe counts one call, made at at, that answered (ok) or failed.
func (r *Recovery) Observe(at time.Time, ok bool) {
	r.Calls++
	switch {
	case !ok:
		r.Failed++
		if r.FirstFailure.IsZero() {
			r.FirstFailure = at
		}
		r.broken = true
	case r.broken:
		r.Recovered, r.broken = at, false
	}
}

// Broken reports whether the last call observed failed.
func (r *Recovery) Broken() bool { return r.broken }

// Watch calls the chain every Interval until ctx ends, writes one line per call to w, then the summary; it returns the summary's figures.
// A call that ending ctx cuts short is neither written nor counted.
func Watch(ctx context.Context, w io.Writer, o WatchOptions) WatchSummary {
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	var r Recovery
	url := o.URL
	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	for {
		if url == "" && o.Endpoint != nil {
			url = o.Endpoint()
		}
		n := &Node{Service: o.Service, Error: "not reachable: no published port is up"}
		if url != "" {
			n = Fetch(ctx, client, url, o.Service, o.Timeout)
		}
		if n.Instance == "" {
			url = "" // the entry itself failed: look its port up again
		}
		if ctx.Err() != nil {
			break
		}
		now := time.Now()
		r.Observe(now, n.OK())
		status := "ok"
		if !n.OK() {
			status = "BROKEN"
		}
		fmt.Fprintf(w, "%s  %3d  %-6s  %s\n", now.Format(watchClock), n.Status, status, Path(n))
		select {
		case <-ctx.Done():
		case <-tick.C:
			continue
		}
		break
	}
	fmt.Fprintf(w, "\n%s\n", r.WatchSummary)
	return r.WatchSummary
}
