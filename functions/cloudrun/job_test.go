package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

const testWebhookSecret = "0123456789abcdef0123456789abcdef"

// jobEnv is a Semaphore server, a runner, a repository of scripts, and the
// environment of a worker job execution pointed at them.
type jobEnv struct {
	srv    *semaphoretest.Server
	runner int
	token  string
	repo   string
	dir    string
}

func newJobEnv(t *testing.T, variant semaphoretest.Variant) *jobEnv {
	t.Helper()
	srv := semaphoretest.New(semaphoretest.Options{Variant: variant})
	t.Cleanup(srv.Close)
	return newJobEnvOn(t, srv, "")
}

// newJobEnvOn is newJobEnv on an existing server, with a webhook runner.
func newJobEnvOn(t *testing.T, srv *semaphoretest.Server, webhook string) *jobEnv {
	t.Helper()
	dir := t.TempDir()
	e := &jobEnv{srv: srv, repo: filepath.Join(dir, "repo"), dir: dir}
	e.runner, e.token = srv.AddRunner(semaphoretest.RunnerSpec{Name: "cloudrun", Active: true, Webhook: webhook})
	_, err := fixture.GitRepo(e.repo, map[string]string{
		"hello.sh": "echo hello from cloud run\n",
		"env.sh":   "echo \"token=[${SEMAPHORE_RUNNER_TOKEN:-}] secret=[${MAYFLY_WEBHOOK_SECRET:-}]\"\n",
		// Two sleeps, a child and a grandchild, both in the task's process
		// group; "started" comes after both pids are in $1.
		"tree.sh": "sleep 300 & echo $! > \"$1\"\n" +
			"exec 3< <(bash -c 'sleep 300 & echo $! >> \"$1\"; echo ready; wait' _ \"$1\")\n" +
			"read -r _ <&3\necho started\nwait\n",
	})
	require.NoError(t, err)
	return e
}

// task queues a bash task running script with args.
func (e *jobEnv) task(script string, args ...string) int {
	job := fixture.ShellJob("bash", "file://"+e.repo, script)
	if len(args) > 0 {
		raw := `["` + strings.Join(args, `","`) + `"]`
		job.Template.Arguments = &raw
	}
	return e.srv.AddTask(e.runner, job, fixture.NoneKey())
}

// env is the worker job's environment as the Terraform module sets it, plus
// the per-execution overrides and test settings.
func (e *jobEnv) env(taskID int) map[string]string {
	return map[string]string{
		"CLOUD_RUN_JOB":            "mayfly-worker",
		"CLOUD_RUN_EXECUTION":      "mayfly-worker-abcde",
		"CLOUD_RUN_TASK_INDEX":     "0",
		"CLOUD_RUN_TASK_ATTEMPT":   "0",
		"SEMAPHORE_WEB_ROOT":       e.srv.URL(),
		"SEMAPHORE_RUNNER_TOKEN":   e.token,
		"SEMAPHORE_TMP_PATH":       filepath.Join(e.dir, "tmp"),
		"MAYFLY_LOG_FORMAT":        "json",
		"MAYFLY_LOG_LEVEL":         "info",
		"MAYFLY_TASK_ID":           strconv.Itoa(taskID),
		"MAYFLY_RECEIVED_AT":       time.Now().UTC().Format(time.RFC3339Nano),
		"MAYFLY_POLL_INTERVAL":     "100ms",
		"MAYFLY_TASK_WAIT_TIMEOUT": "30s",
		"HOME":                     e.dir,
	}
}

// A task runs to success and the process exits 0.
func TestJobRunsTask(t *testing.T) {
	for name, variant := range map[string]semaphoretest.Variant{"2024": semaphoretest.V2024, "2026": semaphoretest.V2026} {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			e := newJobEnv(t, variant)
			id := e.task("hello.sh")
			p := start(t, e.env(id))
			require.Equal(t, exitOK, p.wait(ctx))

			info := e.srv.Task(id)
			assert.Equal(t, api.StatusSuccess, info.Status)
			assert.Contains(t, e.srv.Messages(id), "hello from cloud run")
			assert.Zero(t, e.srv.Runners()[0].StartedAt, "a one-off process never sends X-Runner-Started-At")

			for _, r := range p.log.all() {
				assert.NotEmpty(t, r.str("severity"), "every log line is JSON with a severity: %v", r)
				assert.NotContains(t, r.str("message"), e.token)
			}
			_, err := p.log.waitFor(ctx, "task succeeded")
			assert.NoError(t, err)
		})
	}
}

// No process of the task sees the runner token or the webhook secret, even
// when the configuration forwards them by name, and neither does git.
func TestJobScrubsSecrets(t *testing.T) {
	ctx := testCtx(t)
	e := newJobEnv(t, semaphoretest.V2026)
	id := e.task("env.sh")

	// A post-checkout hook records what git's children see, where the
	// executor lets git see GIT_CONFIG_* from the environment.
	hooks := filepath.Join(e.dir, "hooks")
	seen := filepath.Join(e.dir, "hook-env")
	require.NoError(t, os.MkdirAll(hooks, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(hooks, "post-checkout"), []byte("#!/bin/sh\n"+
		"{ env | grep -E '^(SEMAPHORE_RUNNER_TOKEN|MAYFLY_WEBHOOK_SECRET)='; echo hook ran; } >> '"+seen+"'\n"), 0o755))
	env := e.env(id)
	env["MAYFLY_WEBHOOK_SECRET"] = testWebhookSecret
	env["SEMAPHORE_FORWARDED_ENV_VARS"] = "SEMAPHORE_RUNNER_TOKEN,MAYFLY_WEBHOOK_SECRET"
	env["GIT_CONFIG_COUNT"], env["GIT_CONFIG_KEY_0"], env["GIT_CONFIG_VALUE_0"] = "1", "core.hooksPath", hooks

	p := start(t, env)
	require.Equal(t, exitOK, p.wait(ctx))
	assert.Contains(t, e.srv.Messages(id), "token=[] secret=[]")
	if got, err := os.ReadFile(seen); err == nil {
		assert.Equal(t, "hook ran\n", string(got), "git's children saw a secret")
	}
}

