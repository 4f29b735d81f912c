package semaphoretest_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
)

func TestDispatchInvisibleUntilWebhookReturns(t *testing.T) {
	for _, v := range []semaphoretest.Variant{semaphoretest.V2024, semaphoretest.V2025, semaphoretest.V2026} {
		t.Run(v.String(), func(t *testing.T) {
			s := newServer(t, v)
			hook := newWebhook(t, http.StatusNoContent, true)
			rid, token := s.AddRunner(semaphoretest.RunnerSpec{Name: "r", Webhook: hook.srv.URL, Active: true})
			id := s.AddTask(rid, sampleJob(), sampleKey())

			var body map[string]any
			select {
			case body = <-hook.calls:
			case <-waitCtx(t).Done():
				t.Fatal("webhook not called")
			}
			assert.Equal(t, map[string]any{"action": "start", "project_id": 3.0, "task_id": float64(id),
				"template_id": 7.0, "runner_id": float64(rid), "content_type": "application/json"}, body)

			// The webhook has not returned: the task is starting but unassigned.
			info := s.Task(id)
			assert.Equal(t, api.StatusStarting, info.Status)
			assert.False(t, info.Assigned)
			st := poll(t, s, token)
			assert.Empty(t, st.NewJobs)
			assert.Empty(t, st.CurrentJobs)

			hook.Release()
			info, err := s.WaitTask(waitCtx(t), id, func(i semaphoretest.TaskInfo) bool { return i.Assigned })
			require.NoError(t, err)
			assert.Equal(t, []semaphoretest.WebhookCall{{Action: "start", StatusCode: http.StatusNoContent}}, info.WebhookCalls)
			st = poll(t, s, token)
			require.Len(t, st.NewJobs, 1)
			assert.Equal(t, id, st.NewJobs[0].Task.ID)
		})
	}
}

func TestWebhookFailureFailsTask(t *testing.T) {
	tests := []struct {
		name    string
		code    int
		closed  bool
		wantMsg string
	}{
		{name: "202", code: http.StatusAccepted, wantMsg: "Failed to run task: webhook returned incorrect status"},
		{name: "500", code: http.StatusInternalServerError, wantMsg: "Failed to run task: webhook returned incorrect status"},
		{name: "transport", closed: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, semaphoretest.V2026)
			hook := newWebhook(t, tc.code, false)
			if tc.closed {
				hook.srv.Close()
			}
			rid, token := s.AddRunner(semaphoretest.RunnerSpec{Webhook: hook.srv.URL, Active: true})
			id := s.AddTask(rid, sampleJob())
			info, err := s.WaitFinished(waitCtx(t), id)
			require.NoError(t, err)
			assert.Equal(t, api.StatusError, info.Status)
			assert.False(t, info.Assigned)
			assert.Equal(t, []api.Status{api.StatusWaiting, api.StatusStarting, api.StatusError}, info.History)
			require.Len(t, s.Messages(id), 1)
			if tc.wantMsg != "" {
				assert.Equal(t, tc.wantMsg, s.Messages(id)[0])
			} else {
				assert.Contains(t, s.Messages(id)[0], "Failed to run task: ")
			}
			require.Len(t, info.WebhookCalls, 1, "no finish call after a failed start")
			assert.Empty(t, poll(t, s, token).NewJobs)
		})
	}
}

func TestNoWebhookAssignsDirectly(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	rid, _ := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	id := s.AddTask(rid, sampleJob())
	info, err := s.WaitTask(waitCtx(t), id, func(i semaphoretest.TaskInfo) bool { return i.Assigned })
	require.NoError(t, err)
	assert.Equal(t, rid, info.RunnerID)
	assert.Empty(t, info.WebhookCalls)
}

func TestUnavailableRunnerFailsTask(t *testing.T) {
	s := newServer(t, semaphoretest.V2024)
	inactive, _ := s.AddRunner(semaphoretest.RunnerSpec{Active: false})
	for _, rid := range []int{inactive, 42} {
		id := s.AddTask(rid, sampleJob())
		info, err := s.WaitFinished(waitCtx(t), id)
		require.NoError(t, err)
		assert.Equal(t, api.StatusError, info.Status)
		assert.Equal(t, []string{"Failed to run task: no runners available"}, s.Messages(id))
	}
}

func TestMaxParallelTasksQueues(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true, MaxParallelTasks: 1})
	first := addRunning(t, s, rid, token)
	second := s.AddTask(rid, sampleJob())
	// While the first holds the only slot the second can never be assigned.
	assert.False(t, s.Task(second).Assigned)
	report(t, s, token, first, api.StatusSuccess)
	_, err := s.WaitTask(waitCtx(t), second, func(i semaphoretest.TaskInfo) bool { return i.Assigned })
	require.NoError(t, err)
}

func TestFinishWebhookOnTerminalReport(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	hook := newWebhook(t, http.StatusOK, false)
	rid, token := s.AddRunner(semaphoretest.RunnerSpec{Webhook: hook.srv.URL, Active: true})
	id := addRunning(t, s, rid, token)
	report(t, s, token, id, api.StatusSuccess, "done")
	info, err := s.WaitTask(waitCtx(t), id, func(i semaphoretest.TaskInfo) bool { return len(i.WebhookCalls) == 2 })
	require.NoError(t, err)
	assert.Equal(t, "finish", info.WebhookCalls[1].Action)
	assert.False(t, info.End.IsZero())
	<-hook.calls
	finish := <-hook.calls
	assert.Equal(t, "finish", finish["action"])
}

func TestDispatchDelayAndStopWhileQueued(t *testing.T) {
	s := semaphoretest.New(semaphoretest.Options{Variant: semaphoretest.V2026, DispatchDelay: waitTimeout * 10})
	t.Cleanup(s.Close)
	rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	id := s.AddTask(rid, sampleJob())
	assert.Equal(t, api.StatusWaiting, s.Task(id).Status)
	s.Stop(id, false)
	info := s.Task(id)
	assert.Equal(t, api.StatusStopped, info.Status)
	assert.Empty(t, poll(t, s, token).NewJobs)
	raw, err := json.Marshal(info.History)
	require.NoError(t, err)
	assert.JSONEq(t, `["waiting","stopped"]`, string(raw))
}
