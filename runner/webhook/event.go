package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Webhook actions Semaphore sends.
const (
	ActionStart  = "start"
	ActionFinish = "finish"
)

// MaxBodyBytes bounds a webhook body; Semaphore's are under 200 bytes.
const MaxBodyBytes = 4 << 10

// Event is the body of a Semaphore runner webhook.
type Event struct {
	Action     string `json:"action"`
	ProjectID  int    `json:"project_id"`
	TaskID     int    `json:"task_id"`
	TemplateID int    `json:"template_id"`
	RunnerID   int    `json:"runner_id"`
}

// ErrBodyTooLarge is returned by Decode for a body over MaxBodyBytes.
var ErrBodyTooLarge = errors.New("webhook: body too large")

// ErrBadRequest is in the chain of every Decode error except
// ErrBodyTooLarge: the body is not a webhook (answer 400).
var ErrBadRequest = errors.New("webhook: bad request")

// badRequest is a Decode error naming the problem; it matches ErrBadRequest.
type badRequest struct{ msg string }

func (e *badRequest) Error() string        { return "webhook: " + e.msg }
func (e *badRequest) Is(target error) bool { return target == ErrBadRequest }

func bad(format string, args ...any) error {
	return &badRequest{msg: fmt.Sprintf(format, args...)}
}

// Decode reads and validates one webhook body. Unknown fields are allowed
// (servers add fields over time); a missing (or null) action or task_id, a
// non-positive task_id, a field of the wrong type or an unknown action is an
// error naming the field. project_id, template_id and runner_id are
// optional. Decode never panics, whatever the input (FuzzDecode).
func Decode(r io.Reader) (Event, error) {
	body, err := io.ReadAll(io.LimitReader(r, MaxBodyBytes+1))
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &maxBytes):
		return Event{}, ErrBodyTooLarge
	case err != nil:
		return Event{}, bad("read body: %v", err)
	case len(body) > MaxBodyBytes:
		return Event{}, ErrBodyTooLarge
	case len(bytes.TrimSpace(body)) == 0:
		return Event{}, bad(`empty body: want a JSON object such as {"action":"start","task_id":1}`)
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return Event{}, bad("malformed JSON: %v", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return Event{}, bad("malformed JSON: trailing data after the object")
	}
	if raw == nil {
		return Event{}, bad("malformed JSON: want an object, got null")
	}
	for _, field := range []string{"action", "task_id"} {
		if v, ok := raw[field]; !ok || string(bytes.TrimSpace(v)) == "null" {
			return Event{}, bad("missing field %q", field)
		}
	}
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return Event{}, bad("invalid field: %v", jsonProblem(err))
	}
	switch {
	case ev.Action != ActionStart && ev.Action != ActionFinish:
		return Event{}, bad("unknown action %q (want start or finish)", truncate(ev.Action, 64))
	case ev.TaskID <= 0:
		return Event{}, bad("task_id must be a positive integer, got %d", ev.TaskID)
	}
	return ev, nil
}

// jsonProblem rewords encoding/json errors without Go type names.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("field %q: a JSON %s is not a valid value (want %s)", te.Field, te.Value, jsonKind(te.Type.Kind().String()))
		}
		return fmt.Sprintf("want a JSON object, got a JSON %s", te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return err.Error()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "int", "int64", "int32":
		return "an integer"
	}
	return goKind
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// Request is what a Launcher receives for an accepted start.
type Request struct {
	TaskID     int
	ProjectID  int
	TemplateID int
	RunnerID   int
	// ReceivedAt is when the webhook arrived, for the task's timing line.
	ReceivedAt time.Time
}
