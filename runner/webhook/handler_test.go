package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret = "0123456789abcdef0123456789abcdef"

// fakeLauncher records launches and finishes.
type fakeLauncher struct {
	mu       sync.Mutex
	launched []Request
	finished []int
	err      error // returned by Launch
}

func (f *fakeLauncher) Launch(_ context.Context, r Request) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.launched = append(f.launched, r)
	return nil
}

func (f *fakeLauncher) Launches() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.launched...)
}

// finishingLauncher also implements Finisher.
type finishingLauncher struct {
	fakeLauncher
	finishErr error
}

func (f *finishingLauncher) Finish(_ context.Context, taskID int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finished = append(f.finished, taskID)
	return f.finishErr
}

// observed collects Observe calls.
type observed struct {
	mu    sync.Mutex
	calls []string
}

func (o *observed) observe(action, result string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, action+"/"+result)
}

func (o *observed) get() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.calls...)
}

var fixedNow = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

func newTestHandler(t *testing.T, l Launcher) (*Handler, *observed) {
	t.Helper()
	obs := &observed{}
	h, err := New(Options{Secret: testSecret, Launcher: l, Observe: obs.observe, Now: func() time.Time { return fixedNow }})
	require.NoError(t, err)
	return h, obs
}

const startBody = `{"action":"start","project_id":3,"task_id":41,"template_id":7,"runner_id":2}`

func TestHandlerAnswers(t *testing.T) {
	busy := fmt.Errorf("2 running, 0 queue slots: %w", ErrBusy)
	tests := []struct {
		name      string
		method    string
		target    string
		body      string
		launchErr error
		status    int
		errText   string // substring of {"error":...}; "" = no body
		observe   string
		launches  int
		finishes  []int
	}{
		{name: "start, secret in path", method: "POST", target: "/hook/" + testSecret, body: startBody,
			status: 204, observe: "start/accepted", launches: 1},
		{name: "start, secret in query", method: "POST", target: "/hook?secret=" + testSecret, body: startBody,
			status: 204, observe: "start/accepted", launches: 1},
		{name: "start, trailing slash", method: "POST", target: "/hook/" + testSecret + "/", body: startBody,
			status: 204, observe: "start/accepted", launches: 1},
		{name: "start, behind a path prefix", method: "POST", target: "/mayfly/hook/" + testSecret, body: startBody,
			status: 204, observe: "start/accepted", launches: 1},
		{name: "finish", method: "POST", target: "/hook/" + testSecret, body: `{"action":"finish","task_id":41}`,
			status: 204, observe: "finish/finished", finishes: []int{41}},
		{name: "wrong secret", method: "POST", target: "/hook/" + strings.Repeat("f", len(testSecret)), body: startBody,
			status: 401, errText: "wrong or missing webhook secret", observe: "/unauthorized"},
		{name: "secret prefix", method: "POST", target: "/hook/" + testSecret[:20], body: startBody,
			status: 401, errText: "wrong or missing webhook secret", observe: "/unauthorized"},
		{name: "secret with a suffix", method: "POST", target: "/hook/" + testSecret + "x", body: startBody,
			status: 401, errText: "wrong or missing webhook secret", observe: "/unauthorized"},
		{name: "no secret", method: "POST", target: "/hook", body: startBody,
			status: 401, errText: "wrong or missing webhook secret", observe: "/unauthorized"},
		{name: "empty secret", method: "POST", target: "/hook/", body: startBody,
			status: 401, errText: "wrong or missing webhook secret", observe: "/unauthorized"},
		{name: "wrong secret wins over wrong method", method: "GET", target: "/hook/nope",
			status: 401, errText: "wrong or missing webhook secret", observe: "/unauthorized"},
		{name: "GET", method: "GET", target: "/hook/" + testSecret,
			status: 405, errText: "method GET not allowed", observe: "/method_not_allowed"},
		{name: "PUT", method: "PUT", target: "/hook/" + testSecret, body: startBody,
			status: 405, errText: "method PUT not allowed", observe: "/method_not_allowed"},
		{name: "malformed JSON", method: "POST", target: "/hook/" + testSecret, body: `{"action":`,
			status: 400, errText: "malformed JSON", observe: "/bad_request"},
		{name: "missing task_id", method: "POST", target: "/hook/" + testSecret, body: `{"action":"start"}`,
			status: 400, errText: `missing field \"task_id\"`, observe: "/bad_request"},
		{name: "missing action", method: "POST", target: "/hook/" + testSecret, body: `{"task_id":4}`,
			status: 400, errText: `missing field \"action\"`, observe: "/bad_request"},
		{name: "unknown action", method: "POST", target: "/hook/" + testSecret, body: `{"action":"stop","task_id":4}`,
			status: 400, errText: `unknown action \"stop\"`, observe: "/bad_request"},
		{name: "empty body", method: "POST", target: "/hook/" + testSecret,
			status: 400, errText: "empty body", observe: "/bad_request"},
		{name: "body over the limit", method: "POST", target: "/hook/" + testSecret,
			body:   `{"action":"start","task_id":1,"x":"` + strings.Repeat("a", 2*MaxBodyBytes) + `"}`,
			status: 413, errText: "body over 4096 bytes", observe: "/too_large"},
		{name: "launcher busy", method: "POST", target: "/hook/" + testSecret, body: startBody, launchErr: busy,
			status: 503, errText: "2 running, 0 queue slots", observe: "start/busy"},
		{name: "launch failed", method: "POST", target: "/hook/" + testSecret, body: startBody, launchErr: errors.New("exec: no such file"),
			status: 502, errText: "could not launch a runner: exec: no such file", observe: "start/launch_failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &finishingLauncher{fakeLauncher: fakeLauncher{err: tt.launchErr}}
			h, obs := newTestHandler(t, l)
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req := httptest.NewRequest(tt.method, tt.target, body)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			assert.Equal(t, tt.status, rec.Code, rec.Body.String())
			assert.NotEqual(t, http.StatusAccepted, rec.Code)
			if tt.errText == "" {
				assert.Empty(t, rec.Body.String())
			} else {
				assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
				var e map[string]string
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e), rec.Body.String())
				assert.Contains(t, rec.Body.String(), tt.errText)
				assert.NotEmpty(t, e["error"])
			}
			assert.NotContains(t, rec.Body.String(), testSecret)
			if tt.status == 405 {
				assert.Equal(t, "POST", rec.Header().Get("Allow"))
			}
			assert.Equal(t, []string{tt.observe}, obs.get())
			assert.Len(t, l.Launches(), tt.launches)
			assert.Equal(t, tt.finishes, l.finished)
		})
	}
}

