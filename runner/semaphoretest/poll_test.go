package semaphoretest_test

import (
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
)

func TestPollWireFormat(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})

	empty := call(t, s, http.MethodGet, token, nil)
	require.Equal(t, http.StatusOK, empty.status)
	assert.Equal(t, "application/json", empty.header.Get("Content-Type"))
	assert.JSONEq(t, `{"CurrentJobs":null,"new_jobs":null,"access_keys":{}}`, string(empty.body))

	id := s.AddTask(rid, sampleJob(), sampleKey())
	_, err := s.WaitTask(waitCtx(t), id, func(i semaphoretest.TaskInfo) bool { return i.Assigned })
	require.NoError(t, err)
	a := call(t, s, http.MethodGet, token, nil)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(a.body, &raw))
	assert.JSONEq(t, `null`, string(raw["CurrentJobs"]))
	assert.JSONEq(t, `{"5":{"id":5,"name":"repo","type":"none","project_id":null,"string":"",
		"login_password":{"login":"","password":""},"ssh":{"login":"","passphrase":"","private_key":""},
		"override_secret":false}}`, string(raw["access_keys"]))
	var jobs []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw["new_jobs"], &jobs))
	require.Len(t, jobs, 1)
	assert.JSONEq(t, `"admin"`, string(jobs[0]["Username"]))
	assert.JSONEq(t, `"1.2.3"`, string(jobs[0]["IncomingVersion"]))
	assert.JSONEq(t, `{"id":8,"name":"","project_id":0,"git_url":"file:///inv","git_branch":"","ssh_key_id":0}`,
		string(jobs[0]["inventory_repository"]))
	var task map[string]any
	require.NoError(t, json.Unmarshal(jobs[0]["task"], &task))
	assert.Equal(t, float64(id), task["id"], "the server assigns the task id")
	assert.Equal(t, "starting", task["status"])
	assert.Equal(t, "site.yml", task["playbook"])
}

func TestNewJobsRepeatUntilReported(t *testing.T) {
	for _, v := range []semaphoretest.Variant{semaphoretest.V2024, semaphoretest.V2026} {
		t.Run(v.String(), func(t *testing.T) {
			s := newServer(t, v)
			rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
			id := s.AddTask(rid, sampleJob(), sampleKey())
			_, err := s.WaitTask(waitCtx(t), id, func(i semaphoretest.TaskInfo) bool { return i.Assigned })
			require.NoError(t, err)
			for range 3 {
				st := poll(t, s, token)
				require.Len(t, st.NewJobs, 1)
				assert.Equal(t, id, st.NewJobs[0].Task.ID)
				assert.Contains(t, st.AccessKeys, "5")
			}
			report(t, s, token, id, api.StatusRunning)
			st := poll(t, s, token)
			assert.Empty(t, st.NewJobs)
			assert.Equal(t, []api.CurrentJob{{ID: id, Status: api.StatusRunning}}, st.CurrentJobs)
			assert.Empty(t, st.AccessKeys)
			info, _ := s.Runner(rid)
			assert.Equal(t, 4, info.Polls)
		})
	}
}

func TestWaitingListedAsNewJobOnlyOn2026(t *testing.T) {
	tests := []struct {
		v       semaphoretest.Variant
		wantNew bool
	}{{semaphoretest.V2024, false}, {semaphoretest.V2026, true}}
	for _, tc := range tests {
		t.Run(tc.v.String(), func(t *testing.T) {
			s := newServer(t, tc.v)
			rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
			id := s.AddTask(rid, sampleJob())
			_, err := s.WaitTask(waitCtx(t), id, func(i semaphoretest.TaskInfo) bool { return i.Assigned })
			require.NoError(t, err)
			report(t, s, token, id, api.StatusWaiting)
			require.Equal(t, api.StatusWaiting, s.Task(id).Status)
			st := poll(t, s, token)
			if tc.wantNew {
				assert.Len(t, st.NewJobs, 1)
				assert.Empty(t, st.CurrentJobs)
			} else {
				assert.Empty(t, st.NewJobs)
				assert.Equal(t, []api.CurrentJob{{ID: id, Status: api.StatusWaiting}}, st.CurrentJobs)
			}
		})
	}
}

