// Command gdlogin gets a GoodData API token for a person whose organization
// only lets them in through single sign-on, and hands it to their shell.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/gdlogin/gdlogin/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.System())
	stop()
	os.Exit(code)
}
