package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/webhook"
)

const testSecret = "0123456789abcdef0123456789abcdef"

// fakeLauncher records launches.
type fakeLauncher struct {
	mu   sync.Mutex
	reqs []webhook.Request
	err  error
}

func (l *fakeLauncher) Launch(_ context.Context, r webhook.Request) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, r)
	return l.err
}

func (l *fakeLauncher) requests() []webhook.Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]webhook.Request(nil), l.reqs...)
}

func testFunction(t *testing.T, env map[string]string, l webhook.Launcher) *function {
	t.Helper()
	base := map[string]string{
		"SEMAPHORE_WEB_ROOT":       "https://semaphore.example.com",
		"MAYFLY_WEBHOOK_SECRET":    testSecret,
		"AWS_LAMBDA_FUNCTION_NAME": "mayfly-test",
		"SEMAPHORE_TMP_PATH":       t.TempDir(),
	}
	for k, v := range env {
		if v == "" {
			delete(base, k)
			continue
		}
		base[k] = v
	}
	f := newFunction(base, discard())
	if l != nil {
		f.newLauncher = func(context.Context, string) (webhook.Launcher, error) { return l, nil }
	}
	return f
}

func urlEvent(method, rawPath, rawQuery, body string, b64 bool) []byte {
	ev := events.LambdaFunctionURLRequest{
		Version:        "2.0",
		RawPath:        rawPath,
		RawQueryString: rawQuery,
		Headers:        map[string]string{"content-type": "application/json"},
		Body:           body,
		RequestContext: events.LambdaFunctionURLRequestContext{
			RequestID: "req-1",
			TimeEpoch: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC).UnixMilli(),
			HTTP:      events.LambdaFunctionURLRequestContextHTTPDescription{Method: method, Path: rawPath, SourceIP: "192.0.2.1"},
		},
		IsBase64Encoded: b64,
	}
	if b64 {
		ev.Body = base64.StdEncoding.EncodeToString([]byte(body))
	}
	raw, _ := json.Marshal(ev)
	return raw
}

func handleURL(t *testing.T, f *function, raw []byte) events.LambdaFunctionURLResponse {
	t.Helper()
	out, err := f.Handle(t.Context(), raw)
	require.NoError(t, err)
	resp, ok := out.(events.LambdaFunctionURLResponse)
	require.True(t, ok, "got %T", out)
	return resp
}

func TestClassify(t *testing.T) {
	tests := []struct {
		raw  string
		want eventKind
	}{
		{string(urlEvent("POST", "/hook/x", "", "{}", false)), kindWebhook},
		{`{"mayfly_worker":{"task_id":1}}`, kindWorker},
		{`{"version":"1.0","requestContext":{"condition":"RetriesExhausted"},"requestPayload":{"mayfly_worker":{"task_id":1}}}`, kindFailure},
		{`{"requestContext":{"condition":"EventAgeExceeded"},"requestPayload":null}`, kindFailure},
		{`{"requestContext":{"http":{}}}`, kindUnknown},
		{`{"requestContext":{"condition":"RetriesExhausted"}}`, kindUnknown},
		{`{}`, kindUnknown},
		{`null`, kindUnknown},
		{`[1,2]`, kindUnknown},
		{`"text"`, kindUnknown},
		{`{"mayfly_worker":`, kindUnknown},
		{``, kindUnknown},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, classify([]byte(tt.raw)), tt.raw)
	}
}

func TestHandleUnknownEvent(t *testing.T) {
	f := testFunction(t, nil, &fakeLauncher{})
	for _, raw := range []string{`{}`, `null`, `[]`, `"x"`, `{"source":"aws.events"}`, `{"Records":[{"eventSource":"aws:sqs"}]}`} {
		out, err := f.Handle(t.Context(), json.RawMessage(raw))
		assert.ErrorIs(t, err, errUnknownEvent, raw)
		assert.Nil(t, out)
	}
}

func TestWebhookStart(t *testing.T) {
	l := &fakeLauncher{}
	f := testFunction(t, nil, l)
	resp := handleURL(t, f, urlEvent("POST", "/hook/"+testSecret, "", `{"action":"start","project_id":1,"task_id":5,"template_id":2,"runner_id":3}`, false))
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Empty(t, resp.Body)
	reqs := l.requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, 5, reqs[0].TaskID)
	assert.True(t, reqs[0].ReceivedAt.Equal(time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)), "the Function URL's arrival time, not the handler's")

	// The same start again in this sandbox is launched once.
	resp = handleURL(t, f, urlEvent("POST", "/hook/"+testSecret, "", `{"action":"start","task_id":5}`, false))
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Len(t, l.requests(), 1)
}

