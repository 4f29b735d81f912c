package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
)

func TestErrorClassification(t *testing.T) {
	tests := []struct {
		err                       error
		unauthorized, regRejected bool
		retryable                 bool
		text                      string
	}{
		{&api.Error{Op: "poll", StatusCode: 401, Message: "Invalid token"}, true, false, false, "api: poll: 401 Invalid token"},
		{&api.Error{Op: "progress", StatusCode: 404}, true, false, false, "api: progress: 404 Not Found"},
		{&api.Error{Op: "poll", StatusCode: 400}, false, false, false, "api: poll: 400 Bad Request"},
		{&api.Error{Op: "register", StatusCode: 400}, false, true, false, "api: register: 400 Bad Request"},
		{&api.Error{Op: "register", StatusCode: 401}, false, true, false, "api: register: 401 Unauthorized"},
		{&api.Error{Op: "register", StatusCode: 403}, false, true, false, "api: register: 403 Forbidden"},
		{&api.Error{Op: "register", StatusCode: 404}, false, false, false, "api: register: 404 Not Found"},
		{&api.Error{Op: "poll", StatusCode: 502}, false, false, true, "api: poll: 502 Bad Gateway"},
		{&api.Error{Op: "poll", StatusCode: 429}, false, false, true, "api: poll: 429 Too Many Requests"},
		{&api.Error{Op: "poll", StatusCode: 408}, false, false, true, "api: poll: 408 Request Timeout"},
		{fmt.Errorf("oneoff: %w", &api.Error{Op: "poll", StatusCode: 503}), false, false, true, "oneoff: api: poll: 503 Service Unavailable"},
		{fmt.Errorf("x: %w", api.ErrUnreachable), false, false, true, "x: api: server unreachable"},
		{context.Canceled, false, false, false, "context canceled"},
		{fmt.Errorf("api: poll: %w", context.DeadlineExceeded), false, false, false, "api: poll: context deadline exceeded"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			assert.Equal(t, tc.unauthorized, errors.Is(tc.err, api.ErrUnauthorized))
			assert.Equal(t, tc.regRejected, errors.Is(tc.err, api.ErrRegistrationRejected))
			assert.Equal(t, tc.retryable, api.Retryable(tc.err))
			assert.EqualError(t, tc.err, tc.text)
		})
	}
	assert.False(t, api.Retryable(nil))
}

// garbageServer answers every request with status, content type and body;
// semaphoretest cannot produce such answers.
func garbageServer(t *testing.T, status int, contentType, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestGarbageBodies(t *testing.T) {
	priv, _, err := api.GenerateKeyPair()
	require.NoError(t, err)
	ctx := context.Background()
	poll := func(c *api.Client) error { _, err := c.Poll(ctx); return err }
	progress := func(c *api.Client) error { _, err := c.Progress(ctx, api.ProgressRequest{}); return err }
	register := func(c *api.Client) error {
		_, err := c.Register(ctx, api.RegisterRequest{RegistrationToken: "x"})
		return err
	}
	tests := []struct {
		name      string
		status    int
		ctype     string
		body      string
		withKey   bool
		call      func(*api.Client) error
		wantErr   string
		retryable bool
	}{
		{name: "poll not json", status: 200, ctype: "application/json", body: "<html>",
			call: poll, wantErr: "api: poll: decode response"},
		{name: "poll html error", status: 502, ctype: "text/html", body: "<html>\n<b>Bad gateway</b>\n</html>",
			call: poll, wantErr: "api: poll: 502 <html> <b>Bad gateway</b> </html>", retryable: true},
		{name: "poll long error is trimmed", status: 500, body: strings.Repeat("x", 5000),
			call: poll, wantErr: "api: poll: 500 " + strings.Repeat("x", 200) + "…", retryable: true},
		{name: "poll empty 200", status: 200, call: poll},
		{name: "poll octet-stream bad length", status: 200, ctype: "application/octet-stream", body: "abc",
			withKey: true, call: poll, wantErr: "not a multiple"},
		{name: "poll octet-stream empty", status: 200, ctype: "application/octet-stream; charset=binary",
			withKey: true, call: poll, wantErr: "empty body"},
		{name: "progress not json", status: 200, ctype: "application/json", body: "nope",
			call: progress, wantErr: "api: progress: decode response"},
		{name: "progress 200 empty body", status: 200, call: progress},
		{name: "register without token", status: 200, ctype: "application/json", body: `{}`,
			call: register, wantErr: "server answered without a token"},
		{name: "unregister 500", status: 500, body: `{"error":"Unknown error"}`,
			call:    func(c *api.Client) error { return c.Unregister(ctx) },
			wantErr: "api: unregister: 500 Unknown error", retryable: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := api.Options{ServerURL: garbageServer(t, tc.status, tc.ctype, tc.body), Token: "tok"}
			if tc.withKey {
				o.PrivateKey = priv
			}
			err := tc.call(newClient(t, o))
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
			assert.Equal(t, tc.retryable, api.Retryable(err))
		})
	}
}
