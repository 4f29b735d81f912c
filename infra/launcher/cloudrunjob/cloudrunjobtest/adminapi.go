package cloudrunjobtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Call is one request the Admin API stand-in received.
type Call struct {
	Method string
	Path   string // e.g. /v2/projects/p/locations/l/jobs/j:run
	Auth   string // the Authorization header
	Body   []byte
}

// Reply is a scripted answer to a jobs:run call (see FailRuns).
type Reply struct {
	Status int    // HTTP status of the answer
	Body   string // answer body; default a Google error object for Status
	Reset  bool   // close the connection after reading the request, without answering
}

// Execution is the stand-in's state of one execution.
type Execution struct {
	Name      string
	Env       map[string]string // the container override's env
	Timeout   string            // the override's timeout
	Completed bool
	Cancelled bool
}

// AdminAPI is a stand-in for the Cloud Run Admin API v2: jobs:run,
// executions.get and executions:cancel on any job name.
type AdminAPI struct {
	srv *httptest.Server

	mu         sync.Mutex
	calls      []Call
	replies    []Reply
	hold       chan struct{} // non-nil: jobs:run answers wait until it is closed
	onRun      func(Execution)
	executions map[string]*Execution
	nextExec   int
	changed    chan struct{} // closed and replaced on every call
}

// NewAdminAPI starts the stand-in on 127.0.0.1.
func NewAdminAPI() *AdminAPI {
	a := &AdminAPI{executions: map[string]*Execution{}, changed: make(chan struct{})}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	return a
}

// URL is the base URL, for cloudrunjob.Options.Endpoint.
func (a *AdminAPI) URL() string { return a.srv.URL }

// Close releases held calls and stops the server.
func (a *AdminAPI) Close() {
	a.Release()
	a.srv.Close()
}

// FailRuns scripts the answers of the next jobs:run calls, in order; calls
// after them succeed.
func (a *AdminAPI) FailRuns(replies ...Reply) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.replies = append(a.replies, replies...)
}

// Hold makes jobs:run calls wait before answering until Release.
func (a *AdminAPI) Hold() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.hold == nil {
		a.hold = make(chan struct{})
	}
}

// Release lets held jobs:run calls answer.
func (a *AdminAPI) Release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.hold != nil {
		close(a.hold)
		a.hold = nil
	}
}

// OnRun sets a hook called (in its own goroutine) for every execution
// started, e.g. to start the job's container as a process.
func (a *AdminAPI) OnRun(f func(Execution)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.onRun = f
}

// Complete marks an execution completed, as Cloud Run does when its task exits.
func (a *AdminAPI) Complete(name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if e := a.executions[name]; e != nil {
		e.Completed = true
	}
}

// Execution returns the state of an execution.
func (a *AdminAPI) Execution(name string) (Execution, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.executions[name]
	if e == nil {
		return Execution{}, false
	}
	return *e, true
}

// Calls returns every call received, in order; suffix filters by the end of
// the path (":run", ":cancel"), "" returns all.
func (a *AdminAPI) Calls(suffix string) []Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Call
	for _, c := range a.calls {
		if strings.HasSuffix(c.Path, suffix) {
			out = append(out, c)
		}
	}
	return out
}

// WaitCalls blocks until at least n calls whose path ends in suffix arrived.
func (a *AdminAPI) WaitCalls(ctx context.Context, suffix string, n int) ([]Call, error) {
	for {
		a.mu.Lock()
		ch := a.changed
		a.mu.Unlock()
		if calls := a.Calls(suffix); len(calls) >= n {
			return calls, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return a.Calls(suffix), fmt.Errorf("cloudrunjobtest: waiting for %d %q calls: %w", n, suffix, ctx.Err())
		}
	}
}

