package api_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
)

const waitTimeout = 10 * time.Second // safety net only

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

func newServer(t *testing.T, v semaphoretest.Variant) *semaphoretest.Server {
	t.Helper()
	s := semaphoretest.New(semaphoretest.Options{Variant: v})
	t.Cleanup(s.Close)
	return s
}

func newClient(t *testing.T, o api.Options) *api.Client {
	t.Helper()
	c, err := api.New(o)
	require.NoError(t, err)
	return c
}

func sampleJob() api.JobData {
	return api.JobData{
		Username:            "admin",
		Task:                api.Task{TemplateID: 7, ProjectID: 3},
		Template:            api.Template{ID: 7, ProjectID: 3, App: "bash", Playbook: "run.sh"},
		InventoryRepository: &api.Repository{ID: 8, GitURL: "file:///inv"},
		Repository:          api.Repository{ID: 2, GitURL: "file:///repo", SSHKeyID: 5},
	}
}

// assignedTask adds a task to runnerID and waits until polls can see it.
func assignedTask(t *testing.T, s *semaphoretest.Server, runnerID int) int {
	t.Helper()
	id := s.AddTask(runnerID, sampleJob(), api.AccessKey{ID: 5, Name: "repo", Type: api.KeyString, String: "abc"})
	_, err := s.WaitTask(ctxT(t), id, func(i semaphoretest.TaskInfo) bool { return i.Assigned })
	require.NoError(t, err)
	return id
}

// headerLog records the given header of every request, by method.
type headerLog struct {
	mu   sync.Mutex
	seen map[string][]string
}

func recordHeader(s *semaphoretest.Server, name string) *headerLog {
	h := &headerLog{seen: map[string][]string{}}
	s.SetFaultHook(func(r *http.Request) semaphoretest.Fault {
		h.mu.Lock()
		defer h.mu.Unlock()
		v, ok := r.Header[http.CanonicalHeaderKey(name)]
		if !ok {
			v = []string{"<absent>"}
		}
		h.seen[r.Method] = append(h.seen[r.Method], v...)
		return semaphoretest.Fault{}
	})
	return h
}

func (h *headerLog) get(method string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.seen[method]...)
}

func TestNewValidatesServerURL(t *testing.T) {
	tests := []struct {
		url, want, wantErr string
	}{
		{url: "http://127.0.0.1:3000", want: "http://127.0.0.1:3000/api/internal/runners"},
		{url: "http://127.0.0.1:3000/", want: "http://127.0.0.1:3000/api/internal/runners"},
		{url: "https://ci.example.com/semaphore/", want: "https://ci.example.com/semaphore/api/internal/runners"},
		{url: "https://ci.example.com/semaphore", want: "https://ci.example.com/semaphore/api/internal/runners"},
		{url: "", wantErr: "empty"},
		{url: "ftp://example.com", wantErr: "scheme must be http or https"},
		{url: "127.0.0.1:3000", wantErr: "invalid server URL"},
		{url: "http://", wantErr: "no host"},
		{url: "http://h/?a=b", wantErr: "query"},
		{url: "http://[::1", wantErr: "invalid server URL"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			c, err := api.New(api.Options{ServerURL: tc.url})
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.Endpoint())
		})
	}
}

func TestRegister(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	c := newClient(t, api.Options{ServerURL: s.URL() + "/"})
	token, err := c.Register(ctxT(t), api.RegisterRequest{RegistrationToken: semaphoretest.DefaultRegistrationToken,
		Name: "mayfly", Tags: []string{"lambda"}, Webhook: "https://hook.example/x", Enabled: true})
	require.NoError(t, err)
	runners := s.Runners()
	require.Len(t, runners, 1)
	assert.Equal(t, token, runners[0].Token)
	assert.Equal(t, "mayfly", runners[0].Name)
	assert.Equal(t, "https://hook.example/x", runners[0].Webhook)
	assert.True(t, runners[0].Active)

	_, err = c.Register(ctxT(t), api.RegisterRequest{RegistrationToken: "wrong"})
	require.ErrorIs(t, err, api.ErrRegistrationRejected)
	assert.NotErrorIs(t, err, api.ErrUnauthorized)
	assert.False(t, api.Retryable(err))
	assert.EqualError(t, err, "api: register: 400 Invalid registration token")
	assert.NotContains(t, err.Error(), "wrong")
}

func TestRegisterSendsNoTokenHeader(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	h := recordHeader(s, api.HeaderToken)
	c := newClient(t, api.Options{ServerURL: s.URL(), Token: "stale"})
	_, err := c.Register(ctxT(t), api.RegisterRequest{RegistrationToken: semaphoretest.DefaultRegistrationToken})
	require.NoError(t, err)
	assert.Equal(t, []string{"<absent>"}, h.get(http.MethodPost))
}

