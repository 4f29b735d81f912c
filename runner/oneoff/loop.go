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
	clearCache *clearRequest

	// batchRecords and batchBytes bound one job's records in one PUT:
	// MaxBatchRecords and MaxBatchBytes, halved on every 413 answer.
	batchRecords, batchBytes int

	deadline      time.Time // for the first poll, and for a bound task to appear
	shuttingDown  bool
	lastPoll      time.Time
	lastReport    time.Time
	lastContact   time.Time // last request the server answered
	polled        bool      // a poll has succeeded
	pollErr       error     // the last poll's error
	pollRejects   int       // consecutive non-retryable poll failures
	reportRejects int       // consecutive non-retryable report failures
}

// maxResults bounds the results a long-lived loop remembers.
const maxResults = 100

// maxSeen bounds the task ids a long-lived loop remembers for de-duplication.
const maxSeen = 10000

// rejectLimit is how many non-retryable answers in a row end the loop.
const rejectLimit = 5

// Run polls, runs and reports jobs until the mode's end condition (see the
// package doc). It returns the results of the jobs it finished (a
// long-lived loop: the latest maxResults).
func Run(ctx context.Context, o Options) ([]Result, error) {
	o.defaults()
	l := &loop{
		o:       o,
		log:     o.Logger,
		jobs:    map[int]*jobRun{},
		seen:    map[int]bool{},
		wakeCh:  make(chan struct{}, 1),
		backoff: logstream.NewBackoff(o.PollInterval/2+time.Millisecond, 30*time.Second),

		batchRecords: o.MaxBatchRecords,
		batchBytes:   o.MaxBatchBytes,
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
	l.deadline = l.o.Now().Add(l.o.WaitTimeout)
	l.lastContact = l.o.Now()
	work := ctx // requests run under work, which outlives ctx during shutdown
	for {
		if ctx.Err() != nil && !l.shuttingDown {
			var cancel context.CancelFunc
			work, cancel = l.shutdown(ctx)
			defer cancel()
		}
		if end, err := l.end(ctx, work); end {
			return l.results, err
		}
		delay, err := l.cycle(work)
		if err != nil {
			return l.abort(err)
		}
		l.sleep(ctx, work, delay)
	}
}

// shutdown interrupts every running task once ctx has ended; their final
// statuses are still delivered, within ShutdownTimeout.
func (l *loop) shutdown(ctx context.Context) (context.Context, context.CancelFunc) {
	l.shuttingDown = true
	l.log.Info("shutting down: stopping running tasks", "tasks", len(l.jobs))
	for _, j := range l.jobs {
		j.interrupt(fmt.Errorf("%w: %v", errShutdown, context.Cause(ctx)))
	}
	return context.WithTimeout(context.WithoutCancel(ctx), l.o.ShutdownTimeout)
}

// end reports whether the loop is over, and with which error.
func (l *loop) end(ctx, work context.Context) (bool, error) {
	now := l.o.Now()
	switch {
	case l.shuttingDown && len(l.jobs) == 0:
		return true, context.Cause(ctx)
	case work.Err() != nil:
		return true, fmt.Errorf("oneoff: %d task(s) not reported before the shutdown timeout: %w", len(l.jobs), context.Cause(ctx))
	case l.oneJobDone():
		return true, nil
	case now.Before(l.deadline):
		return false, nil
	case !l.polled && l.pollErr != nil:
		// A server never reached is a configuration problem: say so.
		return true, fmt.Errorf("oneoff: no successful poll within %s: %w", l.o.WaitTimeout, l.pollErr)
	case l.o.TaskID > 0 && !l.seen[l.o.TaskID]:
		return true, fmt.Errorf("%w: task %d within %s", ErrTaskNotListed, l.o.TaskID, l.o.WaitTimeout)
	}
	return false, nil
}

// cycle sends one progress report and, when due, one poll. It returns the
// delay before the next cycle, or an error that ends the loop.
func (l *loop) cycle(ctx context.Context) (time.Duration, error) {
	more, err := l.report(ctx)
	failed := err != nil
	if err := l.judge(err, &l.reportRejects); err != nil {
		return 0, err
	}
	if !l.shuttingDown && l.o.Now().Sub(l.lastPoll) >= l.o.PollInterval {
		l.lastPoll = l.o.Now()
		l.pollErr = l.poll(ctx)
		l.polled = l.polled || l.pollErr == nil
		failed = failed || l.pollErr != nil
		if err := l.judge(l.pollErr, &l.pollRejects); err != nil {
			return 0, err
		}
	}
	switch {
	case l.oneJobDone():
		return 0, nil // end now, not after another poll interval
	case failed:
		return l.backoff.Next(), nil
	case more:
		l.backoff.Reset()
		return 0, nil
	}
	l.backoff.Reset()
	return l.o.PollInterval - l.o.Now().Sub(l.lastPoll), nil
}

// oneJobDone reports whether a one-job loop (bound, or one_off) has
// delivered its job's final status.
func (l *loop) oneJobDone() bool {
	return (l.o.OneJob || l.o.TaskID > 0) && l.taken > 0 && len(l.jobs) == 0
}

// judge decides whether a request error ends the loop: a rejected token at
// once; an answer the server keeps refusing (4xx) after rejectLimit tries;
// silence while tasks run after GiveUpAfter. Transient errors are retried.
func (l *loop) judge(err error, rejects *int) error {
	if err == nil {
		l.lastContact, *rejects = l.o.Now(), 0
		return nil
	}
	if errors.Is(err, api.ErrUnauthorized) {
		return err
	}
	if !api.Retryable(err) && !errors.Is(err, context.Canceled) {
		if *rejects++; *rejects >= rejectLimit {
			return fmt.Errorf("the server rejected %d requests in a row: %w", *rejects, err)
		}
	}
	if silent := l.o.Now().Sub(l.lastContact); len(l.jobs) > 0 && silent > l.o.GiveUpAfter {
		return fmt.Errorf("no answer from the server for %s: %w", silent.Round(time.Second), err)
	}
	return nil
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

// abort kills every job when the loop cannot go on (token rejected, server
// gone): nothing can be reported any more.
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
