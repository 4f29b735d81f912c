package cloudrunjob_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/infra/launcher/cloudrunjob"
	"github.com/mayfly-dev/mayfly/infra/launcher/cloudrunjob/cloudrunjobtest"
	"github.com/mayfly-dev/mayfly/runner/webhook"
)

const (
	testJob    = "projects/p1/locations/europe-west1/jobs/mayfly-worker"
	testToken  = "ya29.test-access-token"
	testSecret = "0123456789abcdef0123456789abcdef"
)

// metadata is the process-wide stand-in metadata server. The metadata client
// memoises "on GCE" for the process, so GCE_METADATA_HOST is set before any
// test runs and never changes.
var metadata *cloudrunjobtest.Metadata

func TestMain(m *testing.M) {
	metadata = cloudrunjobtest.NewMetadata(testToken)
	home, err := os.MkdirTemp("", "cloudrunjob-home-")
	if err != nil {
		panic(err)
	}
	// Only the stand-in may provide credentials: no key file, no gcloud
	// application-default credentials from the developer's home.
	os.Unsetenv("GOOGLE_APPLICATION_CREDENTIALS")
	os.Setenv("HOME", home)
	os.Setenv("GCE_METADATA_HOST", metadata.Host())
	code := m.Run()
	metadata.Close()
	os.RemoveAll(home)
	os.Exit(code)
}

// env is an Admin API stand-in and a launcher pointed at it, authenticated
// through the metadata stand-in.
type env struct {
	api      *cloudrunjobtest.AdminAPI
	launcher *cloudrunjob.Launcher
}

func newEnv(t *testing.T, mutate ...func(*cloudrunjob.Options)) *env {
	t.Helper()
	api := cloudrunjobtest.NewAdminAPI()
	t.Cleanup(api.Close)
	o := cloudrunjob.Options{
		Job:         testJob,
		TaskTimeout: time.Hour,
		Endpoint:    api.URL(),
		UserAgent:   "mayfly-test",
		Sleep:       func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	}
	for _, f := range mutate {
		f(&o)
	}
	l, err := cloudrunjob.New(testCtx(t), o)
	require.NoError(t, err)
	return &env{api: api, launcher: l}
}

// receiver serves the webhook handler with e's launcher on 127.0.0.1.
func (e *env) receiver(t *testing.T) string {
	t.Helper()
	h, err := webhook.New(webhook.Options{Secret: testSecret, Launcher: e.launcher})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/hook/" + url.PathEscape(testSecret)
}

// post sends one webhook like Semaphore does and returns the status.
func post(t *testing.T, hookURL, action string, taskID int) int {
	t.Helper()
	body := fmt.Sprintf(`{"action":%q,"project_id":1,"task_id":%d,"template_id":2,"runner_id":3}`, action, taskID)
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodPost, hookURL, bytes.NewBufferString(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	return resp.StatusCode
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
