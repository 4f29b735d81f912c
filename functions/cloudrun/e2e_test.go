package main

import (
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/infra/launcher/cloudrunjob/cloudrunjobtest"
	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
)

// The whole chain: Semaphore calls the receiver's webhook, the receiver
// starts an execution through the Admin API, the stand-in "runs" the job's
// container (this binary in job mode, with the execution's env overrides),
// and the task succeeds. Semaphore's finish then finds the execution ended.
func TestWebhookToJobEndToEnd(t *testing.T) {
	ctx := testCtx(t)
	g := newGoogle(t)

	// The runner's webhook must be known when the runner is created, and the
	// receiver's port when it listens: start the receiver first.
	srv := semaphoretest.New(semaphoretest.Options{Variant: semaphoretest.V2026})
	t.Cleanup(srv.Close)
	service, base := startService(t, g.serviceEnv(t, srv.URL()))

	e := newJobEnvOn(t, srv, base+"/hook/"+testWebhookSecret)

	type exit struct {
		code int
		log  string
	}
	exits := make(chan exit, 1)
	g.api.OnRun(func(ex cloudrunjobtest.Execution) {
		env := e.env(0)
		delete(env, "MAYFLY_TASK_ID")
		delete(env, "MAYFLY_RECEIVED_AT")
		for k, v := range ex.Env {
			env[k] = v
		}
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(cleanEnv(), "MAYFLY_TEST_MAIN=1")
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		log := newLogSink()
		cmd.Stderr = log
		_ = cmd.Run()
		g.api.Complete(ex.Name)
		exits <- exit{cmd.ProcessState.ExitCode(), log.String()}
	})

	id := e.task("hello.sh")
	info, err := srv.WaitFinished(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, api.StatusSuccess, info.Status)
	assert.Contains(t, srv.Messages(id), "hello from cloud run")
	select {
	case x := <-exits:
		assert.Equal(t, 0, x.code, "the execution exits 0; its log:\n%s", x.log)
	case <-ctx.Done():
		t.Fatal("the execution did not end")
	}

	runs := g.api.Calls(":run")
	require.Len(t, runs, 1)
	info, err = srv.WaitTask(ctx, id, func(ti semaphoretest.TaskInfo) bool { return len(ti.WebhookCalls) == 2 })
	require.NoError(t, err)
	for _, c := range info.WebhookCalls {
		assert.Equal(t, 204, c.StatusCode, "%s webhook", c.Action)
	}

	service.signal(syscall.SIGTERM)
	assert.Equal(t, exitOK, service.wait(ctx))
}
