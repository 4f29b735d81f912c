package oneoff

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/executor"
	"github.com/mayfly-dev/mayfly/runner/job"
)

// Client is the part of the runner API the loop uses.
type Client interface {
	Poll(ctx context.Context) (*api.RunnerState, error)
	Progress(ctx context.Context, req api.ProgressRequest) (*api.ProgressResponse, error)
}

// Executor runs one job; nil means success.
type Executor interface {
	Execute(ctx context.Context, j *job.Job, t executor.Task) error
}

// ErrTaskNotListed is returned in bound mode when the server did not offer the
// task within WaitTimeout.
var ErrTaskNotListed = errors.New("oneoff: task was not offered by the server in time")

// Options configure Run.
type Options struct {
	Client   Client
	Executor Executor
	// Logger is the runner log (never the task log).
	Logger *slog.Logger
	// PollInterval is the time between polls; default 1s.
	PollInterval time.Duration
	// TaskID binds the loop to one task; 0 takes any task.
	TaskID int
	// ReceivedAt is when the webhook that launched a bound loop arrived
	// (zero when unknown); it starts the task's timing line.
	ReceivedAt time.Time
	// OneJob ends the loop after the first job's final status was accepted.
	OneJob bool
	// MaxParallel caps concurrently running jobs; 0 means no cap.
	MaxParallel int
	// WaitTimeout bounds how long a bound loop waits for its task; default 2m.
	WaitTimeout time.Duration
	// ClearCache, if set, is called when the server asks the runner to
	// clear its cache (clear_cache, 2025+ servers): projectID nil means the
	// whole tmp_path. It runs only while no job is running.
	ClearCache func(projectID *int) error
	// SpillDir is where log buffers spill to disk; default os.TempDir().
	SpillDir string
	// MaxBatchRecords and MaxBatchBytes bound the log records of one job in
	// one PUT; defaults 2000 and 1 MiB.
	MaxBatchRecords int
	MaxBatchBytes   int
	// ShutdownTimeout bounds the delivery of final statuses after ctx ends; default 30s.
	ShutdownTimeout time.Duration
	// GiveUpAfter bounds how long tasks keep running while the server
	// answers nothing; then they are killed and Run fails. Default 10m (2026
	// servers fail a silent runner's task after 7 minutes anyway).
	GiveUpAfter time.Duration
	// After is time.After, injectable so that tests of long outages stay short.
	After func(time.Duration) <-chan time.Time
	// Now is time.Now, injectable.
	Now func() time.Time
}

// Result is the outcome of one job.
type Result struct {
	TaskID int
	Status api.Status
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = 2 * time.Minute
	}
	if o.MaxBatchRecords <= 0 {
		o.MaxBatchRecords = 2000
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = 1 << 20
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
	if o.GiveUpAfter <= 0 {
		o.GiveUpAfter = 10 * time.Minute
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}