func TestWebhookAnswers(t *testing.T) {
	start := `{"action":"start","task_id":9}`
	tests := []struct {
		name     string
		env      map[string]string
		launch   error
		event    []byte
		status   int
		contains string
		launches int
	}{
		{"query secret", nil, nil, urlEvent("POST", "/", "secret="+testSecret, start, false), 204, "", 1},
		{"base64 body", nil, nil, urlEvent("POST", "/hook/"+testSecret, "", start, true), 204, "", 1},
		{"finish", nil, nil, urlEvent("POST", "/hook/"+testSecret, "", `{"action":"finish","task_id":9}`, false), 204, "", 0},
		{"wrong secret", nil, nil, urlEvent("POST", "/hook/wrong-secret-0123456789", "", start, false), 401, "secret", 0},
		{"no secret", nil, nil, urlEvent("POST", "/", "", start, false), 401, "secret", 0},
		{"GET", nil, nil, urlEvent("GET", "/hook/"+testSecret, "", "", false), 405, "POST", 0},
		{"malformed body", nil, nil, urlEvent("POST", "/hook/"+testSecret, "", `{"action":`, false), 400, "malformed", 0},
		{"bad base64", nil, nil, func() []byte {
			var ev map[string]any
			_ = json.Unmarshal(urlEvent("POST", "/hook/"+testSecret, "", "", true), &ev)
			ev["body"] = "%%%"
			b, _ := json.Marshal(ev)
			return b
		}(), 400, "base64", 0},
		{"unknown action", nil, nil, urlEvent("POST", "/hook/"+testSecret, "", `{"action":"pause","task_id":9}`, false), 400, "unknown action", 0},
		{"launch fails", nil, errors.New("AccessDeniedException"), urlEvent("POST", "/hook/"+testSecret, "", start, false), 502, "AccessDeniedException", 1},
		{"throttled", nil, webhook.ErrBusy, urlEvent("POST", "/hook/"+testSecret, "", start, false), 503, "capacity", 1},
		{"no secret configured", map[string]string{"MAYFLY_WEBHOOK_SECRET": ""}, nil, urlEvent("POST", "/hook/"+testSecret, "", start, false), 500, "MAYFLY_WEBHOOK_SECRET", 0},
		{"short secret", map[string]string{"MAYFLY_WEBHOOK_SECRET": "short"}, nil, urlEvent("POST", "/hook/short", "", start, false), 500, "at least", 0},
		{"no server URL", map[string]string{"SEMAPHORE_WEB_ROOT": ""}, nil, urlEvent("POST", "/hook/"+testSecret, "", start, false), 500, "web_host", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &fakeLauncher{err: tt.launch}
			resp := handleURL(t, testFunction(t, tt.env, l), tt.event)
			assert.Equal(t, tt.status, resp.StatusCode, resp.Body)
			if tt.contains != "" {
				assert.Contains(t, resp.Body, tt.contains)
				assert.Equal(t, "application/json", resp.Headers["Content-Type"])
				assert.True(t, json.Valid([]byte(resp.Body)))
			}
			assert.NotContains(t, resp.Body, testSecret)
			assert.Len(t, l.requests(), tt.launches)
		})
	}
}

func TestWebhookWithoutFunctionName(t *testing.T) {
	f := testFunction(t, map[string]string{"AWS_LAMBDA_FUNCTION_NAME": ""}, nil)
	f.newLauncher = func(context.Context, string) (webhook.Launcher, error) {
		t.Fatal("no launcher without a function name")
		return nil, nil
	}
	resp := handleURL(t, f, urlEvent("POST", "/hook/"+testSecret, "", `{"action":"start","task_id":1}`, false))
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.Contains(t, resp.Body, "AWS_LAMBDA_FUNCTION_NAME")
}

func TestWorkerBadEvents(t *testing.T) {
	f := testFunction(t, nil, nil)
	for _, raw := range []string{`{"mayfly_worker":{"task_id":0}}`, `{"mayfly_worker":{"task_id":"x"}}`, `{"mayfly_worker":null}`} {
		_, err := f.Handle(t.Context(), json.RawMessage(raw))
		assert.Error(t, err, raw)
	}
	// A worker without a token source says so.
	_, err := f.Handle(t.Context(), json.RawMessage(`{"mayfly_worker":{"task_id":3}}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MAYFLY_TOKEN_SSM_PARAMETER")
}

func TestPlanDeadline(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name            string
		left            time.Duration
		has             bool
		margin, grace   time.Duration
		want            deadlinePlan
		wantStopFromNow time.Duration
	}{
		{"no deadline", 0, false, 30 * time.Second, 15 * time.Second, deadlinePlan{grace: 15 * time.Second}, 0},
		{"lambda 15 min", 15 * time.Minute, true, 30 * time.Second, 15 * time.Second,
			deadlinePlan{margin: 30 * time.Second, grace: 10 * time.Second, shutdown: 15 * time.Second}, 15*time.Minute - 30*time.Second},
		{"short grace kept", 15 * time.Minute, true, 30 * time.Second, 2 * time.Second,
			deadlinePlan{margin: 30 * time.Second, grace: 2 * time.Second, shutdown: 15 * time.Second}, 15*time.Minute - 30*time.Second},
		{"margin too large", 10 * time.Second, true, 30 * time.Second, 15 * time.Second,
			deadlinePlan{margin: 5 * time.Second, grace: 5 * time.Second / 3, shutdown: 2500 * time.Millisecond, clamped: true}, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := planDeadline(now, now.Add(tt.left), tt.has, tt.margin, tt.grace)
			stopAt := p.stopAt
			p.stopAt = time.Time{}
			assert.Equal(t, tt.want, p)
			if tt.has {
				assert.Equal(t, tt.wantStopFromNow, stopAt.Sub(now))
				assert.Less(t, p.grace, p.shutdown, "the task dies before the report deadline")
				assert.LessOrEqual(t, p.shutdown, p.margin/2, "half the margin is left for returning")
			} else {
				assert.True(t, stopAt.IsZero())
			}
		})
	}
}

func TestDeadlineMargin(t *testing.T) {
	for in, want := range map[string]time.Duration{"": DefaultDeadlineMargin, "45s": 45 * time.Second, "bogus": DefaultDeadlineMargin, "-3s": DefaultDeadlineMargin} {
		f := testFunction(t, map[string]string{"MAYFLY_DEADLINE_MARGIN": in}, nil)
		got, err := f.deadlineMargin()
		assert.Equal(t, want, got, in)
		assert.Equal(t, in == "bogus" || in == "-3s", err != nil, in)
	}
}
