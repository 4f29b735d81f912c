package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// serveEnv is a test environment with a webhook secret in the config, a
// reserved serve socket, and a runner whose webhook is that socket.
type serveEnv struct {
	*testEnv
	runner int
	sock   *os.File
	base   string
}

func newServeEnv(t *testing.T, variant semaphoretest.Variant, extraConfig, webhookSecret string) *serveEnv {
	t.Helper()
	e := newEnv(t, variant, fmt.Sprintf(`, "webhook_secret": %q`, hookSecret)+extraConfig)
	sock, base := serveListener(t)
	runner := e.useRunner(t, semaphoretest.RunnerSpec{Name: "serve", Active: true,
		Webhook: base + "/hook/" + webhookSecret})
	return &serveEnv{testEnv: e, runner: runner, sock: sock, base: base}
}

func (e *serveEnv) start(t *testing.T, args ...string) *serveProc {
	t.Helper()
	return startServe(t, testCtx(t), e.config, e.sock, e.base, args...)
}

// The acceptance path: Semaphore calls the webhook, serve launches a child,
// the child runs the task to success and the log arrives.
func TestServeRunsTaskFromWebhook(t *testing.T) {
	for name, variant := range variants {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			e := newServeEnv(t, variant, "", hookSecret)
			s := e.start(t)

			job := fixture.ShellJob("bash", "file://"+e.repo, "hello.sh")
			args := `["from","webhook"]`
			job.Template.Arguments = &args
			id := e.srv.AddTask(e.runner, job, fixture.NoneKey())
			info, err := e.srv.WaitFinished(ctx, id)
			require.NoError(t, err, s.stderr.String())
			assert.Equal(t, api.StatusSuccess, info.Status, strings.Join(e.srv.Messages(id), "\n"))
			assert.Contains(t, e.srv.Messages(id), "args: from webhook")
			assert.Contains(t, info.History, api.StatusRunning)
			require.NotEmpty(t, info.WebhookCalls)
			assert.Equal(t, semaphoretest.WebhookCall{Action: "start", StatusCode: 204}, info.WebhookCalls[0])
			for _, m := range e.srv.Messages(id) {
				assert.NotContains(t, m, "[mayfly]", "no error report for a task that succeeded")
			}

			// finish (sent after the final status) and the runner's exit.
			_, err = e.srv.WaitTask(ctx, id, func(i semaphoretest.TaskInfo) bool { return len(i.WebhookCalls) == 2 })
			require.NoError(t, err)
			assert.Equal(t, semaphoretest.WebhookCall{Action: "finish", StatusCode: 204}, e.srv.Task(id).WebhookCalls[1])
			s.waitMetric(t, `mayfly_runner_exits_total{outcome="success"}`, 1)
			assert.Equal(t, 1.0, s.metric(t, `mayfly_webhook_requests_total{action="start",result="accepted"}`))
			assert.Equal(t, 1.0, s.metric(t, `mayfly_webhook_requests_total{action="finish",result="finished"}`))
			assert.Equal(t, 1.0, s.metric(t, `mayfly_launches_total{result="started"}`))
			assert.Equal(t, 1.0, s.metric(t, `mayfly_webhook_to_process_start_seconds_count`))
			assert.Equal(t, 0.0, s.metric(t, `mayfly_runners_running`))
			code, body := s.get(t, "/healthz")
			assert.Equal(t, 200, code)
			assert.Equal(t, "ok\n", body)

			assert.Equal(t, 0, s.stop(t), s.stderr.String())
			logs := s.stderr.String()
			assert.Contains(t, logs, "/hook/****")
			assert.Contains(t, logs, "webhook receiver listening")
			assert.Contains(t, logs, fmt.Sprintf("task=%d", id), "child output is logged with its task")
			assert.NotContains(t, logs+s.stdout.String(), hookSecret, "the secret never reaches the log")
		})
	}
}