// loadJobConfig keeps the token and removes the secrets from the environment.
func TestLoadJobConfigScrubs(t *testing.T) {
	t.Setenv("SEMAPHORE_WEB_ROOT", "https://semaphore.example.com")
	t.Setenv("SEMAPHORE_RUNNER_TOKEN", "runner-token-value")
	t.Setenv("MAYFLY_WEBHOOK_SECRET", testWebhookSecret)
	t.Setenv("SEMAPHORE_RUNNER_REGISTRATION_TOKEN", "registration-token")
	cfg, token, err := loadJobConfig()
	require.NoError(t, err)
	assert.Equal(t, "runner-token-value", token)
	assert.Equal(t, jobStopGrace, cfg.Mayfly.StopGrace, "the default grace leaves time to report before SIGKILL")
	for _, k := range secretEnv {
		_, set := os.LookupEnv(k)
		assert.False(t, set, k)
	}

	t.Setenv("SEMAPHORE_RUNNER_TOKEN", "runner-token-value")
	t.Setenv("MAYFLY_STOP_GRACE", "30s")
	cfg, _, err = loadJobConfig()
	require.NoError(t, err)
	assert.Equal(t, 30*time.Second, cfg.Mayfly.StopGrace, "an explicit grace is kept")
}

// SIGTERM (task timeout or a cancelled execution) stops the task's whole
// process group, says why in the task log, reports error, and exits non-zero.
func TestJobSIGTERMStopsTask(t *testing.T) {
	ctx := testCtx(t)
	e := newJobEnv(t, semaphoretest.V2026)
	pids := filepath.Join(e.dir, "pids")
	id := e.task("tree.sh", pids)
	p := start(t, e.env(id))

	_, err := e.srv.WaitTask(ctx, id, func(ti semaphoretest.TaskInfo) bool {
		for _, r := range ti.Log {
			if r.Message == "started" {
				return true
			}
		}
		return false
	})
	require.NoError(t, err)
	grandchildren, err := fixture.WaitPIDs(ctx, pids, 2)
	require.NoError(t, err)
	p.signal(syscall.SIGTERM)

	assert.Equal(t, exitFailed, p.wait(ctx))
	info, err := e.srv.WaitFinished(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, api.StatusError, info.Status)
	assert.Contains(t, strings.Join(e.srv.Messages(id), "\n"),
		"Task interrupted: runner shutting down: stopped: Cloud Run job was terminated (task timeout or cancellation)")
	for _, pid := range grandchildren {
		assert.False(t, fixture.Alive(pid), "grandchild %d survived SIGTERM", pid)
	}
	r, err := p.log.waitFor(ctx, "received terminated")
	require.NoError(t, err)
	assert.Equal(t, "WARNING", r.str("severity"))
	r, err = p.log.waitFor(ctx, "task ended error")
	require.NoError(t, err)
	assert.Equal(t, "ERROR", r.str("severity"))
}

// An execution without a task id (started by hand) runs nothing.
func TestJobWithoutTaskID(t *testing.T) {
	ctx := testCtx(t)
	e := newJobEnv(t, semaphoretest.V2026)
	env := e.env(1)
	delete(env, "MAYFLY_TASK_ID")
	p := start(t, env)
	assert.Equal(t, exitConfig, p.wait(ctx))
	_, err := p.log.waitFor(ctx, "MAYFLY_TASK_ID is not set")
	assert.NoError(t, err)
	assert.Zero(t, e.srv.Stats().Polls)
}

// A retried attempt never runs the task again.
func TestJobRetryAttemptRunsNothing(t *testing.T) {
	ctx := testCtx(t)
	e := newJobEnv(t, semaphoretest.V2026)
	id := e.task("hello.sh")
	env := e.env(id)
	env["CLOUD_RUN_TASK_ATTEMPT"] = "1"
	p := start(t, env)
	assert.Equal(t, exitFailed, p.wait(ctx))
	_, err := p.log.waitFor(ctx, "--max-retries 0")
	assert.NoError(t, err)
	assert.Zero(t, e.srv.Stats().Polls)
}

// A missing runner token is a configuration error that names the variable.
func TestJobWithoutToken(t *testing.T) {
	ctx := testCtx(t)
	e := newJobEnv(t, semaphoretest.V2026)
	env := e.env(1)
	delete(env, "SEMAPHORE_RUNNER_TOKEN")
	p := start(t, env)
	assert.Equal(t, exitConfig, p.wait(ctx))
	_, err := p.log.waitFor(ctx, "invalid configuration")
	assert.NoError(t, err)
	assert.Contains(t, p.log.String(), "SEMAPHORE_RUNNER_TOKEN")
}
