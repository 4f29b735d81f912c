// Command mayfly-demo shows the whole mayfly chain on one machine: it starts
// the in-memory Semaphore server (runner/semaphoretest), makes a git
// repository with a sample bash task, gives mayfly a runner token, queues the
// task, runs `mayfly run --task-id N`, and prints the task log as Semaphore
// would show it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	mayfly := flag.String("mayfly", "bin/mayfly", "path to the mayfly binary")
	keep := flag.Bool("keep", false, "keep the demo's temporary directory")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	if err := run(ctx, *mayfly, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}
