package cloudrunjob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/mayfly-dev/mayfly/runner/webhook"
	"github.com/mayfly-dev/mayfly/terraform/contract"
)

// DefaultEndpoint is the Cloud Run Admin API.
const DefaultEndpoint = "https://run.googleapis.com"

// Scope is the OAuth scope of the Admin API calls.
const Scope = "https://www.googleapis.com/auth/cloud-platform"

// MaxTaskTimeout is the longest task timeout Cloud Run Jobs allow (168 h).
const MaxTaskTimeout = 168 * time.Hour

// jobName is the full name of a Cloud Run job.
var jobName = regexp.MustCompile(`^projects/[^/]+/locations/[^/]+/jobs/[^/:]+$`)

// Options configure a Launcher.
type Options struct {
	// Job is the worker job's full name, projects/P/locations/L/jobs/J.
	Job string
	// TaskTimeout overrides the execution's task timeout; 0 keeps the job's.
	TaskTimeout time.Duration
	// Endpoint is the Admin API base URL; default DefaultEndpoint.
	Endpoint string
	// TokenSource authenticates the calls; nil means Google default
	// credentials (on Cloud Run: the metadata server).
	TokenSource oauth2.TokenSource
	// HTTPClient sends the calls; default a client with its own transport.
	HTTPClient *http.Client
	Logger     *slog.Logger
	UserAgent  string
	// Timeout bounds one Launch or the cancel of Finish, retries included;
	// default 30s (the receiver service's request timeout is 60s).
	Timeout time.Duration
	// AttemptTimeout bounds one HTTP request; default 15s.
	AttemptTimeout time.Duration
	// MaxAttempts bounds the tries of one call; default 4.
	MaxAttempts int
	// BaseBackoff and MaxBackoff shape the waits between tries; defaults
	// 250ms and 2s.
	BaseBackoff, MaxBackoff time.Duration
	// FinishGrace is how long Finish lets an execution end on its own before
	// cancelling it; default 10s, negative cancels at once.
	FinishGrace time.Duration
	// FinishPoll is the interval of executions.get during FinishGrace; default 1s.
	FinishPoll time.Duration
	// Sleep waits between tries and polls; injectable for tests.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is time.Now, injectable.
	Now func() time.Time
}

// Launcher starts Cloud Run Job executions. It is safe for concurrent use.
type Launcher struct {
	o      Options
	runURL string
	ts     oauth2.TokenSource
	hc     *http.Client

	mu         sync.Mutex
	executions map[int]started // task id → the execution started for it
}

type started struct {
	name string
	at   time.Time
}

var (
	_ webhook.Launcher = (*Launcher)(nil)
	_ webhook.Finisher = (*Launcher)(nil)
)

// New checks o and returns a Launcher. Without o.TokenSource it looks up
// Google default credentials once.
func New(ctx context.Context, o Options) (*Launcher, error) {
	if !jobName.MatchString(o.Job) {
		return nil, fmt.Errorf("cloudrunjob: job %q is not a full job name projects/P/locations/L/jobs/J (%s)", o.Job, contract.CloudRunJob)
	}
	if o.TaskTimeout < 0 || o.TaskTimeout > MaxTaskTimeout || (o.TaskTimeout > 0 && o.TaskTimeout < time.Second) {
		return nil, fmt.Errorf("cloudrunjob: task timeout %s is out of range: want 1s to %s, or 0 for the job's own (%s)", o.TaskTimeout, MaxTaskTimeout, contract.CloudRunTaskTimeout)
	}
	if o.Endpoint == "" {
		o.Endpoint = DefaultEndpoint
	}
	o.Endpoint = strings.TrimRight(o.Endpoint, "/")
	if u, err := url.Parse(o.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("cloudrunjob: endpoint %q is not an http(s) URL", o.Endpoint)
	}
	o.defaults()
	l := &Launcher{o: o, runURL: o.Endpoint + "/v2/" + o.Job + ":run", ts: o.TokenSource, hc: o.HTTPClient,
		executions: map[int]started{}}
	if l.ts == nil {
		creds, err := google.FindDefaultCredentials(ctx, Scope)
		if err != nil {
			return nil, fmt.Errorf("cloudrunjob: no Google credentials: %w", err)
		}
		l.ts = creds.TokenSource
	}
	return l, nil
}

