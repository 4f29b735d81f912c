// Command mayfly-demo shows the whole mayfly chain on one machine: it starts
// the in-memory Semaphore server (runner/semaphoretest) with a runner whose
// webhook points at `mayfly serve`, starts `mayfly serve` as a subprocess,
// makes a git repository with a sample bash task (and an Ansible playbook
// when ansible-playbook is installed), queues the tasks, and prints each
// task log as Semaphore would show it. Semaphore's webhook makes serve launch
// one `mayfly run --task-id N` process per task.
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
	var o options
	flag.StringVar(&o.mayfly, "mayfly", "bin/mayfly", "path to the mayfly binary")
	flag.BoolVar(&o.keep, "keep", false, "keep the demo's temporary directory")
	flag.BoolVar(&o.verbose, "v", false, "also print the log of mayfly serve (its runners' logs included)")
	flag.BoolVar(&o.noAnsible, "no-ansible", false, "skip the Ansible task even when ansible-playbook is installed")
	timeout := flag.Duration("timeout", 3*time.Minute, "give up after this long")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}
