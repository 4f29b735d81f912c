package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/infra/launcher/awslambda"
	"github.com/mayfly-dev/mayfly/infra/launcher/awslambda/lambdatest"
	"github.com/mayfly-dev/mayfly/infra/secrets/secretstest"
	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

const tokenParameter = "/mayfly/runner-token"

// lambdaEnv is the whole chain on this machine: Semaphore (semaphoretest),
// a Function URL (an httptest proxy turning the runner webhook into a
// Function URL event for the emulator), the bootstrap under the emulator,
// and stand-ins for the Lambda Invoke API and SSM.
type lambdaEnv struct {
	srv    *semaphoretest.Server
	ssm    *secretstest.Server
	lam    *lambdatest.Server
	rie    *emulator
	runner int
	token  string
	repo   string
	dir    string
}

func newLambdaEnv(t *testing.T, extraEnv map[string]string, scripts map[string]string) *lambdaEnv {
	t.Helper()
	e := &lambdaEnv{dir: t.TempDir()}
	e.lam = lambdatest.New()
	t.Cleanup(e.lam.Close)
	e.ssm = secretstest.New()
	t.Cleanup(e.ssm.Close)

	// The Function URL: semaphoretest calls it like Semaphore calls a webhook.
	var rie *emulator
	url := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		status, out, err := rie.invoke(r.Context(), functionURLEvent(r, body))
		if err != nil || status != http.StatusOK {
			http.Error(w, fmt.Sprintf("emulator: %d %v %s", status, err, out), http.StatusBadGateway)
			return
		}
		var resp events.LambdaFunctionURLResponse
		if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == 0 {
			http.Error(w, "not a Function URL response: "+string(out), http.StatusBadGateway)
			return
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.WriteString(w, resp.Body)
	}))
	t.Cleanup(url.Close)

	env := baseEnv(t)
	env["AWS_ENDPOINT_URL_LAMBDA"] = e.lam.URL()
	env["AWS_ENDPOINT_URL_SSM"] = e.ssm.URL()
	env["MAYFLY_TOKEN_SSM_PARAMETER"] = tokenParameter
	env["MAYFLY_WEBHOOK_SECRET"] = testSecret
	env["MAYFLY_DEADLINE_MARGIN"] = "30s"
	for k, v := range extraEnv {
		env[k] = v
	}
	e.srv = semaphoretest.New(semaphoretest.Options{Variant: semaphoretest.V2026})
	env["SEMAPHORE_WEB_ROOT"] = e.srv.URL()
	e.rie = startEmulator(t, env)
	rie = e.rie
	// Registered after the emulator's cleanup, so it runs first: no webhook
	// call is left waiting on the emulator.
	t.Cleanup(e.srv.Close)

	e.runner, e.token = e.srv.AddRunner(semaphoretest.RunnerSpec{Active: true, Webhook: url.URL + "/hook/" + testSecret})
	e.ssm.PutParameter(tokenParameter, e.token)
	if scripts != nil {
		e.repo = filepath.Join(e.dir, "repo")
		_, err := fixture.GitRepo(e.repo, scripts)
		require.NoError(t, err)
	}
	return e
}

// functionURLEvent is the event Lambda makes of an HTTP request to a Function URL.
func functionURLEvent(r *http.Request, body []byte) []byte {
	headers := map[string]string{}
	for k := range r.Header {
		headers[strings.ToLower(k)] = r.Header.Get(k)
	}
	ev := events.LambdaFunctionURLRequest{
		Version:        "2.0",
		RawPath:        r.URL.EscapedPath(),
		RawQueryString: r.URL.RawQuery,
		Headers:        headers,
		Body:           string(body),
		RequestContext: events.LambdaFunctionURLRequestContext{
			RequestID: "url-" + strconv.FormatInt(time.Now().UnixNano(), 36),
			TimeEpoch: time.Now().UnixMilli(),
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: r.UserAgent(),
			},
		},
	}
	raw, _ := json.Marshal(ev)
	return raw
}

