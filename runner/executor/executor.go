package executor

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/mayfly-dev/mayfly/runner/job"
)

// Options configure an Executor.
type Options struct {
	// TmpPath is Semaphore's tmp_path: working copies live below it.
	TmpPath string
	// WebHost is the server URL, used for task links in task details.
	WebHost string
	// Grace is the SIGTERM -> SIGKILL delay when a task is stopped.
	Grace time.Duration
	// Logger is the runner log (never the task log).
	Logger *slog.Logger
}

// Executor runs tasks. It is safe for concurrent use by several jobs.
type Executor struct {
	opts Options
	git  gitRunner
}

// New returns an Executor.
func New(o Options) *Executor {
	if o.TmpPath == "" {
		o.TmpPath = filepath.Join(os.TempDir(), "semaphore")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Executor{opts: o}
	e.git = gitRunner{grace: o.Grace}
	return e
}

// Execute prepares and runs j, writing its output to t. It returns nil when
// the task succeeded.
func (e *Executor) Execute(ctx context.Context, j *job.Job, t Task) error {
	for _, s := range j.Secrets() {
		t.AddSecret(s)
	}
	if err := os.MkdirAll(e.opts.TmpPath, 0o700); err != nil {
		return fmt.Errorf("executor: create tmp_path: %w", err)
	}
	t.Logf("Preparing: %d", j.ID())
	dir, release, err := e.prepareRepository(ctx, j, t)
	defer release()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("executor: stopped before start: %w", context.Cause(ctx))
	}
	return e.runShell(ctx, j, t, dir)
}
