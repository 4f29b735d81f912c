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