// A forged secret: 401, nothing runs, the task fails at once in Semaphore.
func TestServeForgedSecret(t *testing.T) {
	ctx := testCtx(t)
	e := newServeEnv(t, semaphoretest.V2026, "", "forged-secret-0000000000000000000")
	s := e.start(t)
	marker := filepath.Join(e.dir, "ran")
	job := fixture.ShellJob("bash", "file://"+e.repo, "mark.sh")
	args := fmt.Sprintf(`[%q]`, marker)
	job.Template.Arguments = &args
	id := e.srv.AddTask(e.runner, job, fixture.NoneKey())
	info, err := e.srv.WaitFinished(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, api.StatusError, info.Status)
	assert.Contains(t, e.srv.Messages(id), "Failed to run task: webhook returned incorrect status")
	assert.Equal(t, []semaphoretest.WebhookCall{{Action: "start", StatusCode: 401}}, info.WebhookCalls)
	assert.NotContains(t, info.History, api.StatusRunning)
	assert.Equal(t, 1.0, s.metric(t, `mayfly_webhook_requests_total{action="",result="unauthorized"}`))
	assert.Equal(t, -1.0, s.metric(t, `mayfly_launches_total{result="started"}`), "nothing launched")
	assert.NoFileExists(t, marker)
	assert.Equal(t, 0, s.stop(t))
	assert.Contains(t, s.stderr.String(), "wrong or missing secret")
}

// Ten duplicate start calls for one task launch one runner, and the task
// runs once.
func TestServeDuplicateStarts(t *testing.T) {
	ctx := testCtx(t)
	e := newServeEnv(t, semaphoretest.V2026, "", hookSecret)
	repo := filepath.Join(e.dir, "count-repo")
	_, err := fixture.GitRepo(repo, map[string]string{"count.sh": "echo ran >> \"$1\"\n"})
	require.NoError(t, err)
	s := e.start(t)

	counter := filepath.Join(e.dir, "count")
	job := fixture.ShellJob("bash", "file://"+repo, "count.sh")
	args := fmt.Sprintf(`[%q]`, counter)
	job.Template.Arguments = &args
	id := e.srv.AddTask(e.runner, job, fixture.NoneKey())
	body := fmt.Sprintf(`{"action":"start","project_id":1,"task_id":%d,"template_id":1,"runner_id":%d}`, id, e.runner)
	var wg sync.WaitGroup
	codes := make([]int, 10)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = httpDo(t, hookURL(e.base), "POST", body)
		}()
	}
	wg.Wait()
	for _, c := range codes {
		assert.Equal(t, 204, c)
	}
	info, err := e.srv.WaitFinished(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, api.StatusSuccess, info.Status)
	s.waitMetric(t, `mayfly_runner_exits_total{outcome="success"}`, 1)
	runs, err := os.ReadFile(counter)
	require.NoError(t, err)
	assert.Equal(t, "ran\n", string(runs), "the task ran exactly once")
	assert.Equal(t, 1.0, s.metric(t, `mayfly_webhook_requests_total{action="start",result="accepted"}`))
	assert.Equal(t, 10.0, s.metric(t, `mayfly_webhook_requests_total{action="start",result="duplicate"}`))
	assert.Equal(t, 1.0, s.metric(t, `mayfly_launches_total{result="started"}`))
}

// A runner SIGKILLed mid-task: the task ends in error with the reason in its
// log, not stuck in running, and the task's own processes are gone too.
func TestServeKilledRunner(t *testing.T) {
	ctx := testCtx(t)
	e := newServeEnv(t, semaphoretest.V2026, "", hookSecret)
	repo := filepath.Join(e.dir, "slow-repo")
	_, err := fixture.GitRepo(repo, map[string]string{"slow.sh": "echo started\nsleep 300\n"})
	require.NoError(t, err)
	s := e.start(t)

	id := e.srv.AddTask(e.runner, fixture.ShellJob("bash", "file://"+repo, "slow.sh"), fixture.NoneKey())
	_, err = e.srv.WaitTask(ctx, id, func(i semaphoretest.TaskInfo) bool {
		for _, r := range i.Log {
			if r.Message == "started" {
				return true
			}
		}
		return false
	})
	require.NoError(t, err, s.stderr.String())
	children := processes(func(ppid, _ int) bool { return ppid == s.cmd.Process.Pid })
	require.Len(t, children, 1, "one runner process")
	runner := children[0]
	require.NotEmpty(t, processes(func(_, sid int) bool { return sid == runner && sid != 0 }))

	require.NoError(t, syscall.Kill(runner, syscall.SIGKILL))
	info, err := e.srv.WaitFinished(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, api.StatusError, info.Status)
	log := strings.Join(e.srv.Messages(id), "\n")
	assert.Contains(t, log, "[mayfly] runner process exited (killed by signal SIGKILL) before it reported a final status")
	assert.Contains(t, log, "[mayfly] last lines of the runner's log:")
	waitUntil(t, "the task's processes to be killed", func() bool {
		return len(processes(func(_, sid int) bool { return sid == runner })) == 0
	})
	s.waitMetric(t, `mayfly_runner_exits_total{outcome="lost"}`, 1)
	assert.Equal(t, 1.0, s.metric(t, `mayfly_error_reports_total{result="ok"}`))
	assert.Equal(t, 0, s.stop(t))
}

