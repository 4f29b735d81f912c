package awslambda

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// WorkerEvent is the payload of a worker invocation.
type WorkerEvent struct {
	Worker *Worker `json:"mayfly_worker"`
}

// Worker names the task a worker invocation runs.
type Worker struct {
	TaskID int `json:"task_id"`
	// ReceivedAt is when the webhook arrived (RFC 3339), for the task's timing line.
	ReceivedAt string `json:"received_at,omitempty"`
}

// NewWorkerEvent returns the event for taskID; receivedAt may be zero.
func NewWorkerEvent(taskID int, receivedAt time.Time) WorkerEvent {
	w := &Worker{TaskID: taskID}
	if !receivedAt.IsZero() {
		w.ReceivedAt = receivedAt.UTC().Format(time.RFC3339Nano)
	}
	return WorkerEvent{Worker: w}
}

// ErrNotWorkerEvent is returned by DecodeWorkerEvent for a payload without "mayfly_worker".
var ErrNotWorkerEvent = errors.New("awslambda: not a worker event (no \"mayfly_worker\" object)")

// DecodeWorkerEvent parses and checks a worker event. A received_at that is
// not an RFC 3339 time is returned as zero with a non-nil warning; the event
// is still usable.
func DecodeWorkerEvent(raw []byte) (taskID int, receivedAt time.Time, warning, err error) {
	var ev WorkerEvent
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&ev); err != nil {
		return 0, time.Time{}, nil, fmt.Errorf("awslambda: malformed worker event: %w", err)
	}
	if ev.Worker == nil {
		return 0, time.Time{}, nil, ErrNotWorkerEvent
	}
	if ev.Worker.TaskID <= 0 {
		return 0, time.Time{}, nil, fmt.Errorf("awslambda: worker event: task_id must be a positive integer, got %d", ev.Worker.TaskID)
	}
	if s := ev.Worker.ReceivedAt; s != "" {
		t, perr := time.Parse(time.RFC3339Nano, s)
		if perr != nil {
			return ev.Worker.TaskID, time.Time{}, fmt.Errorf("awslambda: worker event: received_at %q is not an RFC 3339 time; ignored", s), nil
		}
		receivedAt = t
	}
	return ev.Worker.TaskID, receivedAt, nil, nil
}