// startTask adds a bash task; Semaphore calls the webhook (through the
// emulator), the bootstrap invokes itself (the Lambda stand-in records it),
// and the task is assigned. It returns the task id and the worker payload.
func (e *lambdaEnv) startTask(t *testing.T, script string) (int, []byte) {
	t.Helper()
	before := len(e.lam.Invocations())
	id := e.srv.AddTask(e.runner, fixture.ShellJob("bash", "file://"+e.repo, script), fixture.NoneKey())
	info, err := e.srv.WaitTask(testCtx(t), id, func(i semaphoretest.TaskInfo) bool { return i.Assigned || i.Status.Finished() })
	require.NoError(t, err)
	require.True(t, info.Assigned, "the webhook was refused: %+v", info)
	calls := e.lam.Invocations()
	require.Len(t, calls, before+1)
	inv := calls[before]
	assert.Equal(t, "mayfly-test", inv.FunctionName, "self-invoke by the unqualified name")
	assert.Equal(t, "Event", inv.InvocationType)
	taskID, receivedAt, warn, err := awslambda.DecodeWorkerEvent(inv.Payload)
	require.NoError(t, err)
	require.NoError(t, warn)
	assert.Equal(t, id, taskID)
	assert.False(t, receivedAt.IsZero())
	return id, inv.Payload
}

// invokeJSON invokes the emulator and decodes a successful result into out.
func (e *lambdaEnv) invokeJSON(t *testing.T, payload []byte, out any) {
	t.Helper()
	status, body, err := e.rie.invoke(testCtx(t), payload)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.NotContains(t, string(body), "Task timed out", "the handler must return before the emulator's deadline")
	require.NotContains(t, string(body), "errorMessage", "%s", body)
	require.NoError(t, json.Unmarshal(body, out), "%s", body)
}

// assertNoSecretsLogged checks the bootstrap's output for the token and the webhook secret.
func (e *lambdaEnv) assertNoSecretsLogged(t *testing.T) {
	out := e.rie.out.String()
	assert.NotContains(t, out, e.token)
	assert.NotContains(t, out, testSecret)
}

func TestRIEWebhookToWorker(t *testing.T) {
	e := newLambdaEnv(t, nil, map[string]string{"hello.sh": "echo hello from lambda\necho home=$HOME\n"})
	id, payload := e.startTask(t, "hello.sh")

	var res workerResult
	e.invokeJSON(t, payload, &res)
	assert.Equal(t, workerResult{TaskID: id, Status: "success"}, res)
	info, err := e.srv.WaitFinished(testCtx(t), id)
	require.NoError(t, err)
	assert.Equal(t, api.StatusSuccess, info.Status)
	assert.Contains(t, strings.Join(e.srv.Messages(id), "\n"), "hello from lambda")

	calls := e.ssm.Calls()
	require.Len(t, calls, 1, "the token is read once")
	assert.Equal(t, secretstest.Call{Op: "GetParameter", Name: tokenParameter, WithDecryption: true}, calls[0])

	// A second task in the same (warm) sandbox: no second SSM read.
	id2, payload2 := e.startTask(t, "hello.sh")
	e.invokeJSON(t, payload2, &res)
	assert.Equal(t, workerResult{TaskID: id2, Status: "success"}, res)
	assert.Len(t, e.ssm.Calls(), 1)
	assert.Contains(t, e.rie.out.String(), `"msg":"task reported"`, "JSON runner logs")
	e.assertNoSecretsLogged(t)
}