func (o *Options) defaults() {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 15 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 4
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 250 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 2 * time.Second
	}
	if o.FinishGrace == 0 {
		o.FinishGrace = 10 * time.Second
	}
	if o.FinishPoll <= 0 {
		o.FinishPoll = time.Second
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Wire types of the Admin API v2 (only the fields used).
type (
	runJobRequest struct {
		Overrides overrides `json:"overrides"`
	}
	overrides struct {
		ContainerOverrides []containerOverride `json:"containerOverrides"`
		TaskCount          int                 `json:"taskCount"`
		Timeout            string              `json:"timeout,omitempty"`
	}
	containerOverride struct {
		Env []envVar `json:"env"`
	}
	envVar struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	// operation is the answer of jobs:run; its metadata is the Execution.
	operation struct {
		Name     string    `json:"name"`
		Metadata execution `json:"metadata"`
	}
	execution struct {
		Name           string `json:"name"`
		CompletionTime string `json:"completionTime"`
	}
)

// Launch starts one execution of the job bound to r.TaskID and returns once
// the API accepted it.
func (l *Launcher) Launch(ctx context.Context, r webhook.Request) error {
	if r.TaskID <= 0 {
		return fmt.Errorf("cloudrunjob: task id %d is not positive", r.TaskID)
	}
	ctx, cancel := context.WithTimeout(ctx, l.o.Timeout)
	defer cancel()
	body, err := json.Marshal(l.runRequest(r))
	if err != nil {
		return fmt.Errorf("cloudrunjob: %w", err)
	}
	resp, err := l.do(ctx, call{op: "jobs:run", method: http.MethodPost, url: l.runURL, body: body})
	if err != nil {
		return fmt.Errorf("cloudrunjob: start an execution of %s for task %d: %w", l.o.Job, r.TaskID, err)
	}
	log := l.o.Logger.With("task", r.TaskID)
	var op operation
	_ = json.Unmarshal(resp, &op)
	name := op.Metadata.Name
	if !strings.HasPrefix(name, l.o.Job+"/executions/") {
		log.Warn("jobs:run answered without an execution name of this job; finish cannot cancel it", "operation", op.Name)
		return nil
	}
	l.remember(r.TaskID, name)
	log.Info("Cloud Run execution started", "execution", name)
	return nil
}

// runRequest is the jobs:run body for r.
func (l *Launcher) runRequest(r webhook.Request) runJobRequest {
	env := []envVar{{Name: contract.TaskID, Value: strconv.Itoa(r.TaskID)}}
	if !r.ReceivedAt.IsZero() {
		env = append(env, envVar{Name: contract.ReceivedAt, Value: r.ReceivedAt.UTC().Format(time.RFC3339Nano)})
	}
	o := overrides{ContainerOverrides: []containerOverride{{Env: env}}, TaskCount: 1}
	if t := l.o.TaskTimeout; t > 0 {
		o.Timeout = strconv.FormatInt(int64((t+time.Second-1)/time.Second), 10) + "s"
	}
	return runJobRequest{Overrides: o}
}

// Finish cancels the execution started for taskID if it is still running
// after Options.FinishGrace. Best effort: see the package documentation.
func (l *Launcher) Finish(ctx context.Context, taskID int) error {
	name, ok := l.take(taskID)
	log := l.o.Logger.With("task", taskID)
	if !ok {
		log.Debug("finish: this instance started no execution for the task")
		return nil
	}
	log = log.With("execution", name)
	ended, err := l.awaitEnd(ctx, name)
	switch {
	case ended:
		log.Debug("finish: the execution ended on its own")
		return nil
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("cloudrunjob: finish task %d: %w", taskID, err)
	case err != nil:
		log.Debug("finish: cannot read the execution; cancelling it", "err", err)
	}
	cctx, cancel := context.WithTimeout(ctx, l.o.Timeout)
	defer cancel()
	_, err = l.do(cctx, call{op: "executions:cancel", method: http.MethodPost, url: l.o.Endpoint + "/v2/" + name + ":cancel",
		body: []byte("{}"), idempotent: true})
	var apiErr *APIError
	if errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusNotFound || apiErr.Status == "FAILED_PRECONDITION") {
		log.Debug("finish: the execution had already ended", "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("cloudrunjob: cancel %s (task %d): %w", name, taskID, err)
	}
	log.Info("Cloud Run execution cancelled: Semaphore finished the task while it was still running")
	return nil
}

// awaitEnd polls the execution for up to FinishGrace and reports whether it
// completed.
func (l *Launcher) awaitEnd(ctx context.Context, name string) (bool, error) {
	if l.o.FinishGrace < 0 {
		return false, nil
	}
	polls := int((l.o.FinishGrace + l.o.FinishPoll - 1) / l.o.FinishPoll)
	for i := 0; ; i++ {
		gctx, cancel := context.WithTimeout(ctx, l.o.AttemptTimeout)
		body, err := l.do(gctx, call{op: "executions.get", method: http.MethodGet, url: l.o.Endpoint + "/v2/" + name,
			idempotent: true, attempts: 2})
		cancel()
		if err != nil {
			return false, err
		}
		var ex execution
		if err := json.Unmarshal(body, &ex); err != nil {
			return false, fmt.Errorf("executions.get: %w", err)
		}
		if ex.CompletionTime != "" {
			return true, nil
		}
		if i >= polls {
			return false, nil
		}
		if err := l.o.Sleep(ctx, l.o.FinishPoll); err != nil {
			return false, err
		}
	}
}

// remember records the execution started for a task, and forgets entries
// older than any task can run (finish is not sent for every task).
func (l *Launcher) remember(taskID int, name string) {
	now := l.o.Now()
	keep := max(l.o.TaskTimeout, 24*time.Hour) + time.Hour
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, s := range l.executions {
		if now.Sub(s.at) > keep {
			delete(l.executions, id)
		}
	}
	l.executions[taskID] = started{name: name, at: now}
}

// take removes and returns the execution started for a task.
func (l *Launcher) take(taskID int) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.executions[taskID]
	delete(l.executions, taskID)
	return s.name, ok
}
