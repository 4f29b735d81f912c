package semaphoretest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
)

func TestProgressResponsesPerVariant(t *testing.T) {
	tests := []struct {
		v        semaphoretest.Variant
		wantCode int
		wantBody string
	}{
		{semaphoretest.V2024, http.StatusNoContent, ""},
		{semaphoretest.V2025, http.StatusNoContent, ""},
		{semaphoretest.V2026, http.StatusOK, "{}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.v.String(), func(t *testing.T) {
			s := newServer(t, tc.v)
			rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
			id := addRunning(t, s, rid, token)
			a := report(t, s, token, id, api.StatusRunning, "line")
			assert.Equal(t, tc.wantCode, a.status)
			assert.Equal(t, tc.wantBody, string(a.body))
			a = call(t, s, http.MethodPut, token, `{"Jobs":null}`)
			assert.Equal(t, http.StatusNoContent, a.status, "Jobs null is 204 everywhere")
			a = call(t, s, http.MethodPut, token, `{"Jobs":`)
			assert.Equal(t, http.StatusBadRequest, a.status)
			assert.JSONEq(t, `{"error":"Invalid format"}`, string(a.body))
		})
	}
}

func TestProgressDecodingLikeUpstream(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	id := addRunning(t, s, rid, token)
	ts := time.Date(2026, 5, 1, 10, 0, 0, 123000000, time.UTC)
	a := call(t, s, http.MethodPut, token, map[string]any{"jobs": []map[string]any{{
		"id": id, "status": "running",
		"logrecords":  []map[string]any{{"time": ts, "message": "lower-case keys work"}},
		"log_records": []map[string]any{{"time": ts, "message": "ignored"}},
		"commit":      map[string]any{"hash": "abc", "message": "fix"},
	}}})
	require.Equal(t, http.StatusOK, a.status, string(a.body))
	info := s.Task(id)
	assert.Equal(t, []string{"started", "lower-case keys work"}, s.Messages(id))
	assert.True(t, ts.Equal(info.Log[1].Time), "the runner's timestamp is kept")
	assert.Equal(t, &api.Commit{Hash: "abc", Message: "fix"}, info.Commit)

	report(t, s, token, id, api.StatusRunning, "dup", "dup")
	assert.Equal(t, []string{"started", "lower-case keys work", "dup", "dup"}, s.Messages(id))
}

func TestProgressRules2026(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	other, otherToken := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	mine := addRunning(t, s, rid, token)
	foreign := addRunning(t, s, other, otherToken)
	done := addRunning(t, s, rid, token)
	report(t, s, token, done, api.StatusSuccess)

	a := call(t, s, http.MethodPut, token, api.ProgressRequest{Jobs: []api.JobProgress{
		{ID: 9999, Status: api.StatusRunning},                          // rule 1: unknown
		{ID: foreign, Status: api.StatusError},                         // rule 3: not ours
		{ID: done, Status: api.StatusRunning, LogRecords: rec("late")}, // rule 2/5: finished
		{ID: mine, Status: api.StatusRunning, LogRecords: rec("ok")},   // rule 6
	}})
	require.Equal(t, http.StatusOK, a.status)
	assert.JSONEq(t, `{"terminated_jobs":[9999,`+itoa(foreign)+`,`+itoa(done)+`]}`, string(a.body))
	assert.Equal(t, api.StatusRunning, s.Task(foreign).Status)
	assert.Equal(t, api.StatusSuccess, s.Task(done).Status)
	assert.NotContains(t, s.Messages(done), "late", "logs of finished tasks are discarded")
	assert.Equal(t, 1, s.Task(done).ReportsAfterFinish)
	assert.Contains(t, s.Messages(mine), "ok")

	// rule 4: invalid status aborts the rest of the batch, earlier jobs applied.
	a = call(t, s, http.MethodPut, token, api.ProgressRequest{Jobs: []api.JobProgress{
		{ID: mine, Status: api.StatusRunning, LogRecords: rec("before")},
		{ID: mine, Status: "finished"},
		{ID: mine, Status: api.StatusSuccess},
	}})
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.JSONEq(t, `{"error":"Invalid task status"}`, string(a.body))
	assert.Contains(t, s.Messages(mine), "before")
	assert.Equal(t, api.StatusRunning, s.Task(mine).Status)
}

