package semaphoretest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
)

func TestRegister(t *testing.T) {
	tests := []struct {
		name     string
		body     any
		wantCode int
		wantErr  string
	}{
		{"malformed", `{"registration_token":`, http.StatusBadRequest, "Invalid format"},
		{"empty token", map[string]any{"registration_token": ""}, http.StatusBadRequest, "Invalid registration token"},
		{"wrong token", map[string]any{"registration_token": "nope"}, http.StatusBadRequest, "Invalid registration token"},
		{"ok", map[string]any{"registration_token": semaphoretest.DefaultRegistrationToken, "webhook": "http://127.0.0.1:1/hook",
			"name": "r1", "tags": []string{"a"}, "max_parallel_tasks": 2, "enabled": true}, http.StatusOK, ""},
	}
	for _, v := range []semaphoretest.Variant{semaphoretest.V2024, semaphoretest.V2026} {
		for _, tc := range tests {
			t.Run(v.String()+"/"+tc.name, func(t *testing.T) {
				s := newServer(t, v)
				a := call(t, s, http.MethodPost, "", tc.body)
				require.Equal(t, tc.wantCode, a.status)
				assert.Equal(t, "application/json", a.header.Get("Content-Type"))
				if tc.wantErr != "" {
					assert.JSONEq(t, `{"error":"`+tc.wantErr+`"}`, string(a.body))
					assert.Empty(t, s.Runners())
					return
				}
				var reg api.RegisterResponse
				require.NoError(t, json.Unmarshal(a.body, &reg))
				raw, err := base64.StdEncoding.DecodeString(reg.Token)
				require.NoError(t, err)
				assert.Len(t, raw, 32)
				runners := s.Runners()
				require.Len(t, runners, 1)
				r := runners[0]
				assert.Equal(t, reg.Token, r.Token)
				assert.Equal(t, "http://127.0.0.1:1/hook", r.Webhook)
				assert.Equal(t, 2, r.MaxParallelTasks)
				if v == semaphoretest.V2026 {
					assert.True(t, r.Active)
					assert.Equal(t, "r1", r.Name)
					assert.Equal(t, []string{"a"}, r.Tags)
				} else {
					assert.False(t, r.Active, "2024 servers create inactive runners")
					assert.Empty(t, r.Name)
				}
			})
		}
	}
}

func TestAuth(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	_, other := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		t.Run(method, func(t *testing.T) {
			a := call(t, s, method, "", `{"Jobs":null}`)
			assert.Equal(t, http.StatusUnauthorized, a.status)
			assert.JSONEq(t, `{"error":"Invalid token"}`, string(a.body))
			a = call(t, s, method, "unknown", `{"Jobs":null}`)
			assert.Equal(t, http.StatusNotFound, a.status)
			assert.JSONEq(t, `{"error":"Runner not found"}`, string(a.body))
		})
	}
	a := call(t, s, http.MethodDelete, token, nil)
	assert.Equal(t, http.StatusNoContent, a.status)
	r, ok := s.Runner(rid)
	require.True(t, ok)
	assert.True(t, r.Deleted)
	assert.Equal(t, http.StatusNotFound, call(t, s, http.MethodDelete, token, nil).status, "deleted token is unknown")
	assert.Equal(t, http.StatusNotFound, call(t, s, http.MethodGet, token, nil).status)
	assert.Equal(t, http.StatusOK, call(t, s, http.MethodGet, other, nil).status)
	assert.Equal(t, http.StatusNotFound, call(t, s, http.MethodGet, "", nil, "X-Runner-Token", "x").status)
	assert.Equal(t, http.StatusNotFound, func() int {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/api/other", nil)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}())
}

func TestFaultHook(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	_, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	s.SetFaultHook(func(r *http.Request) semaphoretest.Fault {
		switch r.Method {
		case http.MethodPut:
			return semaphoretest.Fault{Status: http.StatusServiceUnavailable}
		case http.MethodDelete:
			return semaphoretest.Fault{Reset: true}
		case http.MethodPost:
			return semaphoretest.Fault{Delay: time.Hour}
		}
		return semaphoretest.Fault{Delay: time.Millisecond}
	})
	a := call(t, s, http.MethodPut, token, `{"Jobs":null}`)
	assert.Equal(t, http.StatusServiceUnavailable, a.status)
	assert.JSONEq(t, `{"error":"injected"}`, string(a.body))
	assert.Equal(t, http.StatusOK, call(t, s, http.MethodGet, token, nil).status, "a delay still answers")

	req, err := http.NewRequest(http.MethodDelete, s.URL()+api.Endpoint, nil)
	require.NoError(t, err)
	req.Header.Set(api.HeaderToken, token)
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err, "reset: no answer")

	st := s.Stats()
	assert.Equal(t, semaphoretest.Stats{Polls: 1, Puts: 1, PutsFailed: 1, Deletes: 1}, st)
	assert.False(t, s.Runners()[0].Deleted, "the reset DELETE was not applied")

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+api.Endpoint, nil)
	require.NoError(t, err)
	_, err = http.DefaultClient.Do(req)
	require.True(t, errors.Is(err, context.DeadlineExceeded), "delay honours the client: %v", err)

	s.SetFaultHook(nil)
	assert.Equal(t, http.StatusNoContent, call(t, s, http.MethodPut, token, `{"Jobs":null}`).status)
}

func TestOutage(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	_, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	s.SetOutage(true)
	for _, method := range []string{http.MethodGet, http.MethodPut} {
		req, err := http.NewRequest(method, s.URL()+api.Endpoint, nil)
		require.NoError(t, err)
		req.Header.Set(api.HeaderToken, token)
		_, err = http.DefaultClient.Do(req)
		require.Error(t, err)
	}
	assert.Equal(t, 1, s.Stats().PutsFailed)
	s.SetOutage(false)
	assert.Equal(t, http.StatusOK, call(t, s, http.MethodGet, token, nil).status)
}

func TestCloseIsIdempotentAndUnblocksWebhooks(t *testing.T) {
	s := semaphoretest.New(semaphoretest.Options{Variant: semaphoretest.V2026})
	hook := newWebhook(t, http.StatusOK, true)
	rid, _ := s.AddRunner(semaphoretest.RunnerSpec{Active: true, Webhook: hook.srv.URL})
	s.AddTask(rid, sampleJob())
	<-hook.calls
	s.Close() // must not wait for the blocked webhook
	s.Close()
}
