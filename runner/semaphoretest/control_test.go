package semaphoretest_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
)

func itoa(i int) string { return strconv.Itoa(i) }

func TestStopGraceful(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	hook := newWebhook(t, http.StatusOK, false)
	rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true, Webhook: hook.srv.URL})
	id := addRunning(t, s, rid, token)
	s.Stop(id, false)
	assert.Equal(t, []api.CurrentJob{{ID: id, Status: api.StatusStopping}}, poll(t, s, token).CurrentJobs)
	report(t, s, token, id, api.StatusRunning)
	assert.Equal(t, api.StatusStopping, s.Task(id).Status)
	report(t, s, token, id, api.StatusStopped, "killed")
	info, err := s.WaitTask(waitCtx(t), id, func(i semaphoretest.TaskInfo) bool { return len(i.WebhookCalls) == 2 })
	require.NoError(t, err)
	assert.Equal(t, api.StatusStopped, info.Status)
	assert.Equal(t, "finish", info.WebhookCalls[1].Action)
}

func TestForceStop(t *testing.T) {
	tests := []struct {
		v        semaphoretest.Variant
		wantCode int
		wantBody string
	}{
		{semaphoretest.V2024, http.StatusNoContent, ""},
		{semaphoretest.V2026, http.StatusOK, `{"terminated_jobs":[1]}`},
	}
	for _, tc := range tests {
		t.Run(tc.v.String(), func(t *testing.T) {
			s := newServer(t, tc.v)
			rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
			id := addRunning(t, s, rid, token)
			require.Equal(t, 1, id)
			s.Stop(id, true)
			info := s.Task(id)
			assert.Equal(t, api.StatusStopped, info.Status)
			assert.False(t, info.End.IsZero())
			assert.Empty(t, poll(t, s, token).CurrentJobs, "force-stopped tasks vanish from polls")
			a := report(t, s, token, id, api.StatusRunning, "still going")
			assert.Equal(t, tc.wantCode, a.status)
			if tc.wantBody != "" {
				assert.JSONEq(t, tc.wantBody, string(a.body))
			}
			info = s.Task(id)
			assert.Equal(t, api.StatusStopped, info.Status)
			assert.NotContains(t, s.Messages(id), "still going")
			assert.Equal(t, 1, info.ReportsAfterFinish)
		})
	}
}

func TestConfirmReject(t *testing.T) {
	for _, reject := range []bool{false, true} {
		s := newServer(t, semaphoretest.V2026)
		rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
		id := addRunning(t, s, rid, token)
		s.Confirm(id) // not waiting for confirmation: no-op
		assert.Equal(t, api.StatusRunning, s.Task(id).Status)
		report(t, s, token, id, api.StatusWaitingConfirmation)
		want := api.StatusConfirmed
		if reject {
			s.Reject(id)
			want = api.StatusRejected
		} else {
			s.Confirm(id)
		}
		assert.Equal(t, []api.CurrentJob{{ID: id, Status: want}}, poll(t, s, token).CurrentJobs)
	}
}

func TestRestart(t *testing.T) {
	t.Run("2026", func(t *testing.T) {
		s := newServer(t, semaphoretest.V2026)
		rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
		id := addRunning(t, s, rid, token)
		s.Restart()
		assert.Empty(t, poll(t, s, token).CurrentJobs)
		a := report(t, s, token, id, api.StatusRunning, "after restart")
		assert.JSONEq(t, `{"terminated_jobs":[`+itoa(id)+`]}`, string(a.body))
		info := s.Task(id)
		assert.Equal(t, api.StatusError, info.Status)
		assert.Equal(t, []string{"started", "server restarted"}, s.Messages(id))
	})
	t.Run("2024", func(t *testing.T) {
		s := newServer(t, semaphoretest.V2024)
		rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
		id := addRunning(t, s, rid, token)
		s.Restart()
		assert.Equal(t, http.StatusNoContent, report(t, s, token, id, api.StatusSuccess, "lost").status)
		assert.Equal(t, api.StatusRunning, s.Task(id).Status, "reports for lost tasks are ignored")
		assert.Equal(t, []string{"started"}, s.Messages(id))
	})
}
