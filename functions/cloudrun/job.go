package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/config"
	"github.com/mayfly-dev/mayfly/runner/oneoff"
	"github.com/mayfly-dev/mayfly/runner/worker"
	"github.com/mayfly-dev/mayfly/terraform/contract"
)

// errTerminated is the cause of a job stopped by SIGTERM; oneoff puts it in
// the task log ("Task interrupted: runner shutting down: …").
var errTerminated = errors.New("stopped: Cloud Run job was terminated (task timeout or cancellation)")

const (
	// jobStopGrace is the default time between SIGTERM and SIGKILL of the
	// task's process group in job mode: Cloud Run kills the container 10 s
	// after its own SIGTERM, and the final status must be sent before that.
	jobStopGrace = 5 * time.Second
	// reportMargin is the time left after the grace to report the final status.
	reportMargin = 4 * time.Second
)

// runJob runs the one task this execution is bound to.
func runJob(log *slog.Logger) int {
	log = log.With("execution", os.Getenv("CLOUD_RUN_EXECUTION"))
	taskID, err := envTaskID()
	if err != nil {
		log.Error("cannot run: "+err.Error(), "err", err)
		return exitConfig
	}
	if a := os.Getenv(envTaskAttempt); a != "" && a != "0" {
		log.Error("retry attempt "+a+" refused: mayfly runs a Semaphore task at most once, so a retry runs nothing. "+
			"Set the job's max retries to 0 (gcloud run jobs update JOB --max-retries 0).", "task", taskID)
		return exitFailed
	}
	var receivedAt time.Time
	if v := os.Getenv(contract.ReceivedAt); v != "" {
		if receivedAt, err = time.Parse(time.RFC3339Nano, v); err != nil {
			log.Warn("ignoring "+contract.ReceivedAt+": not an RFC 3339 time", "value", v)
		}
	}

	cfg, token, err := loadJobConfig()
	if err != nil {
		log.Error("invalid configuration", "err", err)
		return exitConfig
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sig)
	go func() {
		select {
		case s := <-sig:
			log.Warn("received "+s.String()+": stopping the task (task timeout or cancellation)", "task", taskID, "grace", cfg.Mayfly.StopGrace)
			cancel(errTerminated)
		case <-ctx.Done():
		}
	}()

	client, err := worker.NewClient(cfg, worker.ClientOptions{Token: token, UserAgent: "mayfly-cloudrun/" + version, Logger: log})
	if err != nil {
		log.Error("cannot build the API client", "err", err)
		return exitConfig
	}
	results, err := worker.Run(ctx, cfg, client, log, oneoff.Options{
		TaskID:          taskID,
		ReceivedAt:      receivedAt,
		ShutdownTimeout: cfg.Mayfly.StopGrace + reportMargin,
	})
	return jobOutcome(log, taskID, results, err)
}

// loadJobConfig reads the job's configuration from the environment and the
// runner token, then scrubs the secrets from the environment.
func loadJobConfig() (*config.Config, string, error) {
	_, graceSet := os.LookupEnv(envStopGrace)
	cfg, err := config.Load("", nil)
	if err != nil {
		return nil, "", err
	}
	if !graceSet {
		cfg.Mayfly.StopGrace = jobStopGrace
	}
	if err := cfg.Validate(); err != nil {
		return nil, "", err
	}
	token, err := cfg.Token()
	if err != nil {
		return nil, "", err
	}
	if token == "" {
		return nil, "", errors.New("no runner token: " + contract.SemaphoreRunnerToken + " is not set (the job reads it from Secret Manager)")
	}
	scrubEnv()
	return cfg, token, nil
}

// envTaskID reads MAYFLY_TASK_ID.
func envTaskID() (int, error) {
	v := strings.TrimSpace(os.Getenv(contract.TaskID))
	if v == "" {
		return 0, errors.New(contract.TaskID + " is not set: executions of this job are started by the mayfly receiver service, one per task")
	}
	id, err := strconv.Atoi(v)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s=%q is not a positive task id", contract.TaskID, v)
	}
	return id, nil
}

// jobOutcome logs how the task ended and returns the exit code: 0 only when
// the bound task's final status was success.
func jobOutcome(log *slog.Logger, taskID int, results []oneoff.Result, err error) int {
	for _, r := range results {
		if r.TaskID != taskID {
			continue
		}
		if r.Status == api.StatusSuccess {
			log.Info("task succeeded", "task", taskID)
			return exitOK
		}
		log.Error("task ended "+string(r.Status), "task", taskID, "status", r.Status, "err", err)
		return exitFailed
	}
	if err == nil {
		err = errors.New("the runner ended without a result")
	}
	log.Error("task not run: "+err.Error(), "task", taskID, "err", err)
	return exitFailed
}
