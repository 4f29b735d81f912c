package local

import (
	"context"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
)

// Reporter is the part of the runner API the launcher uses: Progress to
// report a task it had to give up as `error`, Poll once at shutdown to see
// which tasks are still unfinished. *api.Client implements it.
type Reporter interface {
	Poll(ctx context.Context) (*api.RunnerState, error)
	Progress(ctx context.Context, req api.ProgressRequest) (*api.ProgressResponse, error)
}

var _ Reporter = (*api.Client)(nil)

// Launch results passed to Observer.Launch.
const (
	LaunchStarted   = "started"   // a child process was started at once
	LaunchQueued    = "queued"    // all slots busy: the task waits in the queue
	LaunchDuplicate = "duplicate" // the task is already running or queued
	LaunchBusy      = "busy"      // slots and queue full (503)
	LaunchRefused   = "refused"   // shutting down (503)
	LaunchFailed    = "failed"    // the process could not be started (502, or reported when dequeued)
)

// Exit outcomes passed to Observer.Exit.
const (
	ExitSuccess   = "success"   // exit 0: the task succeeded and was reported
	ExitFailed    = "failed"    // exit 1: the task did not succeed and was reported
	ExitLost      = "lost"      // any other end: the launcher reported error
	ExitFinished  = "finished"  // ended after the server's finish: nothing to report
	ExitAbandoned = "abandoned" // killed at the shutdown deadline: reported error
	ExitDropped   = "dropped"   // a queued task the server finished: nothing to report
	ExitUnstarted = "unstarted" // a queued task given up at shutdown: reported error
)

// Observer receives what the launcher does, e.g. for metrics. Methods are
// called without locks held and may be called concurrently.
type Observer interface {
	Launch(result string)
	// ProcessStarted is the time from the webhook's arrival
	// (Request.ReceivedAt) to the child process having been started,
	// queueing included.
	ProcessStarted(sinceWebhook time.Duration)
	Exit(outcome string)
	// Report is the result of one error report to the server.
	Report(ok bool)
}

type nopObserver struct{}

func (nopObserver) Launch(string)                {}
func (nopObserver) ProcessStarted(time.Duration) {}
func (nopObserver) Exit(string)                  {}
func (nopObserver) Report(bool)                  {}
