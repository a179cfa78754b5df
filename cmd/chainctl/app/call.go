package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/link"
)

type callFlags struct {
	json     bool
	watch    bool
	interval time.Duration
	timeout  time.Duration
}

func newCallCmd(g *globals) *cobra.Command {
	var f callFlags
	cmd := &cobra.Command{
		Use:   "call [SERVICE]",
		Short: "Send one request to the chain's entry and show each hop (exit 1 if the chain broke)",
		Long: `Send one request to the entry service (default: the service with a published
port that nobody calls) and render the chain: each hop with ✓ or ✗, its
instance, version and time, and the error where the chain broke.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCall(cmd, g, f, args)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.json, "json", false, "print the tree as JSON")
	fl.BoolVarP(&f.watch, "watch", "w", false, "call again every --interval, one line per call, until Ctrl-C")
	fl.DurationVar(&f.interval, "interval", 500*time.Millisecond, "time between calls with --watch")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Second, "how long one call may take")
	return cmd
}

func runCall(cmd *cobra.Command, g *globals, f callFlags, args []string) error {
	ctx := cmd.Context()
	e, project, done, err := g.openProject(ctx)
	if err != nil {
		return err
	}
	defer done()
	want := ""
	if len(args) > 0 {
		want = args[0]
	}
	service, url, err := e.Endpoint(ctx, project, want)
	var notServing *engine.NotServingError
	if err != nil && !errors.As(err, &notServing) {
		return err
	}
	client := &http.Client{}
	if f.watch {
		// A healed entry may come back on another engine-chosen port.
		endpoint := func() string {
			if _, u, err := e.Endpoint(ctx, project, service); err == nil {
				return u
			}
			return ""
		}
		return watch(ctx, g, f, client, service, url, endpoint)
	}
	n := &link.Node{Service: service, Error: "not reachable: no published port is up (see chainctl ps)"}
	if url != "" {
		n = link.Fetch(ctx, client, url, service, f.timeout)
	}
	if f.json {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(n); err != nil {
			return err
		}
	} else if err := link.RenderTree(g.stdout, n); err != nil {
		return err
	}
	if !n.OK() {
		swarmHint(ctx, g, e, project)
		return errSilent
	}
	return nil
}

// swarmHint explains a chain that fails between swarm services because
// their virtual IPs cannot be routed (no IPVS): the link only sees a
// timeout or "no route to host".
func swarmHint(ctx context.Context, g *globals, e engine.Backend, project string) {
	if e.Kind() != engine.KindSwarm {
		return
	}
	rows, err := e.PS(ctx, project)
	if err != nil {
		return
	}
	for _, r := range rows {
		if strings.Contains(r.Error, "without IPVS") {
			fmt.Fprintf(g.stderr, "hint: %s has a virtual IP that this kernel cannot route (no IPVS): run `chainctl up --engine swarm --endpoint-mode dnsrr`\n", r.Service)
			return
		}
	}
}

// watch calls until Ctrl-C, one line per call, then sums up: how many
// failed, when the chain first broke and when it came back.
func watch(ctx context.Context, g *globals, f callFlags, client *http.Client, service, url string, endpoint func() string) error {
	var total, failures int
	var firstFailure, recovered time.Time
	broken := false
	tick := time.NewTicker(f.interval)
	defer tick.Stop()
	for {
		if url == "" {
			url = endpoint()
		}
		n := &link.Node{Service: service, Error: "not reachable: no published port is up"}
		if url != "" {
			n = link.Fetch(ctx, client, url, service, f.timeout)
		}
		if n.Instance == "" {
			url = "" // the entry itself failed: look its port up again
		}
		if ctx.Err() != nil {
			break
		}
		now := time.Now()
		total++
		status := "ok"
		if !n.OK() {
			failures++
			status = "BROKEN"
			if firstFailure.IsZero() {
				firstFailure = now
			}
			broken = true
		} else if broken {
			recovered, broken = now, false
		}
		fmt.Fprintf(g.stdout, "%s  %3d  %-6s  %s\n", now.Format("15:04:05.000"), n.Status, status, link.Path(n))
		select {
		case <-ctx.Done():
		case <-tick.C:
			continue
		}
		break
	}
	fmt.Fprintf(g.stdout, "\n%d calls, %d failed", total, failures)
	if !firstFailure.IsZero() {
		fmt.Fprintf(g.stdout, "; first failure %s", firstFailure.Format("15:04:05.000"))
		if !recovered.IsZero() {
			fmt.Fprintf(g.stdout, ", recovered %s (%s later)", recovered.Format("15:04:05.000"), recovered.Sub(firstFailure).Round(time.Millisecond))
		} else {
			fmt.Fprint(g.stdout, ", not recovered")
		}
	}
	fmt.Fprintln(g.stdout)
	return nil
}