func TestStartedAtRule(t *testing.T) {
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)

	t.Run("2026", func(t *testing.T) {
		s := newServer(t, semaphoretest.V2026)
		hook := newWebhook(t, http.StatusOK, false)
		rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true, Webhook: hook.srv.URL})
		id := addRunning(t, s, rid, token)

		poll(t, s, token, api.HeaderStartedAt, past)
		assert.Equal(t, api.StatusRunning, s.Task(id).Status, "started before the task: kept")
		r, _ := s.Runner(rid)
		assert.Equal(t, past, r.StartedAt.UTC().Format(time.RFC3339))

		poll(t, s, token) // absent header leaves started_at unchanged
		r, _ = s.Runner(rid)
		assert.Equal(t, past, r.StartedAt.UTC().Format(time.RFC3339))
		assert.Equal(t, api.StatusRunning, s.Task(id).Status)

		poll(t, s, token, api.HeaderStartedAt, "garbage")
		assert.Equal(t, api.StatusRunning, s.Task(id).Status, "unparsable values are only logged")

		poll(t, s, token, api.HeaderStartedAt, future)
		info := s.Task(id)
		assert.Equal(t, api.StatusError, info.Status)
		assert.Equal(t, "runner restarted and lost the task", s.Messages(id)[len(info.Log)-1])
		_, err := s.WaitTask(waitCtx(t), id, func(i semaphoretest.TaskInfo) bool { return len(i.WebhookCalls) == 2 })
		require.NoError(t, err, "runner lost sends finish")
	})
	t.Run("2024 ignores the header", func(t *testing.T) {
		s := newServer(t, semaphoretest.V2024)
		rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
		id := addRunning(t, s, rid, token)
		poll(t, s, token, api.HeaderStartedAt, future)
		assert.Equal(t, api.StatusRunning, s.Task(id).Status)
		r, _ := s.Runner(rid)
		assert.True(t, r.StartedAt.IsZero())
	})
}

func TestRSAEncryptedPoll2025(t *testing.T) {
	priv, pub, err := api.GenerateKeyPair()
	require.NoError(t, err)
	s := newServer(t, semaphoretest.V2025)
	a := call(t, s, http.MethodPost, "", map[string]any{"registration_token": semaphoretest.DefaultRegistrationToken, "public_key": pub})
	require.Equal(t, http.StatusOK, a.status, string(a.body))
	var reg api.RegisterResponse
	require.NoError(t, json.Unmarshal(a.body, &reg))
	rid := s.Runners()[0].ID
	s.SetActive(rid, true)
	id := s.AddTask(rid, sampleJob(), sampleKey())
	_, err = s.WaitTask(waitCtx(t), id, func(i semaphoretest.TaskInfo) bool { return i.Assigned })
	require.NoError(t, err)

	a = call(t, s, http.MethodGet, reg.Token, nil)
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, "application/octet-stream", a.header.Get("Content-Type"))
	require.Zero(t, len(a.body)%priv.Size())
	require.Greater(t, len(a.body), priv.Size(), "a job needs more than one block")
	var plain []byte
	for off := 0; off < len(a.body); off += priv.Size() {
		p, err := rsa.DecryptPKCS1v15(nil, priv, a.body[off:off+priv.Size()])
		require.NoError(t, err)
		plain = append(plain, p...)
	}
	var st api.RunnerState
	require.NoError(t, json.Unmarshal(plain, &st))
	require.Len(t, st.NewJobs, 1)
	assert.Equal(t, id, st.NewJobs[0].Task.ID)
}

func TestHeadIsAPoll(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	a := call(t, s, http.MethodHead, token, nil)
	assert.Equal(t, http.StatusOK, a.status)
	assert.Empty(t, a.body)
	r, _ := s.Runner(rid)
	assert.Equal(t, 1, r.Polls)
	assert.Equal(t, 1, s.Stats().Polls)
}