func TestProgressRules2025(t *testing.T) {
	s := newServer(t, semaphoretest.V2025)
	rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	other, otherToken := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	mine := addRunning(t, s, rid, token)
	foreign := addRunning(t, s, other, otherToken)

	tests := []struct {
		name string
		jobs []api.JobProgress
		want string
	}{
		{"foreign task", []api.JobProgress{{ID: foreign, Status: api.StatusRunning}}, "Task not assigned to this runner"},
		{"invalid status", []api.JobProgress{{ID: mine, Status: "bogus"}}, "Invalid task status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, s, http.MethodPut, token, api.ProgressRequest{Jobs: tc.jobs})
			assert.Equal(t, http.StatusBadRequest, a.status)
			assert.JSONEq(t, `{"error":"`+tc.want+`"}`, string(a.body))
		})
	}
	a := report(t, s, token, 9999, api.StatusRunning)
	assert.Equal(t, http.StatusNoContent, a.status, "unknown tasks are skipped")
}

func TestTerminalOverwrite(t *testing.T) {
	tests := []struct {
		v          semaphoretest.Variant
		wantStatus api.Status
	}{
		{semaphoretest.V2024, api.StatusRunning},
		{semaphoretest.V2025, api.StatusRunning},
		{semaphoretest.V2026, api.StatusSuccess},
	}
	for _, tc := range tests {
		t.Run(tc.v.String(), func(t *testing.T) {
			s := newServer(t, tc.v)
			rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
			id := addRunning(t, s, rid, token)
			report(t, s, token, id, api.StatusSuccess)
			info, err := s.WaitFinished(waitCtx(t), id)
			require.NoError(t, err)
			end := info.End
			report(t, s, token, id, api.StatusRunning, "late")
			info = s.Task(id)
			assert.Equal(t, tc.wantStatus, info.Status)
			assert.Equal(t, 1, info.ReportsAfterFinish)
			assert.Equal(t, end, info.End, "finalized once")
			assert.Empty(t, poll(t, s, token).CurrentJobs, "a finished task left the running set")
		})
	}
}

func TestTransitionGuard(t *testing.T) {
	tests := []struct {
		name  string
		steps []api.Status
		want  api.Status
	}{
		{"running to waiting ignored", []api.Status{api.StatusRunning, api.StatusWaiting}, api.StatusRunning},
		{"confirmed to waiting_confirmation ignored", []api.Status{api.StatusRunning, api.StatusWaitingConfirmation, "confirm", api.StatusWaitingConfirmation}, api.StatusConfirmed},
		{"stopping to running ignored", []api.Status{api.StatusRunning, api.StatusStopping, api.StatusRunning}, api.StatusStopping},
		{"stopped is final", []api.Status{api.StatusRunning, api.StatusStopped, api.StatusRunning}, api.StatusStopped},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, semaphoretest.V2024)
			rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
			id := s.AddTask(rid, sampleJob())
			_, err := s.WaitTask(waitCtx(t), id, func(i semaphoretest.TaskInfo) bool { return i.Assigned })
			require.NoError(t, err)
			for _, st := range tc.steps {
				if st == "confirm" {
					s.Confirm(id)
					continue
				}
				report(t, s, token, id, st)
			}
			assert.Equal(t, tc.want, s.Task(id).Status)
		})
	}
}

func rec(msgs ...string) []api.LogRecord {
	out := make([]api.LogRecord, len(msgs))
	for i, m := range msgs {
		out[i] = api.LogRecord{Time: time.Now(), Message: m}
	}
	return out
}