func TestHandlerLaunchRequest(t *testing.T) {
	l := &fakeLauncher{}
	h, _ := newTestHandler(t, l)
	resp := h.Handle(context.Background(), Call{Method: "POST", URL: mustURL("/hook/" + testSecret), Body: strings.NewReader(startBody)})
	require.Equal(t, 204, resp.Status)
	assert.Empty(t, resp.Body)
	assert.Equal(t, []Request{{TaskID: 41, ProjectID: 3, TemplateID: 7, RunnerID: 2, ReceivedAt: fixedNow}}, l.Launches())
}

// Transport-free callers (the Lambda function) may pass no body or URL.
func TestHandleNilBodyAndURL(t *testing.T) {
	h, _ := newTestHandler(t, &fakeLauncher{})
	assert.Equal(t, 401, h.Handle(context.Background(), Call{Method: "POST"}).Status)
	assert.Equal(t, 400, h.Handle(context.Background(), Call{Method: "POST", URL: mustURL("/hook/" + testSecret)}).Status)
}

func TestHandlerDeclaredLengthOverLimit(t *testing.T) {
	l := &fakeLauncher{}
	h, obs := newTestHandler(t, l)
	req := httptest.NewRequest("POST", "/hook/"+testSecret, strings.NewReader(startBody))
	req.ContentLength = MaxBodyBytes + 1
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, 413, rec.Code)
	assert.Equal(t, []string{"/too_large"}, obs.get())
	assert.Empty(t, l.Launches())
}

func TestFinishWithoutFinisher(t *testing.T) {
	l := &fakeLauncher{}
	h, obs := newTestHandler(t, l)
	resp := h.Handle(context.Background(), post(`{"action":"finish","task_id":9}`))
	assert.Equal(t, 204, resp.Status)
	assert.Equal(t, []string{"finish/finished"}, obs.get())
}

// A Finisher error is logged; Semaphore still gets 204 (2024 servers turn a
// failed finish into a failed task).
func TestFinishErrorStill204(t *testing.T) {
	l := &finishingLauncher{finishErr: errors.New("no such process")}
	h, _ := newTestHandler(t, l)
	assert.Equal(t, 204, h.Handle(context.Background(), post(`{"action":"finish","task_id":9}`)).Status)
	assert.Equal(t, []int{9}, l.finished)
}

func TestDuplicateStartLaunchesOnce(t *testing.T) {
	l := &fakeLauncher{}
	h, obs := newTestHandler(t, l)
	var wg sync.WaitGroup
	statuses := make([]int, 50)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = h.Handle(context.Background(), post(startBody)).Status
		}()
	}
	wg.Wait()
	for _, s := range statuses {
		assert.Equal(t, 204, s)
	}
	assert.Len(t, l.Launches(), 1)
	calls := obs.get()
	assert.Equal(t, 49, count(calls, "start/duplicate"))
	assert.Equal(t, 1, count(calls, "start/accepted"))
}

