// The call verb: one request through the chain's entry, rendered hop by hop, or --watch until Ctrl-C.

package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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
		Args:              usageArgs(cobra.MaximumNArgs(1)),
		ValidArgsFunction: g.completeServices(1),
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

func (f callFlags) check() error {
	if f.watch && f.interval <= 0 {
		return errUsage{fmt.Errorf("--interval %s: want a positive duration", f.interval)}
	}
	return nil
}

func runCall(cmd *cobra.Command, g *globals, f callFlags, args []string) error {
	if err := f.check(); err != nil {
		return err
	}
	ctx := cmd.Context()
	s, err := g.open(ctx, "", "")
	if err != nil {
		return err
	}
	defer s.close()
	want := ""
	if len(args) > 0 {
		want = args[0]
	}
	service, url, err := s.Endpoint(ctx, s.Project, want)
	var notServing *engine.NotServingError
	if err != nil && !errors.As(err, &notServing) {
		return err
	}
	client := &http.Client{}
	if f.watch {
		// A healed entry may come back on another engine-chosen port.
		endpoint := func() string {
			if _, u, err := s.Endpoint(ctx, s.Project, service); err == nil {
				return u
			}
			return ""
		}
		link.Watch(ctx, g.stdout, link.WatchOptions{Service: service, URL: url, Endpoint: endpoint, Client: client, Interval: f.interval, Timeout: f.timeout})
		return nil
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
		swarmHint(ctx, g, s, s.Project)
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
		if r.Unroutable {
			fmt.Fprintf(g.stderr, "hint: %s has a virtual IP that this kernel cannot route (no IPVS): run `chainctl up --engine swarm --endpoint-mode dnsrr`\n", r.Service)
			return
		}
	}
}
