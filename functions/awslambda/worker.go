package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/mayfly-dev/mayfly/infra/launcher/awslambda"
	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/config"
	"github.com/mayfly-dev/mayfly/runner/oneoff"
	"github.com/mayfly-dev/mayfly/runner/worker"
	"github.com/mayfly-dev/mayfly/terraform/contract"
)

// DefaultDeadlineMargin is MAYFLY_DEADLINE_MARGIN when unset.
const DefaultDeadlineMargin = 30 * time.Second

// errTimeLimit is the cause the loop is cancelled with at the deadline; it
// ends up in the task log as "Task interrupted: runner shutting down: <it>".
var errTimeLimit = errors.New("stopped: Lambda time limit reached; run templates longer than ~14 minutes on Cloud Run or a local receiver")

// workerResult is what a worker invocation returns (Lambda discards it for
// asynchronous invocations; it shows in tests and manual invokes).
type workerResult struct {
	TaskID int    `json:"task_id"`
	Status string `json:"status"`
	Note   string `json:"note,omitempty"`
}

// worker runs one task. It returns an error only when the task's final
// status could not be reported: Lambda then sends the failure record, and
// the failure handler reports the task.
func (f *function) worker(ctx context.Context, log *slog.Logger, raw []byte) (any, error) {
	taskID, receivedAt, warning, err := awslambda.DecodeWorkerEvent(raw)
	if err != nil {
		log.Error("bad worker event", "err", err)
		return nil, err
	}
	if warning != nil {
		log.Warn("worker event", "task", taskID, "err", warning)
	}
	cfg, err := f.config()
	if err != nil {
		log.Error("configuration", "task", taskID, "err", err)
		return nil, fmt.Errorf("mayfly: task %d: %w", taskID, err)
	}
	margin, err := f.deadlineMargin()
	if err != nil {
		log.Warn("ignoring "+contract.DeadlineMargin, "err", err, "margin", margin.String())
	}
	deadline, hasDeadline := ctx.Deadline()
	p := planDeadline(f.now(), deadline, hasDeadline, margin, cfg.Mayfly.StopGrace)
	if p.clamped {
		log.Warn("the deadline margin does not fit in the time left; using half of it", "task", taskID, "margin", p.margin.String())
	}
	runCfg := *cfg
	runCfg.Mayfly.StopGrace = p.grace
	loopCtx := ctx
	if !p.stopAt.IsZero() {
		var cancel context.CancelFunc
		loopCtx, cancel = context.WithDeadlineCause(ctx, p.stopAt, errTimeLimit)
		defer cancel()
		stop := context.AfterFunc(loopCtx, func() {
			if errors.Is(context.Cause(loopCtx), errTimeLimit) {
				log.Warn("Lambda time limit near: stopping the task", "task", taskID,
					"margin", p.margin.String(), "grace", p.grace.String())
			}
		})
		defer stop()
	}

	var status api.Status
	for attempt := 1; ; attempt++ {
		client, cerr := f.apiClient(ctx, cfg, log)
		if cerr != nil {
			log.Error("no API client (runner token or TLS settings)", "task", taskID, "err", cerr)
			return nil, fmt.Errorf("mayfly: task %d: %w", taskID, cerr)
		}
		var results []oneoff.Result
		results, err = worker.Run(loopCtx, &runCfg, client, log, oneoff.Options{
			TaskID:          taskID,
			ReceivedAt:      receivedAt,
			ShutdownTimeout: p.shutdown,
		})
		for _, r := range results {
			if r.TaskID == taskID {
				status = r.Status
			}
		}
		// A 401 before the task was taken: the token may have been rotated
		// while this sandbox kept the old one.
		if attempt > 1 || status != "" || !errors.Is(err, api.ErrUnauthorized) || !f.refreshToken(ctx, cfg, log) {
			break
		}
	}
	switch {
	case status != "":
		log.Info("task reported", "task", taskID, "status", status)
		return workerResult{TaskID: taskID, Status: string(status)}, nil
	case errors.Is(err, oneoff.ErrTaskNotListed):
		// The server hands a task out once: another invocation of this event
		// (Lambda may deliver one twice) has it, or it was stopped meanwhile.
		// Reporting `error` now could fail a task that is running elsewhere.
		log.Warn("the task was not offered to this worker; nothing to do", "task", taskID, "err", err)
		return workerResult{TaskID: taskID, Note: "task not offered: run by another invocation, or stopped"}, nil
	case err == nil:
		err = errors.New("the runner ended without reporting the task")
	}
	log.Error("task not reported", "task", taskID, "err", err)
	return nil, fmt.Errorf("mayfly: task %d: %w", taskID, err)
}

// deadlineMargin is MAYFLY_DEADLINE_MARGIN, DefaultDeadlineMargin when unset;
// an invalid value returns the default and an error saying why.
func (f *function) deadlineMargin() (time.Duration, error) {
	s := strings.TrimSpace(f.env[contract.DeadlineMargin])
	if s == "" {
		return DefaultDeadlineMargin, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return DefaultDeadlineMargin, fmt.Errorf("%q is not a positive duration such as \"30s\"", s)
	}
	return d, nil
}

// deadlinePlan is when to stop a task and how long each step of the stop
// may take, so that all of it ends before Lambda's own deadline.
type deadlinePlan struct {
	stopAt   time.Time     // zero: no deadline
	margin   time.Duration // time kept between stopAt and the deadline
	grace    time.Duration // SIGTERM -> SIGKILL of the task's process group
	shutdown time.Duration // bound on delivering the final status after stopAt
	clamped  bool          // the margin was cut to half the time left
}

// planDeadline places the stop margin before the invocation deadline. The
// stop grace is at most a third of the margin and the shutdown half of it,
// which leaves the other half for the invocation to return.
func planDeadline(now, deadline time.Time, hasDeadline bool, margin, grace time.Duration) deadlinePlan {
	if !hasDeadline {
		return deadlinePlan{grace: grace}
	}
	p := deadlinePlan{margin: margin}
	if left := deadline.Sub(now); p.margin >= left {
		p.margin, p.clamped = max(left/2, 0), true
	}
	p.grace = min(grace, p.margin/3)
	p.shutdown = max(p.margin/2, time.Millisecond)
	p.stopAt = deadline.Add(-p.margin)
	return p
}

// apiClient builds an API client for cfg with the sandbox's token.
func (f *function) apiClient(ctx context.Context, cfg *config.Config, log *slog.Logger) (*api.Client, error) {
	token, err := f.token(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return worker.NewClient(cfg, worker.ClientOptions{Token: token, UserAgent: "mayfly-lambda/" + version, Logger: log})
}
