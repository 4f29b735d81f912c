package api_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
)

func TestAuthErrors(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	tests := []struct {
		token    string
		wantCode int
		wantMsg  string
	}{
		{"", http.StatusUnauthorized, "api: poll: 401 Invalid token"},
		{"c2VjcmV0LXRva2Vu", http.StatusNotFound, "api: poll: 404 Runner not found"},
	}
	for _, tc := range tests {
		t.Run(tc.wantMsg, func(t *testing.T) {
			c := newClient(t, api.Options{ServerURL: s.URL(), Token: tc.token})
			_, err := c.Poll(ctxT(t))
			require.ErrorIs(t, err, api.ErrUnauthorized)
			var apiErr *api.Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.wantCode, apiErr.StatusCode)
			assert.EqualError(t, err, tc.wantMsg)
			assert.False(t, api.Retryable(err))

			_, err = c.Progress(ctxT(t), api.ProgressRequest{})
			require.ErrorIs(t, err, api.ErrUnauthorized)
			if tc.token != "" {
				assert.NotContains(t, err.Error(), tc.token)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	c := newClient(t, api.Options{ServerURL: "http://" + addr, Token: "t0ken-value"})
	_, err = c.Poll(ctxT(t))
	require.ErrorIs(t, err, api.ErrUnreachable)
	assert.True(t, api.Retryable(err))
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "api: poll: server unreachable")
	assert.NotContains(t, err.Error(), "t0ken-value")
	err = c.Unregister(ctxT(t))
	require.ErrorIs(t, err, api.ErrUnreachable)
	_, err = c.Register(ctxT(t), api.RegisterRequest{RegistrationToken: "x"})
	require.ErrorIs(t, err, api.ErrUnreachable)
}

func TestFaultClassification(t *testing.T) {
	tests := []struct {
		name          string
		fault         semaphoretest.Fault
		wantRetryable bool
		wantStatus    int
	}{
		{"500", semaphoretest.Fault{Status: 500}, true, 500},
		{"503", semaphoretest.Fault{Status: 503}, true, 503},
		{"429", semaphoretest.Fault{Status: 429}, true, 429},
		{"408", semaphoretest.Fault{Status: 408}, true, 408},
		{"400", semaphoretest.Fault{Status: 400}, false, 400},
		{"403", semaphoretest.Fault{Status: 403}, false, 403},
		{"reset", semaphoretest.Fault{Reset: true}, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, semaphoretest.V2026)
			_, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
			s.SetFaultHook(func(*http.Request) semaphoretest.Fault { return tc.fault })
			c := newClient(t, api.Options{ServerURL: s.URL(), Token: token})
			_, err := c.Progress(ctxT(t), api.ProgressRequest{Jobs: []api.JobProgress{}})
			require.Error(t, err)
			assert.Equal(t, tc.wantRetryable, api.Retryable(err), err.Error())
			assert.NotErrorIs(t, err, api.ErrUnauthorized)
			var apiErr *api.Error
			if tc.wantStatus == 0 {
				require.ErrorIs(t, err, api.ErrUnreachable)
				assert.False(t, errors.As(err, &apiErr))
				return
			}
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.wantStatus, apiErr.StatusCode)
			assert.Equal(t, "injected", apiErr.Message)
		})
	}
}

func TestOutageIsUnreachable(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	_, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	c := newClient(t, api.Options{ServerURL: s.URL(), Token: token})
	s.SetOutage(true)
	_, err := c.Poll(ctxT(t))
	require.ErrorIs(t, err, api.ErrUnreachable)
	s.SetOutage(false)
	_, err = c.Poll(ctxT(t))
	require.NoError(t, err)
}

func TestTimeoutsAndCancellation(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	_, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	s.SetFaultHook(func(*http.Request) semaphoretest.Fault { return semaphoretest.Fault{Delay: time.Hour} })

	t.Run("per-request timeout is unreachable", func(t *testing.T) {
		c := newClient(t, api.Options{ServerURL: s.URL(), Token: token, Timeout: 50 * time.Millisecond})
		_, err := c.Poll(ctxT(t))
		require.ErrorIs(t, err, api.ErrUnreachable)
		assert.NotErrorIs(t, err, context.DeadlineExceeded, "not the caller's deadline")
		assert.True(t, api.Retryable(err))
	})
	t.Run("caller cancel is not retryable", func(t *testing.T) {
		c := newClient(t, api.Options{ServerURL: s.URL(), Token: token})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Poll(ctx)
		require.ErrorIs(t, err, context.Canceled)
		assert.NotErrorIs(t, err, api.ErrUnreachable)
		assert.False(t, api.Retryable(err))
	})
	t.Run("caller deadline is not retryable", func(t *testing.T) {
		c := newClient(t, api.Options{ServerURL: s.URL(), Token: token})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Poll(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.False(t, api.Retryable(err))
	})
}
