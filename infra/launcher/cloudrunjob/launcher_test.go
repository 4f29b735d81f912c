package cloudrunjob_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/infra/launcher/cloudrunjob"
	"github.com/mayfly-dev/mayfly/infra/launcher/cloudrunjob/cloudrunjobtest"
	"github.com/mayfly-dev/mayfly/runner/webhook"
)

// A start webhook becomes exactly one jobs:run call: the job's path, the
// per-task overrides, and the metadata server's token.
func TestWebhookStartsOneExecution(t *testing.T) {
	e := newEnv(t)
	hook := e.receiver(t)
	before := metadata.MissedHeader()

	require.Equal(t, http.StatusNoContent, post(t, hook, "start", 42))

	calls := e.api.Calls(":run")
	require.Len(t, calls, 1)
	c := calls[0]
	assert.Equal(t, http.MethodPost, c.Method)
	assert.Equal(t, "/v2/projects/p1/locations/europe-west1/jobs/mayfly-worker:run", c.Path)
	assert.Equal(t, "Bearer "+testToken, c.Auth)

	ex, ok := e.api.Execution(testJob + "/executions/mayfly-worker-00001")
	require.True(t, ok)
	receivedAt, err := time.Parse(time.RFC3339Nano, ex.Env["MAYFLY_RECEIVED_AT"])
	require.NoError(t, err, "MAYFLY_RECEIVED_AT is RFC 3339")
	assert.WithinDuration(t, time.Now(), receivedAt, time.Hour)
	assert.JSONEq(t, `{"overrides":{"containerOverrides":[{"env":[
		{"name":"MAYFLY_TASK_ID","value":"42"},
		{"name":"MAYFLY_RECEIVED_AT","value":"`+ex.Env["MAYFLY_RECEIVED_AT"]+`"}]}],
		"taskCount":1,"timeout":"3600s"}}`, string(c.Body))

	assert.Positive(t, metadata.TokenCalls(), "the token came from the metadata server")
	assert.Equal(t, before, metadata.MissedHeader(), "every metadata request carried Metadata-Flavor: Google")
}

// Without a task timeout the job's own applies; partial seconds round up.
func TestRunRequestTimeout(t *testing.T) {
	for _, tc := range []struct {
		timeout time.Duration
		want    string
	}{{0, ""}, {90 * time.Minute, "5400s"}, {1500 * time.Millisecond, "2s"}} {
		e := newEnv(t, func(o *cloudrunjob.Options) { o.TaskTimeout = tc.timeout })
		require.NoError(t, e.launcher.Launch(testCtx(t), webhook.Request{TaskID: 7}))
		calls := e.api.Calls(":run")
		require.Len(t, calls, 1)
		if tc.want == "" {
			assert.JSONEq(t, `{"overrides":{"containerOverrides":[{"env":[{"name":"MAYFLY_TASK_ID","value":"7"}]}],"taskCount":1}}`, string(calls[0].Body))
		} else {
			assert.Contains(t, string(calls[0].Body), `"timeout":"`+tc.want+`"`)
		}
	}
}

// An API error fails the launch: the webhook answers 502 with the reason,
// and a permanent error is not retried.
func TestAPIErrorAnswers502(t *testing.T) {
	e := newEnv(t)
	hook := e.receiver(t)
	e.api.FailRuns(cloudrunjobtest.Reply{Status: http.StatusForbidden,
		Body: `{"error":{"code":403,"status":"PERMISSION_DENIED","message":"Permission 'run.jobs.runWithOverrides' denied"}}`})

	assert.Equal(t, http.StatusBadGateway, post(t, hook, "start", 5))
	assert.Len(t, e.api.Calls(":run"), 1, "403 is not retried")

	err := e.launcher.Launch(testCtx(t), webhook.Request{TaskID: 6})
	require.NoError(t, err, "the next call succeeds")

	e.api.FailRuns(cloudrunjobtest.Reply{Status: http.StatusBadRequest,
		Body: `{"error":{"code":400,"status":"INVALID_ARGUMENT","message":"bad override"}}`})
	err = e.launcher.Launch(testCtx(t), webhook.Request{TaskID: 8})
	var apiErr *cloudrunjob.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Equal(t, "INVALID_ARGUMENT", apiErr.Status)
	assert.Contains(t, err.Error(), "bad override")
	assert.Contains(t, err.Error(), testJob)
}

// 503 is retried; the task starts once the API recovers.
func TestRetryOn503ThenSuccess(t *testing.T) {
	e := newEnv(t)
	hook := e.receiver(t)
	e.api.FailRuns(cloudrunjobtest.Reply{Status: 503}, cloudrunjobtest.Reply{Status: 503})

	assert.Equal(t, http.StatusNoContent, post(t, hook, "start", 9))
	assert.Len(t, e.api.Calls(":run"), 3)
}

// Every retryable status is retried, and the retries are bounded.
func TestRetriesAreBounded(t *testing.T) {
	for _, status := range []int{429, 500, 502, 503, 504} {
		e := newEnv(t, func(o *cloudrunjob.Options) { o.MaxAttempts = 3 })
		e.api.FailRuns(cloudrunjobtest.Reply{Status: status}, cloudrunjobtest.Reply{Status: status}, cloudrunjobtest.Reply{Status: status})
		err := e.launcher.Launch(testCtx(t), webhook.Request{TaskID: 1})
		require.Error(t, err, "status %d", status)
		assert.Contains(t, err.Error(), "attempt 3 of 3")
		assert.Len(t, e.api.Calls(":run"), 3, "status %d", status)
	}
}

