package webhook

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Event
		err  string // substring of the error; "" = success
	}{
		{name: "start", body: `{"action":"start","project_id":3,"task_id":41,"template_id":7,"runner_id":2}`,
			want: Event{Action: "start", ProjectID: 3, TaskID: 41, TemplateID: 7, RunnerID: 2}},
		{name: "finish", body: `{"action":"finish","task_id":41}`, want: Event{Action: "finish", TaskID: 41}},
		{name: "unknown fields kept out", body: `{"action":"start","task_id":1,"new_field":{"x":[1,2]}}`,
			want: Event{Action: "start", TaskID: 1}},
		{name: "surrounding whitespace", body: " \n{\"action\":\"start\",\"task_id\":1}\n ", want: Event{Action: "start", TaskID: 1}},
		{name: "case-insensitive keys like the server", body: `{"Action":"start","Task_ID":5}`, err: `missing field "action"`},
		{name: "empty", body: ``, err: "empty body"},
		{name: "blank", body: "  \n", err: "empty body"},
		{name: "not JSON", body: `action=start`, err: "malformed JSON"},
		{name: "truncated", body: `{"action":"start","task_id":1`, err: "malformed JSON"},
		{name: "array", body: `[1,2]`, err: "want a JSON object, got a JSON array"},
		{name: "string", body: `"start"`, err: "want a JSON object, got a JSON string"},
		{name: "null", body: `null`, err: "want an object, got null"},
		{name: "trailing object", body: `{"action":"start","task_id":1}{"action":"start","task_id":2}`, err: "trailing data"},
		{name: "trailing garbage", body: `{"action":"start","task_id":1} x`, err: "trailing data"},
		{name: "missing action", body: `{"task_id":1}`, err: `missing field "action"`},
		{name: "null action", body: `{"action":null,"task_id":1}`, err: `missing field "action"`},
		{name: "missing task_id", body: `{"action":"start"}`, err: `missing field "task_id"`},
		{name: "null task_id", body: `{"action":"start","task_id":null}`, err: `missing field "task_id"`},
		{name: "task_id as string", body: `{"action":"start","task_id":"41"}`, err: `field "task_id": a JSON string is not a valid value (want an integer)`},
		{name: "task_id fraction", body: `{"action":"start","task_id":1.5}`, err: `field "task_id"`},
		{name: "task_id overflow", body: `{"action":"start","task_id":1e30}`, err: `field "task_id"`},
		{name: "task_id zero", body: `{"action":"start","task_id":0}`, err: "task_id must be a positive integer, got 0"},
		{name: "task_id negative", body: `{"action":"start","task_id":-4}`, err: "task_id must be a positive integer, got -4"},
		{name: "action number", body: `{"action":1,"task_id":1}`, err: `field "action": a JSON number is not a valid value (want a string)`},
		{name: "unknown action", body: `{"action":"restart","task_id":1}`, err: `unknown action "restart" (want start or finish)`},
		{name: "action case matters", body: `{"action":"START","task_id":1}`, err: `unknown action "START"`},
		{name: "empty action", body: `{"action":"","task_id":1}`, err: `unknown action ""`},
		{name: "project_id wrong type", body: `{"action":"start","task_id":1,"project_id":"p"}`, err: `field "project_id"`},
		{name: "over the limit", body: `{"action":"start","task_id":1,"pad":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, err: "body too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Decode(strings.NewReader(tt.body))
			if tt.err == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, ev)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
			if errors.Is(err, ErrBodyTooLarge) {
				assert.NotErrorIs(t, err, ErrBadRequest)
			} else {
				assert.ErrorIs(t, err, ErrBadRequest)
			}
		})
	}
}

func TestDecodeLimitIsInclusive(t *testing.T) {
	prefix, suffix := `{"action":"start","task_id":1,"pad":"`, `"}`
	body := prefix + strings.Repeat("x", MaxBodyBytes-len(prefix)-len(suffix)) + suffix
	require.Len(t, body, MaxBodyBytes)
	_, err := Decode(strings.NewReader(body))
	require.NoError(t, err)
	_, err = Decode(strings.NewReader(body + " "))
	require.ErrorIs(t, err, ErrBodyTooLarge)
}

// Behind http.MaxBytesReader the read error itself means "too large".
func TestDecodeMaxBytesReader(t *testing.T) {
	rec := httptest.NewRecorder()
	body := http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(strings.Repeat(" ", 100))), 10)
	_, err := Decode(body)
	require.ErrorIs(t, err, ErrBodyTooLarge)
}
