package semaphoretest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
)

// waitTimeout is only a safety net against hangs, never a timed assertion.
const waitTimeout = 10 * time.Second

func newServer(t *testing.T, v semaphoretest.Variant) *semaphoretest.Server {
	t.Helper()
	s := semaphoretest.New(semaphoretest.Options{Variant: v})
	t.Cleanup(s.Close)
	return s
}

func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// call sends a raw request to the runner endpoint.
func call(t *testing.T, s *semaphoretest.Server, method, token string, body any, headers ...string) answer {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(waitCtx(t), method, s.URL()+api.Endpoint, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set(api.HeaderToken, token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, header: resp.Header, body: raw}
}

// poll GETs and decodes the runner state.
func poll(t *testing.T, s *semaphoretest.Server, token string, headers ...string) api.RunnerState {
	t.Helper()
	a := call(t, s, http.MethodGet, token, nil, headers...)
	require.Equal(t, http.StatusOK, a.status, string(a.body))
	var st api.RunnerState
	require.NoError(t, json.Unmarshal(a.body, &st))
	return st
}

// report PUTs one job's status with log lines.
func report(t *testing.T, s *semaphoretest.Server, token string, id int, st api.Status, lines ...string) answer {
	t.Helper()
	jp := api.JobProgress{ID: id, Status: st}
	for _, l := range lines {
		jp.LogRecords = append(jp.LogRecords, api.LogRecord{Time: time.Now(), Message: l})
	}
	return call(t, s, http.MethodPut, token, api.ProgressRequest{Jobs: []api.JobProgress{jp}})
}

func sampleJob() api.JobData {
	v := "1.2.3"
	return api.JobData{
		Username:            "admin",
		IncomingVersion:     &v,
		Task:                api.Task{ID: 999, TemplateID: 7, ProjectID: 3, Playbook: "site.yml"},
		Template:            api.Template{ID: 7, ProjectID: 3, App: "ansible"},
		Inventory:           api.Inventory{ID: 4},
		InventoryRepository: &api.Repository{ID: 8, GitURL: "file:///inv"},
		Repository:          api.Repository{ID: 2, GitURL: "file:///repo", SSHKeyID: 5},
	}
}

func sampleKey() api.AccessKey {
	return api.AccessKey{ID: 5, Name: "repo", Type: api.KeyNone}
}

// addRunning adds a task to a webhook-less runner and reports it running.
func addRunning(t *testing.T, s *semaphoretest.Server, runnerID int, token string) int {
	t.Helper()
	id := s.AddTask(runnerID, sampleJob(), sampleKey())
	_, err := s.WaitTask(waitCtx(t), id, func(i semaphoretest.TaskInfo) bool { return i.Assigned })
	require.NoError(t, err)
	a := report(t, s, token, id, api.StatusRunning, "started")
	require.Less(t, a.status, 300, string(a.body))
	require.Equal(t, api.StatusRunning, s.Task(id).Status)
	return id
}

// webhookRecorder is a runner webhook answering with code, optionally
// blocking each call until release is closed.
type webhookRecorder struct {
	srv     *httptest.Server
	calls   chan map[string]any
	release chan struct{}
	once    sync.Once
}

func (w *webhookRecorder) Release() { w.once.Do(func() { close(w.release) }) }

func newWebhook(t *testing.T, code int, block bool) *webhookRecorder {
	t.Helper()
	w := &webhookRecorder{calls: make(chan map[string]any, 16), release: make(chan struct{})}
	if !block {
		w.Release()
	}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		body["content_type"] = r.Header.Get("Content-Type")
		w.calls <- body
		select {
		case <-w.release:
		case <-r.Context().Done():
		}
		rw.WriteHeader(code)
	}))
	t.Cleanup(w.srv.Close)
	t.Cleanup(w.Release) // runs first: never leave a handler blocked
	return w
}
