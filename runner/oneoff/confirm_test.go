package oneoff_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/executor"
	"github.com/mayfly-dev/mayfly/runner/job"
	"github.com/mayfly-dev/mayfly/runner/oneoff"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// confirmingExecutor asks for confirmation like terraform's plan/apply does.
type confirmingExecutor struct{}

func (confirmingExecutor) Execute(ctx context.Context, _ *job.Job, t executor.Task) error {
	t.Logf("plan: 1 to add")
	t.SetStatus(api.StatusWaitingConfirmation)
	ok, err := t.AwaitConfirmation(ctx)
	if err != nil {
		return err
	}
	if !ok {
		t.Logf("rejected")
		return errors.New("rejected by user")
	}
	t.SetStatus(api.StatusRunning)
	t.Logf("apply complete")
	return nil
}

func fixtureJob(h *harness, script string) api.JobData {
	return fixture.ShellJob("bash", "file://"+h.repo, script)
}

func TestConfirmation(t *testing.T) {
	for _, confirm := range []bool{true, false} {
		h := newHarness(t, semaphoretest.V2026, map[string]string{"a.sh": "true\n"})
		id := h.srv.AddTask(h.runner, fixtureJob(h, "a.sh"), fixture.NoneKey())
		o := h.options(id)
		o.Executor = confirmingExecutor{}
		ctx := ctxFor(t)
		done := make(chan []oneoff.Result, 1)
		go func() {
			res, _ := oneoff.Run(ctx, o)
			done <- res
		}()
		_, err := h.srv.WaitTask(ctx, id, func(ti semaphoretest.TaskInfo) bool { return ti.Status == api.StatusWaitingConfirmation })
		require.NoError(t, err)
		want := api.StatusSuccess
		if confirm {
			h.srv.Confirm(id)
		} else {
			h.srv.Reject(id)
			want = api.StatusError
		}
		res := <-done
		require.Len(t, res, 1)
		assert.Equal(t, want, res[0].Status)
		assert.Equal(t, want, h.srv.Task(id).Status)
	}
}
