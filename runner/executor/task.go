package executor

import (
	"context"
	"io"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
)

// Task is what the executor needs from the loop that runs a job.
type Task interface {
	// Output returns a writer for one output stream of a child process
	// (stdout or stderr). Each call returns a new writer; close it when the
	// child is done so a trailing partial line is flushed.
	Output() io.WriteCloser
	// Logf writes one runner-generated line to the task log.
	Logf(format string, args ...any)
	// AddSecret makes the task log redact s from now on.
	AddSecret(s string)
	// SetStatus reports a non-terminal status change, such as
	// waiting_confirmation or running after a confirmation.
	SetStatus(s api.Status)
	// SetCommit records the commit the working copy is at.
	SetCommit(c api.Commit)
	// Killed is closed when the task must die at once (a force stop): pass
	// it as process.Cmd.ForceKill so a stop's grace period is cut short.
	Killed() <-chan struct{}
	// Times tells when the task's clock started, for the timing line.
	Times() Times
	// AwaitConfirmation blocks until the user confirms (true) or rejects
	// (false) the task in Semaphore, or ctx ends.
	AwaitConfirmation(ctx context.Context) (bool, error)
}

// Times are the moments before the executor started.
type Times struct {
	// Webhook is when the webhook that launched this runner arrived; zero
	// when the runner was not launched by a webhook.
	Webhook time.Time
	// Pickup is when the runner took the task from a poll.
	Pickup time.Time
}