// SIGTERM: the running task is stopped and reported by its runner, the
// queued one is reported by serve; nothing is left in starting or running.
func TestServeShutdown(t *testing.T) {
	ctx := testCtx(t)
	e := newServeEnv(t, semaphoretest.V2026, `, "max_concurrent": 1, "queue_size": 4`, hookSecret)
	repo := filepath.Join(e.dir, "slow-repo")
	_, err := fixture.GitRepo(repo, map[string]string{"slow.sh": "echo started\nsleep 300\n"})
	require.NoError(t, err)
	s := e.start(t)

	first := e.srv.AddTask(e.runner, fixture.ShellJob("bash", "file://"+repo, "slow.sh"), fixture.NoneKey())
	_, err = e.srv.WaitTask(ctx, first, func(i semaphoretest.TaskInfo) bool { return i.Status == api.StatusRunning })
	require.NoError(t, err)
	second := e.srv.AddTask(e.runner, fixture.ShellJob("bash", "file://"+repo, "slow.sh"), fixture.NoneKey())
	_, err = e.srv.WaitTask(ctx, second, func(i semaphoretest.TaskInfo) bool { return i.Assigned })
	require.NoError(t, err)
	assert.Equal(t, 1.0, s.metric(t, "mayfly_queue_depth"))

	assert.Equal(t, 0, s.stop(t), s.stderr.String())
	for _, id := range []int{first, second} {
		info := e.srv.Task(id)
		assert.True(t, info.Status.Finished(), "task %d is %s", id, info.Status)
	}
	assert.Contains(t, strings.Join(e.srv.Messages(second), "\n"), "[mayfly] mayfly serve shut down before a runner could start for this task")
	assert.Contains(t, s.stderr.String(), "abandoned tasks were reported as error")
}

// Bad input over HTTP: clear 4xx, and serve keeps working.
func TestServeBadInput(t *testing.T) {
	e := newServeEnv(t, semaphoretest.V2026, "", hookSecret)
	s := e.start(t)
	hook := hookURL(e.base)
	for _, c := range []struct {
		name, method, url, body string
		status                  int
		errText                 string
	}{
		{"malformed JSON", "POST", hook, `{"action":`, 400, "malformed JSON"},
		{"missing field", "POST", hook, `{"action":"start"}`, 400, `missing field \"task_id\"`},
		{"unknown action", "POST", hook, `{"action":"reboot","task_id":1}`, 400, `unknown action \"reboot\"`},
		{"wrong secret", "POST", e.base + "/hook/not-the-secret", `{"action":"start","task_id":1}`, 401, "wrong or missing webhook secret"},
		{"no secret", "POST", e.base + "/hook", `{"action":"start","task_id":1}`, 401, "wrong or missing webhook secret"},
		{"wrong method", "GET", hook, "", 405, "not allowed"},
		{"body over the limit", "POST", hook, `{"action":"start","task_id":1,"x":"` + strings.Repeat("y", 10000) + `"}`, 413, "body over"},
		{"query secret, finish", "POST", e.base + "/hook?secret=" + hookSecret, `{"action":"finish","task_id":77}`, 204, ""},
		{"unknown path", "GET", e.base + "/nope", "", 404, ""},
	} {
		code, body := httpDo(t, c.url, c.method, c.body)
		assert.Equal(t, c.status, code, c.name)
		assert.Contains(t, body, c.errText, c.name)
	}
	code, _ := s.get(t, "/healthz")
	assert.Equal(t, 200, code, "still serving")
	assert.Equal(t, 3.0, s.metric(t, `mayfly_webhook_requests_total{action="",result="bad_request"}`))
	assert.Equal(t, 0, s.stop(t))
}

func TestServeConfigErrors(t *testing.T) {
	ctx := testCtx(t)
	e := newEnv(t, semaphoretest.V2026, "")
	e.useRunner(t, semaphoretest.RunnerSpec{Active: true})
	r := mayfly(t, ctx, "", "serve", "--config", e.config)
	assert.Equal(t, exitConfig, r.code)
	assert.Contains(t, r.stderr, "no webhook secret")

	e = newEnv(t, semaphoretest.V2026, `, "webhook_secret": "short"`)
	e.useRunner(t, semaphoretest.RunnerSpec{Active: true})
	r = mayfly(t, ctx, "", "serve", "--config", e.config)
	assert.Equal(t, exitConfig, r.code)
	assert.Contains(t, r.stderr, "shorter than 16")

	e = newEnv(t, semaphoretest.V2026, fmt.Sprintf(`, "webhook_secret": %q`, hookSecret))
	r = mayfly(t, ctx, "", "serve", "--config", e.config)
	assert.Equal(t, exitConfig, r.code, "no runner token")
	assert.Contains(t, r.stderr, "runner.token_file")

	e.useRunner(t, semaphoretest.RunnerSpec{Active: true})
	r = mayfly(t, ctx, "", "serve", "--config", e.config, "--listen", "nonsense")
	assert.Equal(t, exitConfig, r.code)
	assert.Contains(t, r.stderr, "listen on nonsense")
}

