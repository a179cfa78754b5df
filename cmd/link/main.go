// Command link is the demo service of chainctl's chains: it calls the next
// service(s) and answers with the path the request took. Settings come from
// the environment (see internal/link.Config); -health probes a running one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/chainctl/chainctl/internal/link"
)

// shutdownGrace bounds a graceful stop, so teardown never waits for the
// engine's kill timeout.
const shutdownGrace = time.Second

func main() {
	health := flag.Bool("health", false, "probe the local service's /health and exit 0 or 1")
	flag.Parse()
	host, _ := os.Hostname()
	cfg, err := link.ConfigFromEnv(os.Getenv, host)
	if err != nil {
		fmt.Fprintf(os.Stderr, "link: %v\n", err)
		os.Exit(2)
	}
	if *health {
		if err := link.Probe(context.Background(), cfg.HealthURL(), time.Second); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if err := run(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "link: %v\n", err)
		os.Exit(1)
	}
}

func run(cfg link.Config) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv := link.New(cfg, os.Stderr).Server()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	fmt.Fprintf(os.Stderr, "link %s (%s, version %s) listening on %s, next: %v\n", cfg.Name, cfg.Instance, cfg.Version, cfg.Listen, cfg.Next)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
