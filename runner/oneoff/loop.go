package oneoff

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/logstream"
)

// loop is the state of one Run. Only the Run goroutine touches its fields;
// jobs share their own state with their executor goroutines.
type loop struct {
	o          Options
	log        *slog.Logger
	jobs       map[int]*jobRun
	seen       map[int]bool // every task id ever taken
	taken      int
	results    []Result
	wakeCh     chan struct{}
	backoff    *logstream.Backoff
	lastPoll   time.Time
	polled     bool  // a poll has succeeded
	pollErr    error // the last poll's error
	clearCache *clearRequest
	lastReport time.Time
}

// Run polls, runs and reports jobs until the mode's end condition (see the
// package doc). It returns the results of the jobs it finished.
func Run(ctx context.Context, o Options) ([]Result, error) {
	o.defaults()
	l := &loop{
		o:       o,
		log:     o.Logger,
		jobs:    map[int]*jobRun{},
		seen:    map[int]bool{},
		wakeCh:  make(chan struct{}, 1),
		backoff: logstream.NewBackoff(o.PollInterval/2+time.Millisecond, 30*time.Second),
	}
	return l.run(ctx)
}

func (l *loop) wake() {
	select {
	case l.wakeCh <- struct{}{}:
	default:
	}
}

func (l *loop) run(ctx context.Context) ([]Result, error) {
	deadline := l.o.Now().Add(l.o.WaitTimeout)
	work := ctx // the context requests run under; outlives ctx during shutdown
	shuttingDown := false
	for {
		if !shuttingDown && ctx.Err() != nil {
			shuttingDown = true
			l.log.Info("shutting down: stopping running tasks", "tasks", len(l.jobs))
			for _, j := range l.jobs {
				j.interrupt(fmt.Errorf("%w: %v", errShutdown, context.Cause(ctx)))
			}
			var cancel context.CancelFunc
			work, cancel = context.WithTimeout(context.WithoutCancel(ctx), l.o.ShutdownTimeout)
			defer cancel()
		}
		if shuttingDown && len(l.jobs) == 0 {
			return l.results, context.Cause(ctx)
		}
		if work.Err() != nil {
			return l.results, fmt.Errorf("oneoff: %d task(s) not reported before the shutdown timeout: %w", len(l.jobs), context.Cause(ctx))
		}

		more, err := l.report(work)
		if errors.Is(err, api.ErrUnauthorized) {
			return l.abort(err)
		}
		failed := err != nil
		if l.done() {
			return l.results, nil
		}
		if l.o.Now().After(deadline) {
			// A server never reached is a configuration problem: say so.
			if !l.polled && l.pollErr != nil {
				return l.results, fmt.Errorf("oneoff: no successful poll within %s: %w", l.o.WaitTimeout, l.pollErr)
			}
			if l.o.TaskID > 0 && !l.seen[l.o.TaskID] {
				return l.results, fmt.Errorf("%w: task %d within %s", ErrTaskNotListed, l.o.TaskID, l.o.WaitTimeout)
			}
		}
		if !shuttingDown && l.o.Now().Sub(l.lastPoll) >= l.o.PollInterval {
			l.lastPoll = l.o.Now()
			l.pollErr = l.poll(work)
			switch {
			case l.pollErr == nil:
				l.polled = true
			case errors.Is(l.pollErr, api.ErrUnauthorized):
				return l.abort(l.pollErr)
			default:
				failed = true
			}
		}
		var delay time.Duration
		switch {
		case failed:
			delay = l.backoff.Next()
		case more:
			l.backoff.Reset()
			continue
		default:
			l.backoff.Reset()
			delay = l.o.PollInterval - l.o.Now().Sub(l.lastPoll)
		}
		l.sleep(ctx, work, delay)
	}
}

// sleep waits for delay, a wake-up, or the end of ctx (once) or work.
func (l *loop) sleep(ctx, work context.Context, delay time.Duration) {
	if delay <= 0 {
		return
	}
	stop := ctx.Done()
	if ctx.Err() != nil {
		stop = nil
	}
	select {
	case <-l.o.After(delay):
	case <-l.wakeCh:
	case <-stop:
	case <-work.Done():
	}
}

// done reports whether a one-job loop has finished its job.
func (l *loop) done() bool {
	return (l.o.OneJob || l.o.TaskID > 0) && l.taken > 0 && len(l.jobs) == 0
}

// abort kills every job after the server rejected the token: nothing can be
// reported any more.
func (l *loop) abort(err error) ([]Result, error) {
	for _, j := range l.jobs {
		j.forget(errForceStopped)
	}
	for _, j := range l.jobs { // let process groups die before the caller exits
		select {
		case <-j.done:
		case <-time.After(l.o.ShutdownTimeout):
		}
	}
	return l.results, fmt.Errorf("oneoff: %w", err)
}

// sortedJobs returns the jobs in task id order.
func (l *loop) sortedJobs() []*jobRun {
	out := make([]*jobRun, 0, len(l.jobs))
	for _, j := range l.jobs {
		out = append(out, j)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].id < out[b].id })
	return out
}
