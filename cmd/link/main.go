// Command link is the demo service of chainctl's chains: it calls the next
// service(s) and answers with the path the request took. Settings come from
// the environment (see internal/link.Config); -health probes a running one.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/chainctl/chainctl/internal/link"
)

func main() {
	health := flag.Bool("health", false, "probe the local service's /health and exit 0 or 1")
	flag.Parse()
	host, _ := os.Hostname()
	cfg, err := link.ConfigFromEnv(os.Getenv, host)
	if *health {
		// A HEALTHCHECK exits 0 or 1 only: 2 is reserved by Docker.
		if err == nil {
			err = link.Probe(context.Background(), cfg.HealthURL(), time.Second)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "link -health: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "link: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	l, err := net.Listen("tcp", cfg.Listen)
	if err == nil {
		err = link.New(cfg, os.Stderr).Run(ctx, l)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "link: %v\n", err)
		os.Exit(1)
	}
}
