// Command mayfly is the Semaphore UI runner that scales to zero: setup,
// registration, a classic polling runner (`start`), the one-off runner bound
// to one task (`run`), and the webhook receiver (`serve`).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