// A connection that breaks after jobs:run was sent is not retried: the
// execution may have started, and a second one would race it for the task.
func TestNoRetryOnceRunWasSent(t *testing.T) {
	e := newEnv(t)
	e.api.FailRuns(cloudrunjobtest.Reply{Reset: true})
	err := e.launcher.Launch(testCtx(t), webhook.Request{TaskID: 3})
	require.ErrorIs(t, err, cloudrunjob.ErrMaybeStarted)
	assert.Len(t, e.api.Calls(":run"), 1)
}

// A transport error before anything was sent is retried.
func TestRetryUnsentTransportError(t *testing.T) {
	failing := &failFirst{n: 2, next: http.DefaultTransport}
	e := newEnv(t, func(o *cloudrunjob.Options) { o.HTTPClient = &http.Client{Transport: failing} })
	require.NoError(t, e.launcher.Launch(testCtx(t), webhook.Request{TaskID: 3}))
	assert.Len(t, e.api.Calls(":run"), 1)
	assert.Equal(t, 3, failing.calls)
}

// failFirst fails its first n round trips without sending them.
type failFirst struct {
	mu    sync.Mutex
	n     int
	calls int
	next  http.RoundTripper
}

func (f *failFirst) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.calls++
	fail := f.calls <= f.n
	f.mu.Unlock()
	if fail {
		return nil, errors.New("dial tcp: connection refused")
	}
	return f.next.RoundTrip(r)
}

// Repeated start webhooks for one task, concurrent or not, start one execution.
func TestRepeatedStartsLaunchOnce(t *testing.T) {
	e := newEnv(t)
	hook := e.receiver(t)
	var wg sync.WaitGroup
	statuses := make([]int, 10)
	for i := range statuses {
		wg.Go(func() { statuses[i] = post(t, hook, "start", 11) })
	}
	wg.Wait()
	for _, s := range statuses {
		assert.Equal(t, http.StatusNoContent, s)
	}
	assert.Len(t, e.api.Calls(":run"), 1)
}

// finish cancels the task's execution when it is still running after the grace.
func TestFinishCancelsRunningExecution(t *testing.T) {
	e := newEnv(t, func(o *cloudrunjob.Options) { o.FinishGrace, o.FinishPoll = 3*time.Second, time.Second })
	hook := e.receiver(t)
	require.Equal(t, http.StatusNoContent, post(t, hook, "start", 21))
	require.Equal(t, http.StatusNoContent, post(t, hook, "finish", 21))

	gets := 0
	for _, c := range e.api.Calls("") {
		if c.Method == http.MethodGet {
			gets++
			assert.Equal(t, "Bearer "+testToken, c.Auth)
		}
	}
	assert.Equal(t, 4, gets, "polled once at once and once per FinishPoll of the grace")
	cancels := e.api.Calls(":cancel")
	require.Len(t, cancels, 1)
	assert.Equal(t, "/v2/"+testJob+"/executions/mayfly-worker-00001:cancel", cancels[0].Path)
	assert.Equal(t, "Bearer "+testToken, cancels[0].Auth)
	ex, _ := e.api.Execution(testJob + "/executions/mayfly-worker-00001")
	assert.True(t, ex.Cancelled)

	// A second finish has nothing left to do.
	require.NoError(t, e.launcher.Finish(testCtx(t), 21))
	assert.Len(t, e.api.Calls(":cancel"), 1)
}

// An execution that ended on its own (the usual case: Semaphore sends
// finish after the runner reported) is left alone.
func TestFinishLeavesEndedExecution(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.launcher.Launch(testCtx(t), webhook.Request{TaskID: 4}))
	e.api.Complete(testJob + "/executions/mayfly-worker-00001")
	require.NoError(t, e.launcher.Finish(testCtx(t), 4))
	assert.Empty(t, e.api.Calls(":cancel"))
}

// An execution that ends between the last poll and the cancel is fine too.
func TestFinishCancelOfEndedExecutionIsNoError(t *testing.T) {
	e := newEnv(t, func(o *cloudrunjob.Options) { o.FinishGrace = -1 })
	require.NoError(t, e.launcher.Launch(testCtx(t), webhook.Request{TaskID: 4}))
	name := testJob + "/executions/mayfly-worker-00001"
	e.api.Complete(name)
	require.NoError(t, e.launcher.Finish(testCtx(t), 4))
	require.Len(t, e.api.Calls(":cancel"), 1)
	ex, _ := e.api.Execution(name)
	assert.False(t, ex.Cancelled)
}

// finish for a task this instance never launched calls nothing.
func TestFinishUnknownTask(t *testing.T) {
	e := newEnv(t)
	hook := e.receiver(t)
	assert.Equal(t, http.StatusNoContent, post(t, hook, "finish", 99))
	assert.Empty(t, e.api.Calls(""))
}

func TestNewRejectsBadOptions(t *testing.T) {
	for name, o := range map[string]cloudrunjob.Options{
		"short job name":   {Job: "mayfly-worker"},
		"service name":     {Job: "projects/p/locations/l/services/s"},
		"trailing slash":   {Job: testJob + "/"},
		"negative timeout": {Job: testJob, TaskTimeout: -time.Second},
		"over 168h":        {Job: testJob, TaskTimeout: 169 * time.Hour},
		"endpoint":         {Job: testJob, Endpoint: "run.googleapis.com"},
	} {
		_, err := cloudrunjob.New(testCtx(t), o)
		assert.Error(t, err, name)
		if err != nil {
			assert.True(t, strings.HasPrefix(err.Error(), "cloudrunjob: "), err.Error())
		}
	}
}
