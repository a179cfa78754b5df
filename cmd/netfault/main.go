// Command netfault is chainctl's network-fault helper. It runs in a target
// container's network namespace (NetworkMode container:<id>, NET_ADMIN):
// `run` applies the job in NETFAULT_JOB until SIGTERM, `clear` removes what
// a killed helper left, `list` shows it; `probe`, `serve` and `fetch`
// measure, for tests and benchmarks. Every command prints one JSON line.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