func TestRIEWebhookAnswers(t *testing.T) {
	e := newLambdaEnv(t, nil, nil)
	urlResp := func(path, body string) events.LambdaFunctionURLResponse {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		var resp events.LambdaFunctionURLResponse
		e.invokeJSON(t, functionURLEvent(r, []byte(body)), &resp)
		return resp
	}
	resp := urlResp("/hook/"+testSecret, `{"action":"start","project_id":1,"task_id":41,"template_id":1,"runner_id":1}`)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	calls := e.lam.Invocations()
	require.Len(t, calls, 1)
	assert.Equal(t, "mayfly-test", calls[0].FunctionName)
	assert.Equal(t, "Event", calls[0].InvocationType)
	id, _, _, err := awslambda.DecodeWorkerEvent(calls[0].Payload)
	require.NoError(t, err)
	assert.Equal(t, 41, id)

	e.lam.Fail(http.StatusInternalServerError, "ServiceException")
	resp = urlResp("/hook/"+testSecret, `{"action":"start","task_id":42}`)
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.Contains(t, resp.Body, "could not launch")
	assert.Len(t, e.lam.Invocations(), 2, "one attempt: a failed async invoke may have been queued")

	e.lam.SetResponder(nil)
	resp = urlResp("/hook/"+testSecret, `{"action":"finish","task_id":41}`)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	resp = urlResp("/hook/not-the-secret-0123456789", `{"action":"start","task_id":43}`)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp = urlResp("/hook/"+testSecret, `{"action":"start","task_id":`)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Len(t, e.lam.Invocations(), 2)

	// An event of no known shape is an invocation error, and the sandbox lives on.
	status, body, err := e.rie.invoke(testCtx(t), []byte(`{"detail-type":"Scheduled Event"}`))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), "unknown event")
	resp = urlResp("/?secret="+testSecret, `{"action":"start","task_id":44}`)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	e.assertNoSecretsLogged(t)
}

func TestRIEDeadline(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	script := fmt.Sprintf("echo $$ > %q\nsleep 300 &\necho $! >> %q\necho started\nwait\n", pids, pids)
	e := newLambdaEnv(t, map[string]string{
		"AWS_LAMBDA_FUNCTION_TIMEOUT": "12",
		"MAYFLY_DEADLINE_MARGIN":      "4s",
	}, map[string]string{"slow.sh": script})
	id, payload := e.startTask(t, "slow.sh")

	var res workerResult
	e.invokeJSON(t, payload, &res) // fails if the emulator's 12 s deadline came first
	assert.Equal(t, workerResult{TaskID: id, Status: "error"}, res)
	info := e.srv.Task(id)
	assert.Equal(t, api.StatusError, info.Status)
	log := strings.Join(e.srv.Messages(id), "\n")
	assert.Contains(t, log, "started")
	assert.Contains(t, log, "Task interrupted: runner shutting down: stopped: Lambda time limit reached; run templates longer than ~14 minutes on Cloud Run or a local receiver")

	b, err := os.ReadFile(pids)
	require.NoError(t, err)
	var alive []int
	for range 100 { // the group was signalled before the report; let the kernel finish
		alive = alive[:0]
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			require.NoError(t, err)
			if fixture.Alive(pid) {
				alive = append(alive, pid)
			}
		}
		if len(alive) == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	assert.Empty(t, alive, "processes of the task survived the deadline stop")
	assert.Contains(t, e.rie.out.String(), "Lambda time limit near")
}

func TestRIEFailureRecord(t *testing.T) {
	e := newLambdaEnv(t, nil, map[string]string{"a.sh": "true\n"})
	id, payload := e.startTask(t, "a.sh")
	rec := destination(t, "RetriesExhausted", json.RawMessage(payload),
		`{"errorMessage":"2026-05-06T07:23:09.000Z 5c1f7b9a Task timed out after 900.00 seconds"}`)
	var res failureResult
	e.invokeJSON(t, rec, &res)
	assert.Equal(t, failureResult{TaskID: id, Reported: true}, res)
	info, err := e.srv.WaitFinished(testCtx(t), id)
	require.NoError(t, err)
	assert.Equal(t, api.StatusError, info.Status)
	assert.Contains(t, e.srv.Messages(id), FailurePrefix+"RetriesExhausted: 2026-05-06T07:23:09.000Z 5c1f7b9a Task timed out after 900.00 seconds")

	// A record that is not about a worker still succeeds (no loop).
	e.invokeJSON(t, destination(t, "EventAgeExceeded", map[string]any{"x": 1}, ""), &res)
	assert.False(t, res.Reported)
	e.assertNoSecretsLogged(t)
}
