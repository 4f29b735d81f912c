package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/mayfly-dev/mayfly/infra/launcher/awslambda"
	"github.com/mayfly-dev/mayfly/runner/api"
)

// FailurePrefix starts the task log line of a failed worker invocation.
const FailurePrefix = "[mayfly] the Lambda worker for this task failed: "

// destinationRecord is what Lambda sends to an on-failure destination for an
// asynchronous invocation that failed (RetriesExhausted) or waited too long
// in the queue (EventAgeExceeded).
type destinationRecord struct {
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext struct {
		StatusCode    int    `json:"statusCode"`
		FunctionError string `json:"functionError"`
	} `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload"`
}

// failureResult is what the failure handler returns; it always succeeds.
type failureResult struct {
	TaskID   int    `json:"task_id,omitempty"`
	Reported bool   `json:"reported"`
	Note     string `json:"note,omitempty"`
}

// Retry bounds of the failure report.
const (
	reportAttempts = 5
	reportBackoff  = time.Second
	reportReserve  = 2 * time.Second // kept before the invocation deadline
)

// failure reports the task of a failed worker invocation as `error`. It
// never returns an error: the function is its own failure destination, and
// a failing failure handler would only produce another record.
func (f *function) failure(ctx context.Context, log *slog.Logger, raw []byte) failureResult {
	var rec destinationRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		log.Error("malformed destination record; dropped", "err", err)
		return failureResult{Note: "malformed destination record"}
	}
	log = log.With("condition", rec.RequestContext.Condition, "failed_request_id", rec.RequestContext.RequestID)
	taskID, _, _, err := awslambda.DecodeWorkerEvent(rec.RequestPayload)
	if err != nil {
		// Not a worker invocation (an unknown event, a failure record): there
		// is no task to report.
		log.Warn("failure record of an invocation without a task; dropped", "err", err)
		return failureResult{Note: "not a worker invocation"}
	}
	log = log.With("task", taskID)
	reason := failureReason(rec)
	log.Error("worker invocation failed; reporting the task as error", "reason", reason)

	cfg, err := f.config()
	if err != nil {
		log.Error("cannot report the failure: configuration", "err", err)
		return failureResult{TaskID: taskID, Note: err.Error()}
	}
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-reportReserve))
		defer cancel()
	}
	now := f.now()
	records := []api.LogRecord{{Time: now, Message: FailurePrefix + reason}}
	if h := failureHint(rec, reason); h != "" {
		records = append(records, api.LogRecord{Time: now, Message: "[mayfly] " + h})
	}
	req := api.ProgressRequest{Jobs: []api.JobProgress{{ID: taskID, Status: api.StatusError, LogRecords: records}}}
	for attempt := 1; ; attempt++ {
		client, err := f.apiClient(ctx, cfg, log)
		if err == nil {
			err = f.report(ctx, log, client, req)
		}
		if err == nil {
			break
		}
		if attempt == 1 && errors.Is(err, api.ErrUnauthorized) && f.refreshToken(ctx, cfg, log) {
			continue
		}
		log.Error("could not report the failure to Semaphore", "err", err)
		return failureResult{TaskID: taskID, Note: "report failed: " + err.Error()}
	}
	log.Info("failure reported")
	return failureResult{TaskID: taskID, Reported: true}
}

// report sends req, retrying transient failures a few times.
func (f *function) report(ctx context.Context, log *slog.Logger, client *api.Client, req api.ProgressRequest) error {
	wait := reportBackoff
	var err error
	for attempt := 1; attempt <= reportAttempts; attempt++ {
		if _, err = client.Progress(ctx, req); err == nil {
			return nil
		}
		var ae *api.Error
		if errors.Is(err, api.ErrUnauthorized) || (errors.As(err, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 500) {
			return err
		}
		log.Warn("failure report failed; retrying", "attempt", attempt, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		}
		wait *= 2
	}
	return err
}

// failureReason is "<condition>: <error message>" from the record.
func failureReason(rec destinationRecord) string {
	cond := rec.RequestContext.Condition
	var p struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	msg := ""
	if raw := bytes.TrimSpace(rec.ResponsePayload); len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, &p) == nil {
		msg = p.ErrorMessage
		if msg == "" {
			msg = p.ErrorType
		}
	} else if len(raw) > 0 && raw[0] == '"' {
		_ = json.Unmarshal(raw, &msg)
	}
	msg = oneLine(msg, 500)
	if msg == "" {
		return cond
	}
	return cond + ": " + msg
}

// failureHint says what to do about the usual conditions, or "".
func failureHint(rec destinationRecord, reason string) string {
	switch {
	case rec.RequestContext.Condition == "EventAgeExceeded":
		return "Lambda dropped the invocation after it waited in the queue longer than the maximum event age: raise the function's reserved concurrency, or lower the runner's max_parallel_tasks"
	case strings.Contains(reason, "timed out") || strings.Contains(reason, "Timedout"):
		return "the function reached its time limit: run templates longer than ~14 minutes on Cloud Run or a local receiver"
	}
	return ""
}

// oneLine keeps the first line of s, at most n bytes of it.
func oneLine(s string, n int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}