func TestMaskSecret(t *testing.T) {
	for in, want := range map[string]string{
		"https://x.example/hook/" + hookSecret:              "https://x.example/hook/****",
		"https://x.example/hook/other":                      "https://x.example/hook/****",
		"https://x.example/hook?secret=" + hookSecret:       "https://x.example/hook?secret=****",
		"https://x.example/hook?a=1&secret=zzz&b=2":         "https://x.example/hook?a=1&secret=****&b=2",
		"https://x.example/p/hook/" + hookSecret + "?x=1#f": "https://x.example/p/hook/****?x=1#f",
		"https://x.example/plain":                           "https://x.example/plain",
	} {
		assert.Equal(t, want, maskSecret(in, hookSecret), in)
	}
}

// Journey 2: setup writes a webhook secret, registers runner.webhook with it
// and prints the URL once; serve with that config runs the server's task.
func TestSetupThenServe(t *testing.T) {
	ctx := testCtx(t)
	e := newEnv(t, semaphoretest.V2026, "")
	sock, base := serveListener(t)
	cfgPath := filepath.Join(e.dir, "setup", "mayfly.json")
	r := mayfly(t, ctx, "reg-secret-1234\n", "setup", "--config", cfgPath, "--server", e.srv.URL(),
		"--tmp-path", filepath.Join(e.dir, "tmp"), "--stdin-registration-token", "--webhook-base-url", base+"/")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)

	secret, err := os.ReadFile(filepath.Join(e.dir, "setup", "webhook.secret"))
	require.NoError(t, err)
	st, err := os.Stat(filepath.Join(e.dir, "setup", "webhook.secret"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	s := strings.TrimSpace(string(secret))
	assert.Regexp(t, "^[0-9a-f]{64}$", s)
	url := base + "/hook/" + s
	assert.Equal(t, 1, strings.Count(r.stdout, url), "the URL is printed once:\n%s", r.stdout)
	assert.NotContains(t, r.stderr, s)
	runners := e.srv.Runners()
	require.Len(t, runners, 1)
	assert.Equal(t, url, runners[0].Webhook, "registration sent the webhook")
	cfg, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	assert.Contains(t, string(cfg), `"listen": "`+strings.TrimPrefix(base, "http://")+`"`)
	assert.Contains(t, string(cfg), `"webhook_secret_file"`)

	srv := startServe(t, ctx, cfgPath, sock, base)
	r = mayfly(t, ctx, "", "doctor", "--config", cfgPath)
	assert.Contains(t, r.stdout, "answers as mayfly serve with the right secret", r.stdout)
	id := e.srv.AddTask(runners[0].ID, fixture.ShellJob("bash", "file://"+e.repo, "hello.sh"), fixture.NoneKey())
	info, err := e.srv.WaitFinished(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, api.StatusSuccess, info.Status, srv.stderr.String())
	assert.NotContains(t, srv.stderr.String(), s)
}

// A runner that gives up before reporting (here: every poll refused with 400)
// exits with a code that makes serve report the task, so nothing stays stuck.
func TestServeReportsRunnerThatGaveUp(t *testing.T) {
	e := newServeEnv(t, semaphoretest.V2026, "", hookSecret)
	e.start(t)
	e.srv.SetFaultHook(func(r *http.Request) semaphoretest.Fault {
		if r.Method == http.MethodGet {
			return semaphoretest.Fault{Status: http.StatusBadRequest}
		}
		return semaphoretest.Fault{}
	})
	id := e.srv.AddTask(e.runner, fixture.ShellJob("bash", "file://"+e.repo, "hello.sh"), fixture.NoneKey())
	info, err := e.srv.WaitFinished(testCtx(t), id)
	require.NoError(t, err)
	assert.Equal(t, api.StatusError, info.Status)
	assert.Contains(t, strings.Join(e.srv.Messages(id), "\n"), "[mayfly] runner process exited")
}
