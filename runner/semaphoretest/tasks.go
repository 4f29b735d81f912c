package semaphoretest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
)

// WebhookCall records one call of a runner webhook.
type WebhookCall struct {
	Action     string // "start" or "finish"
	StatusCode int    // 0 on transport error
	Err        string // transport error text, if any
}

// TaskInfo is a snapshot of a task.
type TaskInfo struct {
	ID       int
	RunnerID int
	Assigned bool // runner_id set: the task is visible to the runner's polls
	Status   api.Status
	// History holds every status the task had, in order, starting with the
	// initial waiting.
	History []api.Status
	// Log holds every accepted log record in order (duplicates kept), the
	// server's own lines (e.g. "Failed to run task: ...") included.
	Log                []api.LogRecord
	Commit             *api.Commit
	Start, End         time.Time // Start: last transition into running; End: finalization
	ReportsAfterFinish int       // PUT entries received for the task after it finished
	WebhookCalls       []WebhookCall
}

type task struct {
	info      TaskInfo
	job       api.JobData
	keys      []api.AccessKey
	inPool    bool // in the server's running set (AddTask until finalization or Restart)
	reported  bool // 2024/2025: PUTs for the task are still applied
	lost      bool // 2026: dropped from the running set by Restart
	finalized bool
}

func (t *task) snapshot() TaskInfo {
	i := t.info
	i.History = slices.Clone(t.info.History)
	i.Log = slices.Clone(t.info.Log)
	i.WebhookCalls = slices.Clone(t.info.WebhookCalls)
	if t.info.Commit != nil {
		c := *t.info.Commit
		i.Commit = &c
	}
	return i
}

// AddTask creates a task for runnerID in status waiting and dispatches it
// in the background (see the package doc). job.Task.ID is overwritten with
// the new id; keys are shipped in access_keys. It returns the task id.
func (s *Server) AddTask(runnerID int, job api.JobData, keys ...api.AccessKey) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextTask++
	id := s.nextTask
	job.Task.ID = id
	t := &task{
		info: TaskInfo{ID: id, RunnerID: runnerID},
		job:  job,
		keys: slices.Clone(keys),
	}
	t.inPool = true
	s.tasks[id] = t
	s.setStatusLocked(t, api.StatusWaiting)
	s.goBackgroundLocked(func() { s.dispatch(id) })
	return id
}

// Task returns a snapshot of task id (zero TaskInfo if unknown).
func (s *Server) Task(id int) TaskInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tasks[id]; t != nil {
		return t.snapshot()
	}
	return TaskInfo{}
}

// Messages returns the messages of task id's log, in order.
func (s *Server) Messages(id int) []string {
	info := s.Task(id)
	out := make([]string, len(info.Log))
	for i, rec := range info.Log {
		out[i] = rec.Message
	}
	return out
}

// WaitTask blocks until cond holds for task id or ctx is done. It returns
// the last snapshot either way.
func (s *Server) WaitTask(ctx context.Context, id int, cond func(TaskInfo) bool) (TaskInfo, error) {
	for {
		s.mu.Lock()
		var info TaskInfo
		if t := s.tasks[id]; t != nil {
			info = t.snapshot()
		}
		ch := s.changed
		s.mu.Unlock()
		if cond(info) {
			return info, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return info, fmt.Errorf("semaphoretest: wait for task %d (status %q): %w", id, info.Status, ctx.Err())
		}
	}
}

// WaitFinished waits until task id is stopped, success or error.
func (s *Server) WaitFinished(ctx context.Context, id int) (TaskInfo, error) {
	return s.WaitTask(ctx, id, func(i TaskInfo) bool { return i.Status.Finished() })
}