func (a *AdminAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.calls = append(a.calls, Call{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Body: body})
	close(a.changed)
	a.changed = make(chan struct{})
	a.mu.Unlock()

	path := strings.TrimPrefix(r.URL.Path, "/v2/")
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(path, ":run") && strings.Contains(path, "/jobs/"):
		a.run(w, r, strings.TrimSuffix(path, ":run"), body)
	case r.Method == http.MethodPost && strings.HasSuffix(path, ":cancel") && strings.Contains(path, "/executions/"):
		a.cancel(w, strings.TrimSuffix(path, ":cancel"))
	case r.Method == http.MethodGet && strings.Contains(path, "/executions/"):
		a.get(w, path)
	default:
		googleError(w, http.StatusNotFound, "NOT_FOUND", "no such method: "+r.Method+" "+r.URL.Path)
	}
}

func (a *AdminAPI) run(w http.ResponseWriter, r *http.Request, job string, body []byte) {
	a.mu.Lock()
	hold := a.hold
	var reply *Reply
	if len(a.replies) > 0 {
		reply = &a.replies[0]
		a.replies = a.replies[1:]
	}
	a.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	if reply != nil {
		if reply.Reset {
			resetConn(w)
			return
		}
		if reply.Body != "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(reply.Status)
			_, _ = w.Write([]byte(reply.Body))
			return
		}
		googleError(w, reply.Status, http.StatusText(reply.Status), "scripted failure")
		return
	}

	var req struct {
		Overrides struct {
			ContainerOverrides []struct {
				Env []struct{ Name, Value string } `json:"env"`
			} `json:"containerOverrides"`
			Timeout string `json:"timeout"`
		} `json:"overrides"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalid JSON: "+err.Error())
		return
	}
	ex := Execution{Env: map[string]string{}, Timeout: req.Overrides.Timeout}
	for _, co := range req.Overrides.ContainerOverrides {
		for _, e := range co.Env {
			ex.Env[e.Name] = e.Value
		}
	}
	a.mu.Lock()
	a.nextExec++
	short := job[strings.LastIndex(job, "/")+1:]
	ex.Name = fmt.Sprintf("%s/executions/%s-%05d", job, short, a.nextExec)
	stored := ex
	a.executions[ex.Name] = &stored
	onRun := a.onRun
	a.mu.Unlock()
	if onRun != nil {
		go onRun(ex)
	}
	location := job[:strings.Index(job, "/jobs/")]
	writeJSON(w, map[string]any{
		"name": fmt.Sprintf("%s/operations/op-%d", location, time.Now().UnixNano()),
		"metadata": map[string]any{
			"@type": "type.googleapis.com/google.cloud.run.v2.Execution",
			"name":  ex.Name,
			"job":   short,
		},
		"done": false,
	})
}

func (a *AdminAPI) get(w http.ResponseWriter, name string) {
	a.mu.Lock()
	e := a.executions[name]
	var out map[string]any
	if e != nil {
		out = map[string]any{"name": e.Name}
		if e.Completed {
			out["completionTime"] = "2026-01-01T00:00:00Z"
		}
	}
	a.mu.Unlock()
	if out == nil {
		googleError(w, http.StatusNotFound, "NOT_FOUND", "execution not found")
		return
	}
	writeJSON(w, out)
}

func (a *AdminAPI) cancel(w http.ResponseWriter, name string) {
	a.mu.Lock()
	e := a.executions[name]
	state := "missing"
	if e != nil {
		state = "done"
		if !e.Completed {
			state = "cancelled"
			e.Completed, e.Cancelled = true, true
		}
	}
	a.mu.Unlock()
	switch state {
	case "missing":
		googleError(w, http.StatusNotFound, "NOT_FOUND", "execution not found")
	case "done":
		googleError(w, http.StatusBadRequest, "FAILED_PRECONDITION", "execution has already completed")
	default:
		writeJSON(w, map[string]any{"name": name + "/operations/cancel", "done": false})
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func googleError(w http.ResponseWriter, code int, status, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "status": status, "message": msg}})
}

// resetConn closes the connection without answering.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("cloudrunjobtest: connection cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}