func TestPollEmptyHasNullArrays(t *testing.T) {
	s := newServer(t, semaphoretest.V2024)
	_, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	st, err := newClient(t, api.Options{ServerURL: s.URL(), Token: token}).Poll(ctxT(t))
	require.NoError(t, err)
	assert.Nil(t, st.CurrentJobs)
	assert.Nil(t, st.NewJobs)
	assert.NotNil(t, st.AccessKeys)
	assert.Empty(t, st.AccessKeys)
}

func TestPollNewJobsAndCurrentJobs(t *testing.T) {
	for _, v := range []semaphoretest.Variant{semaphoretest.V2024, semaphoretest.V2025, semaphoretest.V2026} {
		t.Run(v.String(), func(t *testing.T) {
			s := newServer(t, v)
			rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
			c := newClient(t, api.Options{ServerURL: s.URL(), Token: token})
			id := assignedTask(t, s, rid)

			st, err := c.Poll(ctxT(t))
			require.NoError(t, err)
			require.Len(t, st.NewJobs, 1)
			job := st.NewJobs[0]
			assert.Equal(t, id, job.Task.ID)
			assert.Equal(t, api.StatusStarting, job.Task.Status)
			assert.Equal(t, "admin", job.Username, "capitalised Username key")
			require.NotNil(t, job.InventoryRepository)
			assert.Equal(t, "file:///inv", job.InventoryRepository.GitURL)
			assert.Equal(t, "abc", st.AccessKeys["5"].String, "access_keys keyed by id strings")

			_, err = c.Progress(ctxT(t), api.ProgressRequest{Jobs: []api.JobProgress{{ID: id, Status: api.StatusRunning}}})
			require.NoError(t, err)
			st, err = c.Poll(ctxT(t))
			require.NoError(t, err)
			assert.Nil(t, st.NewJobs)
			assert.Equal(t, []api.CurrentJob{{ID: id, Status: api.StatusRunning}}, st.CurrentJobs)
		})
	}
}

func TestProgress(t *testing.T) {
	tests := []struct {
		v              semaphoretest.Variant
		wantTerminated []int
	}{
		{semaphoretest.V2024, nil},      // 204 and the task just vanishes
		{semaphoretest.V2026, []int{1}}, // 200 {"terminated_jobs":[1]}
	}
	for _, tc := range tests {
		t.Run(tc.v.String(), func(t *testing.T) {
			s := newServer(t, tc.v)
			rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
			c := newClient(t, api.Options{ServerURL: s.URL(), Token: token})
			id := assignedTask(t, s, rid)
			require.Equal(t, 1, id)

			ts := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
			resp, err := c.Progress(ctxT(t), api.ProgressRequest{Jobs: []api.JobProgress{{ID: id, Status: api.StatusRunning,
				LogRecords: []api.LogRecord{{Time: ts, Message: "one"}, {Time: ts, Message: "two"}},
				Commit:     &api.Commit{Hash: "abc", Message: "init"}}}})
			require.NoError(t, err)
			assert.Empty(t, resp.TerminatedJobs)
			info := s.Task(id)
			assert.Equal(t, api.StatusRunning, info.Status)
			assert.Equal(t, []string{"one", "two"}, s.Messages(id))

			resp, err = c.Progress(ctxT(t), api.ProgressRequest{})
			require.NoError(t, err, "Jobs null")
			assert.Empty(t, resp.TerminatedJobs)

			s.Stop(id, true)
			resp, err = c.Progress(ctxT(t), api.ProgressRequest{Jobs: []api.JobProgress{{ID: id, Status: api.StatusRunning}}})
			require.NoError(t, err)
			assert.Equal(t, tc.wantTerminated, resp.TerminatedJobs)
		})
	}
}

func TestUnregister(t *testing.T) {
	s := newServer(t, semaphoretest.V2026)
	rid, token := s.AddRunner(semaphoretest.RunnerSpec{Active: true})
	h := recordHeader(s, api.HeaderToken)
	c := newClient(t, api.Options{ServerURL: s.URL(), Token: token})
	require.NoError(t, c.Unregister(ctxT(t)))
	assert.Equal(t, []string{token}, h.get(http.MethodDelete), "DELETE carries the token")
	r, _ := s.Runner(rid)
	assert.True(t, r.Deleted)
	require.NoError(t, c.Unregister(ctxT(t)), "404: already gone")

	_, err := c.Poll(ctxT(t))
	require.ErrorIs(t, err, api.ErrUnauthorized)
}