// A start that failed is forgotten, so that Semaphore's next dispatch of the
// task (or a manual retry) launches.
func TestFailedLaunchIsNotRemembered(t *testing.T) {
	l := &fakeLauncher{err: ErrBusy}
	h, _ := newTestHandler(t, l)
	assert.Equal(t, 503, h.Handle(context.Background(), post(startBody)).Status)
	l.mu.Lock()
	l.err = nil
	l.mu.Unlock()
	assert.Equal(t, 204, h.Handle(context.Background(), post(startBody)).Status)
	assert.Len(t, l.Launches(), 1)
}

func TestStartAfterFinishDoesNotLaunch(t *testing.T) {
	l := &finishingLauncher{}
	h, obs := newTestHandler(t, l)
	assert.Equal(t, 204, h.Handle(context.Background(), post(`{"action":"finish","task_id":41}`)).Status)
	assert.Equal(t, 204, h.Handle(context.Background(), post(startBody)).Status)
	assert.Empty(t, l.Launches())
	assert.Equal(t, []string{"finish/finished", "start/duplicate"}, obs.get())
}

func TestDedupWindowExpires(t *testing.T) {
	l := &fakeLauncher{}
	now := fixedNow
	var mu sync.Mutex
	h, err := New(Options{Secret: testSecret, Launcher: l, DedupWindow: time.Minute,
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	require.NoError(t, err)
	assert.Equal(t, 204, h.Handle(context.Background(), post(startBody)).Status)
	mu.Lock()
	now = now.Add(30 * time.Second)
	mu.Unlock()
	assert.Equal(t, 204, h.Handle(context.Background(), post(startBody)).Status)
	assert.Len(t, l.Launches(), 1, "within the window")
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	assert.Equal(t, 204, h.Handle(context.Background(), post(startBody)).Status)
	assert.Len(t, l.Launches(), 2, "after the window")
	h.mu.Lock()
	assert.Len(t, h.seen, 1, "expired ids are pruned")
	h.mu.Unlock()
}

func TestNewValidates(t *testing.T) {
	_, err := New(Options{Secret: "short", Launcher: &fakeLauncher{}})
	assert.ErrorContains(t, err, "at least 16 characters")
	_, err = New(Options{Secret: testSecret})
	assert.ErrorContains(t, err, "no launcher")
	h, err := New(Options{Secret: testSecret, Launcher: &fakeLauncher{}})
	require.NoError(t, err)
	assert.Equal(t, 204, h.Handle(context.Background(), post(startBody)).Status, "defaults work")
}

func TestSecretFromURL(t *testing.T) {
	for target, want := range map[string]string{
		"/hook/abc":             "abc",
		"/hook/abc/":            "abc",
		"/x/hook/abc":           "abc",
		"/hook?secret=q":        "q",
		"/hook/p?secret=q":      "q",
		"/hook/a%2Fb":           "a/b",
		"/other/abc":            "",
		"/hook":                 "",
		"/hook/hook/abc":        "abc",
		"/hook?secret=&x=1":     "",
		"/hook/abc?secret=":     "abc",
		"/hook/abc?Secret=nope": "abc",
	} {
		assert.Equal(t, want, Secret(mustURL(target)), target)
	}
	assert.Empty(t, Secret(nil))
}

// Bad input of every kind gets a 4xx and never panics, including over a
// real HTTP connection with a body that lies about its length.
func TestBadInputOverHTTP(t *testing.T) {
	l := &fakeLauncher{}
	h, _ := newTestHandler(t, l)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, c := range []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/hook/" + testSecret, "\x00\xff\xfe", 400},
		{"POST", "/hook/" + testSecret, strings.Repeat("[", 10000), 413},
		{"POST", "/hook/" + testSecret, strings.Repeat("[", 1000), 400},
		{"POST", "/hook/" + testSecret, `{"action":"start","task_id":99999999999999999999}`, 400},
		{"DELETE", "/hook/" + testSecret, "", 405},
		{"POST", "/hook/" + url.PathEscape("../../etc/passwd"), startBody, 401},
	} {
		req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
		require.NoError(t, err)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, c.status, resp.StatusCode, "%s %q", c.method, c.body)
	}
	assert.Empty(t, l.Launches())
}

func post(body string) Call {
	return Call{Method: "POST", URL: mustURL("/hook/" + testSecret), Body: strings.NewReader(body)}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func count(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}
