package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/infra/launcher/cloudrunjob/cloudrunjobtest"
)

const (
	testJob         = "projects/p1/locations/europe-west1/jobs/mayfly-worker"
	testAccessToken = "ya29.cloudrun-test-token"
)

// google is the stand-in Google side of a receiver: metadata server and
// Cloud Run Admin API.
type google struct {
	metadata *cloudrunjobtest.Metadata
	api      *cloudrunjobtest.AdminAPI
}

func newGoogle(t *testing.T) *google {
	g := &google{metadata: cloudrunjobtest.NewMetadata(testAccessToken), api: cloudrunjobtest.NewAdminAPI()}
	t.Cleanup(g.api.Close)
	t.Cleanup(g.metadata.Close)
	return g
}

// serviceEnv is the receiver's environment as the Terraform module sets it,
// pointed at the stand-ins, listening on 127.0.0.1.
func (g *google) serviceEnv(t *testing.T, semaphoreURL string) map[string]string {
	return map[string]string{
		"K_SERVICE":                    "mayfly",
		"PORT":                         "8080",
		"MAYFLY_LISTEN":                "127.0.0.1:0",
		"SEMAPHORE_WEB_ROOT":           semaphoreURL,
		"MAYFLY_WEBHOOK_SECRET":        testWebhookSecret,
		"MAYFLY_CLOUDRUN_JOB":          testJob,
		"MAYFLY_CLOUDRUN_TASK_TIMEOUT": "3600s",
		"MAYFLY_LOG_FORMAT":            "json",
		"MAYFLY_LOG_LEVEL":             "debug",
		"MAYFLY_CLOUDRUN_API_ENDPOINT": g.api.URL(),
		"GCE_METADATA_HOST":            g.metadata.Host(),
		// No gcloud credentials from a developer's home may interfere.
		"HOME": filepath.Join(t.TempDir(), "home"),
	}
}

// startService starts the receiver and returns it with its base URL.
func startService(t *testing.T, env map[string]string) (*proc, string) {
	t.Helper()
	p := start(t, env)
	r, err := p.log.waitFor(testCtx(t), "receiver listening")
	require.NoError(t, err)
	return p, "http://" + r.str("addr")
}

func postHook(ctx context.Context, url, action string, taskID int) (int, error) {
	body := fmt.Sprintf(`{"action":%q,"project_id":1,"task_id":%d,"template_id":1,"runner_id":1}`, action, taskID)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewBufferString(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// The receiver answers health checks, rejects a wrong secret, and turns a
// start into one jobs:run call authenticated with the metadata server's token.
func TestServiceStartsExecution(t *testing.T) {
	ctx := testCtx(t)
	g := newGoogle(t)
	p, base := startService(t, g.serviceEnv(t, "https://semaphore.example.com"))

	for _, path := range []string{"/health", "/healthz"} {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
	}
	code, err := postHook(ctx, base+"/hook/wrong-secret-0123456789", "start", 1)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, code)

	code, err = postHook(ctx, base+"/hook/"+testWebhookSecret, "start", 12)
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, code)
	code, err = postHook(ctx, base+"/hook?secret="+testWebhookSecret, "start", 13)
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, code)

	calls := g.api.Calls(":run")
	require.Len(t, calls, 2)
	assert.Equal(t, "/v2/"+testJob+":run", calls[0].Path)
	assert.Equal(t, "Bearer "+testAccessToken, calls[0].Auth)
	assert.Contains(t, string(calls[0].Body), `{"name":"MAYFLY_TASK_ID","value":"12"}`)
	assert.Contains(t, string(calls[0].Body), `"taskCount":1,"timeout":"3600s"`)
	assert.Zero(t, g.metadata.MissedHeader())

	p.signal(syscall.SIGTERM)
	assert.Equal(t, exitOK, p.wait(ctx))
	for _, r := range p.log.all() {
		assert.NotEmpty(t, r.str("severity"), "JSON with a severity: %v", r)
		assert.NotContains(t, fmt.Sprint(r), testWebhookSecret, "the secret is never logged")
	}
}

// A failing Admin API makes the webhook answer 502; a 503 is retried.
func TestServiceAPIErrors(t *testing.T) {
	ctx := testCtx(t)
	g := newGoogle(t)
	_, base := startService(t, g.serviceEnv(t, "https://semaphore.example.com"))
	hook := base + "/hook/" + testWebhookSecret

	g.api.FailRuns(cloudrunjobtest.Reply{Status: http.StatusForbidden})
	code, err := postHook(ctx, hook, "start", 1)
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadGateway, code)

	g.api.FailRuns(cloudrunjobtest.Reply{Status: http.StatusServiceUnavailable})
	code, err = postHook(ctx, hook, "start", 2)
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, code)
	assert.Len(t, g.api.Calls(":run"), 3)
}

// SIGTERM while a webhook waits for jobs:run: the webhook still gets its 204
// and the receiver exits 0.
func TestServiceShutdownFinishesInFlightWebhook(t *testing.T) {
	ctx := testCtx(t)
	g := newGoogle(t)
	p, base := startService(t, g.serviceEnv(t, "https://semaphore.example.com"))

	g.api.Hold()
	answered := make(chan int, 1)
	go func() {
		code, err := postHook(ctx, base+"/hook/"+testWebhookSecret, "start", 31)
		if err != nil {
			t.Errorf("in-flight webhook: %v", err)
		}
		answered <- code
	}()
	_, err := g.api.WaitCalls(ctx, ":run", 1)
	require.NoError(t, err)

	p.signal(syscall.SIGTERM)
	_, err = p.log.waitFor(ctx, "shutting down")
	require.NoError(t, err)
	// Shutdown closes the listener first: once new connections are refused,
	// the receiver is shutting down with the webhook still in flight.
	for {
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			break
		}
		conn.Close()
		select {
		case <-ctx.Done():
			t.Fatal("the receiver kept accepting connections after SIGTERM")
		case <-time.After(10 * time.Millisecond):
		}
	}
	select {
	case <-answered:
		t.Fatal("the webhook was answered before jobs:run returned")
	default:
	}
	g.api.Release()

	select {
	case code := <-answered:
		assert.Equal(t, http.StatusNoContent, code)
	case <-ctx.Done():
		t.Fatal("the in-flight webhook got no answer")
	}
	assert.Equal(t, exitOK, p.wait(ctx))
	_, err = p.log.waitFor(ctx, "receiver stopped")
	assert.NoError(t, err)
}

// A receiver without its job or secret refuses to start, naming the variable.
func TestServiceConfigErrors(t *testing.T) {
	g := newGoogle(t)
	for _, missing := range []string{"MAYFLY_CLOUDRUN_JOB", "MAYFLY_WEBHOOK_SECRET"} {
		env := g.serviceEnv(t, "https://semaphore.example.com")
		delete(env, missing)
		p := start(t, env)
		assert.Equal(t, exitConfig, p.wait(testCtx(t)), missing)
		assert.Contains(t, p.log.String(), missing)
	}
	env := g.serviceEnv(t, "https://semaphore.example.com")
	env["MAYFLY_CLOUDRUN_TASK_TIMEOUT"] = "one hour"
	p := start(t, env)
	assert.Equal(t, exitConfig, p.wait(testCtx(t)))
	assert.Contains(t, p.log.String(), "MAYFLY_CLOUDRUN_TASK_TIMEOUT")
}
