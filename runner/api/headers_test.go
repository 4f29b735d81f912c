package api_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
)

func TestStartedAtHeader(t *testing.T) {
	started := time.Date(2026, 5, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	tests := []struct {
		name      string
		startedAt time.Time
		want      string
	}{
		{"one-off omits it", time.Time{}, "<absent>"},
		{"long-lived sends it constant", started, "2026-05-01T10:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, semaphoretest.V2026)
			_, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
			h := recordHeader(s, api.HeaderStartedAt)
			c := newClient(t, api.Options{ServerURL: s.URL(), Token: token, StartedAt: tc.startedAt})
			for range 3 {
				_, err := c.Poll(ctxT(t))
				require.NoError(t, err)
			}
			_, err := c.Progress(ctxT(t), api.ProgressRequest{})
			require.NoError(t, err)
			require.NoError(t, c.Unregister(ctxT(t)))
			assert.Equal(t, []string{tc.want, tc.want, tc.want}, h.get(http.MethodGet))
			assert.Equal(t, []string{"<absent>"}, h.get(http.MethodPut))
			assert.Equal(t, []string{"<absent>"}, h.get(http.MethodDelete))
		})
	}
}

func TestStartedAtProtectsSiblings2026(t *testing.T) {
	// Two one-off processes share a token; the second starting later must not
	// make the server fail the first one's running task.
	s := newServer(t, semaphoretest.V2026)
	rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	id := assignedTask(t, s, rid)
	first := newClient(t, api.Options{ServerURL: s.URL(), Token: token})
	_, err := first.Progress(ctxT(t), api.ProgressRequest{Jobs: []api.JobProgress{{ID: id, Status: api.StatusRunning}}})
	require.NoError(t, err)
	second := newClient(t, api.Options{ServerURL: s.URL(), Token: token})
	_, err = second.Poll(ctxT(t))
	require.NoError(t, err)
	assert.Equal(t, api.StatusRunning, s.Task(id).Status)

	restarted := newClient(t, api.Options{ServerURL: s.URL(), Token: token, StartedAt: time.Now().Add(time.Hour)})
	_, err = restarted.Poll(ctxT(t))
	require.NoError(t, err)
	assert.Equal(t, api.StatusError, s.Task(id).Status, "the server really applies the rule")
}

func TestRSARoundTrip2025(t *testing.T) {
	priv, pub, err := api.GenerateKeyPair()
	require.NoError(t, err)
	s := newServer(t, semaphoretest.V2025)
	reg := newClient(t, api.Options{ServerURL: s.URL()})
	token, err := reg.Register(ctxT(t), api.RegisterRequest{RegistrationToken: semaphoretest.DefaultRegistrationToken, PublicKey: pub})
	require.NoError(t, err)
	rid := s.Runners()[0].ID
	s.SetActive(rid, true)
	id := assignedTask(t, s, rid)

	// Through PEM, as a runner loads runner.private_key_file.
	key, err := api.ParsePrivateKeyPEM(api.EncodePrivateKeyPEM(priv))
	require.NoError(t, err)
	st, err := newClient(t, api.Options{ServerURL: s.URL(), Token: token, PrivateKey: key}).Poll(ctxT(t))
	require.NoError(t, err)
	require.Len(t, st.NewJobs, 1)
	assert.Equal(t, id, st.NewJobs[0].Task.ID)
	assert.Equal(t, "abc", st.AccessKeys["5"].String)

	_, err = newClient(t, api.Options{ServerURL: s.URL(), Token: token}).Poll(ctxT(t))
	require.ErrorContains(t, err, "server sent an encrypted poll body; set runner.private_key_file")
	assert.False(t, api.Retryable(err))

	other, _, err := api.GenerateKeyPair()
	require.NoError(t, err)
	_, err = newClient(t, api.Options{ServerURL: s.URL(), Token: token, PrivateKey: other}).Poll(ctxT(t))
	require.ErrorContains(t, err, "decrypt")
}

func TestUserAgentAndNoSecretsInLogs(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	_, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	ua := recordHeader(s, "User-Agent")
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, api.Options{ServerURL: s.URL(), Token: token, Logger: logger, UserAgent: "mayfly/test"})
	_, err := c.Poll(ctxT(t))
	require.NoError(t, err)
	_, err = c.Progress(ctxT(t), api.ProgressRequest{Jobs: []api.JobProgress{{ID: 1, Status: api.StatusRunning,
		LogRecords: []api.LogRecord{{Message: "body-secret"}}}}})
	require.NoError(t, err)
	require.NoError(t, c.Unregister(ctxT(t)))
	assert.Equal(t, []string{"mayfly/test"}, ua.get(http.MethodGet))
	assert.NotEmpty(t, buf.String(), "requests are logged at debug level")
	assert.NotContains(t, buf.String(), token)
	assert.NotContains(t, buf.String(), "body-secret")

	def := recordHeader(s, "User-Agent")
	_, _ = newClient(t, api.Options{ServerURL: s.URL(), Token: token}).Poll(ctxT(t))
	assert.Equal(t, []string{"mayfly"}, def.get(http.MethodGet))
}
