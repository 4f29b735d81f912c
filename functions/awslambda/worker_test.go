package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/infra/secrets/secretstest"
	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// server is a Semaphore stand-in whose runner webhook always answers 204,
// so that tasks are assigned, and a repository with the given scripts.
type server struct {
	srv    *semaphoretest.Server
	runner int
	token  string
	repo   string
}

func newServer(t *testing.T, variant semaphoretest.Variant, scripts map[string]string) *server {
	t.Helper()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(hook.Close)
	srv := semaphoretest.New(semaphoretest.Options{Variant: variant})
	t.Cleanup(srv.Close)
	id, token := srv.AddRunner(semaphoretest.RunnerSpec{Active: true, Webhook: hook.URL + "/hook/x"})
	repo := filepath.Join(t.TempDir(), "repo")
	_, err := fixture.GitRepo(repo, scripts)
	require.NoError(t, err)
	return &server{srv: srv, runner: id, token: token, repo: repo}
}

// task adds a bash task and waits until it is assigned (webhook answered).
func (s *server) task(t *testing.T, script string) int {
	t.Helper()
	id := s.srv.AddTask(s.runner, fixture.ShellJob("bash", "file://"+s.repo, script), fixture.NoneKey())
	_, err := s.srv.WaitTask(testCtx(t), id, func(i semaphoretest.TaskInfo) bool { return i.Assigned })
	require.NoError(t, err)
	return id
}