// Stop stops task id as a user would. force=false sets stopping (the runner
// learns it from CurrentJobs); force=true sets stopped and finalizes at once:
// on 2026 the runner learns it from terminated_jobs on its next PUT, on
// 2024/2025 the task just vanishes. A task not yet assigned is stopped at once.
func (s *Server) Stop(id int, force bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tasks[id]
	if t == nil || t.info.Status.Finished() {
		return
	}
	switch {
	case !t.info.Assigned:
		s.setStatusLocked(t, api.StatusStopped)
		s.finalizeLocked(t, false)
	case force:
		s.setStatusLocked(t, api.StatusStopped)
		// 2026 sends no finish for force stops; older dispatch loops did.
		s.finalizeLocked(t, s.opts.Variant != V2026)
		t.reported = false
	default:
		s.transitionLocked(t, api.StatusStopping)
	}
}

// Confirm moves task id from waiting_confirmation to confirmed.
func (s *Server) Confirm(id int) { s.answerConfirmation(id, api.StatusConfirmed) }

// Reject moves task id from waiting_confirmation to rejected.
func (s *Server) Reject(id int) { s.answerConfirmation(id, api.StatusRejected) }

func (s *Server) answerConfirmation(id int, st api.Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tasks[id]; t != nil && t.info.Status == api.StatusWaitingConfirmation {
		s.setStatusLocked(t, st)
	}
}

// Restart loses the running set like a server restart. On 2026 later PUTs
// for those tasks get them in terminated_jobs and fail them ("server
// restarted"); on 2024/2025 their reports are ignored from now on.
func (s *Server) Restart() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tasks {
		if s.opts.Variant != V2026 {
			t.reported = false
		}
		if t.inPool && t.info.Assigned {
			t.inPool = false
			t.lost = s.opts.Variant == V2026
		}
	}
	s.notifyLocked()
}

// setStatusLocked applies st unconditionally and records it.
func (s *Server) setStatusLocked(t *task, st api.Status) {
	t.info.Status = st
	t.info.History = append(t.info.History, st)
	if st == api.StatusRunning {
		t.info.Start = time.Now()
	}
	s.notifyLocked()
}

// transitionLocked applies st through the server's transition guard
// (TaskRunner.SetStatus) and reports whether it changed anything.
func (s *Server) transitionLocked(t *task, st api.Status) bool {
	if !allowed(t.info.Status, st) {
		return false
	}
	s.setStatusLocked(t, st)
	return true
}

// allowed is the transition guard of protocol.md §3.3. success/error are
// not guarded: 2026 servers reject such reports earlier (rule 5).
func allowed(from, to api.Status) bool {
	if from == to {
		return false
	}
	switch from {
	case api.StatusConfirmed:
		return to != api.StatusWaitingConfirmation
	case api.StatusRunning:
		return to != api.StatusWaiting
	case api.StatusStopping:
		return to != api.StatusWaiting && to != api.StatusRunning
	case api.StatusStopped:
		return false
	}
	return true
}

// serverLogLocked appends a server-written line to the task log.
func (s *Server) serverLogLocked(t *task, msg string) {
	t.info.Log = append(t.info.Log, api.LogRecord{Time: time.Now(), Message: msg})
	s.log.Info(msg, "task_id", t.info.ID)
	s.notifyLocked()
}

// failLocked sets error with a log line and finalizes.
func (s *Server) failLocked(t *task, msg string, finish bool) {
	s.serverLogLocked(t, msg)
	s.setStatusLocked(t, api.StatusError)
	s.finalizeLocked(t, finish)
}

// finalizeLocked ends a finished task once: End time, out of the running
// set, and the "finish" webhook when asked to and the runner has one.
func (s *Server) finalizeLocked(t *task, finish bool) {
	if t.finalized {
		return
	}
	t.finalized = true
	t.inPool = false
	t.info.End = time.Now()
	s.notifyLocked()
	if !finish || !t.info.Assigned {
		return
	}
	r := s.runners[t.info.RunnerID]
	if r == nil || r.Webhook == "" {
		return
	}
	url, payload := r.Webhook, webhookPayload("finish", t)
	s.goBackgroundLocked(func() {
		call := s.callWebhook(url, payload)
		if call.Err != "" || !webhookOK(call.StatusCode) {
			s.log.Warn("finish webhook failed", "task_id", payload.TaskID, "status", call.StatusCode, "error", call.Err)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		t.info.WebhookCalls = append(t.info.WebhookCalls, call)
		s.notifyLocked()
	})
}
