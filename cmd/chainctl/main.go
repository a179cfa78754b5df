// Command chainctl orchestrates small service chains on the Docker Engine,
// breaks them on purpose and shows how they degrade and recover.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/chainctl/chainctl/cmd/chainctl/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills at once, as with compose
	}()
	os.Exit(app.Run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