func (s *server) env() map[string]string {
	return map[string]string{"SEMAPHORE_WEB_ROOT": s.srv.URL(), "SEMAPHORE_RUNNER_TOKEN": s.token}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func workerEvent(id int) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"mayfly_worker":{"task_id":%d,"received_at":%q}}`, id, time.Now().UTC().Format(time.RFC3339Nano)))
}

func TestWorkerRunsTask(t *testing.T) {
	s := newServer(t, semaphoretest.V2026, map[string]string{"hello.sh": "echo hello from the worker\necho home=$HOME\n"})
	id := s.task(t, "hello.sh")
	f := testFunction(t, s.env(), nil)
	out, err := f.Handle(testCtx(t), workerEvent(id))
	require.NoError(t, err)
	assert.Equal(t, workerResult{TaskID: id, Status: "success"}, out)
	info := s.srv.Task(id)
	assert.Equal(t, api.StatusSuccess, info.Status)
	assert.Contains(t, strings.Join(s.srv.Messages(id), "\n"), "hello from the worker")
	assert.Zero(t, s.srv.Runners()[0].StartedAt, "one-off workers never send X-Runner-Started-At")
}

func TestWorkerStopsBeforeDeadline(t *testing.T) {
	s := newServer(t, semaphoretest.V2026, map[string]string{"slow.sh": "echo begin\nsleep 300\n"})
	id := s.task(t, "slow.sh")
	env := s.env()
	env["MAYFLY_DEADLINE_MARGIN"] = "3s"
	f := testFunction(t, env, nil)
	ctx, cancel := context.WithTimeout(testCtx(t), 8*time.Second)
	defer cancel()
	out, err := f.Handle(ctx, workerEvent(id))
	require.NoError(t, err)
	assert.Equal(t, workerResult{TaskID: id, Status: "error"}, out)
	assert.NoError(t, ctx.Err(), "reported before the invocation deadline")
	assert.Equal(t, api.StatusError, s.srv.Task(id).Status)
	assert.Contains(t, strings.Join(s.srv.Messages(id), "\n"),
		"Task interrupted: runner shutting down: stopped: Lambda time limit reached; run templates longer than ~14 minutes on Cloud Run or a local receiver")
}

func TestWorkerTaskNotOffered(t *testing.T) {
	s := newServer(t, semaphoretest.V2026, map[string]string{"a.sh": "true\n"})
	env := s.env()
	env["MAYFLY_TASK_WAIT_TIMEOUT"] = "1s"
	out, err := testFunction(t, env, nil).Handle(testCtx(t), workerEvent(999))
	require.NoError(t, err, "a duplicate delivery must not send a failure record")
	assert.Equal(t, 999, out.(workerResult).TaskID)
	assert.NotEmpty(t, out.(workerResult).Note)
}

func TestWorkerUnauthorizedReturnsError(t *testing.T) {
	s := newServer(t, semaphoretest.V2026, map[string]string{"a.sh": "true\n"})
	id := s.task(t, "a.sh")
	env := s.env()
	env["SEMAPHORE_RUNNER_TOKEN"] = "wrong-token"
	_, err := testFunction(t, env, nil).Handle(testCtx(t), workerEvent(id))
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("task %d", id))
}

func destination(t *testing.T, condition string, payload any, response string) json.RawMessage {
	t.Helper()
	rec := map[string]any{
		"version":   "1.0",
		"timestamp": "2026-05-06T07:08:09.123Z",
		"requestContext": map[string]any{
			"requestId":              "5c1f7b9a-0000-4000-8000-000000000000",
			"functionArn":            "arn:aws:lambda:eu-west-1:123456789012:function:mayfly-test:$LATEST",
			"condition":              condition,
			"approximateInvokeCount": 1,
		},
		"requestPayload":  payload,
		"responseContext": map[string]any{"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
	}
	if response != "" {
		rec["responsePayload"] = json.RawMessage(response)
	}
	b, err := json.Marshal(rec)
	require.NoError(t, err)
	return b
}

func TestFailureReportsError(t *testing.T) {
	for _, variant := range []semaphoretest.Variant{semaphoretest.V2024, semaphoretest.V2025, semaphoretest.V2026} {
		t.Run(variant.String(), func(t *testing.T) {
			s := newServer(t, variant, map[string]string{"a.sh": "true\n"})
			id := s.task(t, "a.sh")
			f := testFunction(t, s.env(), nil)
			rec := destination(t, "RetriesExhausted", json.RawMessage(workerEvent(id)),
				`{"errorMessage":"2026-05-06T07:23:09.000Z 5c1f7b9a Task timed out after 900.00 seconds","errorType":"Sandbox.Timedout"}`)
			out, err := f.Handle(testCtx(t), rec)
			require.NoError(t, err)
			assert.Equal(t, failureResult{TaskID: id, Reported: true}, out)
			info := s.srv.Task(id)
			assert.Equal(t, api.StatusError, info.Status)
			msgs := s.srv.Messages(id)
			require.NotEmpty(t, msgs)
			assert.Contains(t, msgs, FailurePrefix+"RetriesExhausted: 2026-05-06T07:23:09.000Z 5c1f7b9a Task timed out after 900.00 seconds")
			assert.Contains(t, strings.Join(msgs, "\n"), "longer than ~14 minutes")
		})
	}
}

func TestFailureReasons(t *testing.T) {
	tests := []struct {
		cond, resp, want string
	}{
		{"EventAgeExceeded", "", "EventAgeExceeded"},
		{"RetriesExhausted", `{"errorType":"Runtime.ExitError"}`, "RetriesExhausted: Runtime.ExitError"},
		{"RetriesExhausted", `{"errorMessage":"mayfly: task 3: boom\nmore","errorType":"*errors.errorString"}`, "RetriesExhausted: mayfly: task 3: boom"},
		{"RetriesExhausted", `"plain text"`, "RetriesExhausted: plain text"},
		{"RetriesExhausted", `null`, "RetriesExhausted"},
		{"RetriesExhausted", `[1]`, "RetriesExhausted"},
	}
	for _, tt := range tests {
		var rec destinationRecord
		rec.RequestContext.Condition = tt.cond
		rec.ResponsePayload = json.RawMessage(tt.resp)
		assert.Equal(t, tt.want, failureReason(rec), tt.resp)
	}
	var rec destinationRecord
	rec.RequestContext.Condition = "EventAgeExceeded"
	assert.Contains(t, failureHint(rec, "EventAgeExceeded"), "reserved concurrency")
	long := strings.Repeat("x", 2000)
	assert.Len(t, oneLine(long, 500), 500+len("…"))
}

func TestFailureNeverReturnsAnError(t *testing.T) {
	s := newServer(t, semaphoretest.V2026, map[string]string{"a.sh": "true\n"})
	id := s.task(t, "a.sh")
	tests := map[string]struct {
		env map[string]string
		raw json.RawMessage
	}{
		"unknown payload":    {s.env(), destination(t, "RetriesExhausted", map[string]any{"foo": 1}, "")},
		"failure of failure": {s.env(), destination(t, "RetriesExhausted", json.RawMessage(destination(t, "RetriesExhausted", json.RawMessage(workerEvent(id)), "")), "")},
		"null payload":       {s.env(), destination(t, "EventAgeExceeded", nil, "")},
		"wrong token":        {map[string]string{"SEMAPHORE_WEB_ROOT": s.srv.URL(), "SEMAPHORE_RUNNER_TOKEN": "wrong"}, destination(t, "RetriesExhausted", json.RawMessage(workerEvent(id)), "")},
		"no token source":    {map[string]string{"SEMAPHORE_WEB_ROOT": s.srv.URL()}, destination(t, "RetriesExhausted", json.RawMessage(workerEvent(id)), "")},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := testFunction(t, tt.env, nil).Handle(testCtx(t), tt.raw)
			require.NoError(t, err)
			assert.False(t, out.(failureResult).Reported)
		})
	}
	assert.Equal(t, api.StatusStarting, s.srv.Task(id).Status)
}

// A token rotated by `mayfly register` while a sandbox kept the old one:
// the 401 makes the worker read the parameter again and retry once.
func TestWorkerRereadsRotatedToken(t *testing.T) {
	s := newServer(t, semaphoretest.V2026, map[string]string{"a.sh": "echo ok\n"})
	ssm := secretstest.New()
	t.Cleanup(ssm.Close)
	ssm.PutParameter("/p", "stale-token")
	env := map[string]string{"SEMAPHORE_WEB_ROOT": s.srv.URL(), "MAYFLY_TOKEN_SSM_PARAMETER": "/p"}
	f := testFunction(t, env, nil)
	f.awsConfig = func(context.Context) (aws.Config, error) {
		return aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(ssm.URL()),
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")}, nil
	}

	id := s.task(t, "a.sh")
	_, err := f.Handle(testCtx(t), workerEvent(id))
	require.Error(t, err, "unchanged token: no retry")
	assert.Len(t, ssm.Calls(), 2, "read, then read again after the 401")

	ssm.PutParameter("/p", s.token)
	out, err := f.Handle(testCtx(t), workerEvent(id))
	require.NoError(t, err)
	assert.Equal(t, workerResult{TaskID: id, Status: "success"}, out)
	assert.Len(t, ssm.Calls(), 3)
}
