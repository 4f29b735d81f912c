package semaphoretest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
)

// webhookBody is what Semaphore POSTs to a runner webhook.
type webhookBody struct {
	Action     string `json:"action"`
	ProjectID  int    `json:"project_id"`
	TaskID     int    `json:"task_id"`
	TemplateID int    `json:"template_id"`
	RunnerID   int    `json:"runner_id"`
}

func webhookPayload(action string, t *task) webhookBody {
	p := webhookBody{Action: action, ProjectID: t.job.Task.ProjectID, TaskID: t.info.ID,
		TemplateID: t.job.Task.TemplateID, RunnerID: t.info.RunnerID}
	if p.ProjectID == 0 {
		p.ProjectID = t.job.Template.ProjectID
	}
	if p.TemplateID == 0 {
		p.TemplateID = t.job.Template.ID
	}
	return p
}

func webhookOK(code int) bool { return code == http.StatusOK || code == http.StatusNoContent }

// dispatch runs the server side of a task's start: delay, runner choice
// (capacity wait), status starting, "start" webhook, then assignment.
func (s *Server) dispatch(id int) {
	if d := s.opts.DispatchDelay; d > 0 && !sleepCtx(s.ctx, d) {
		return
	}
	s.mu.Lock()
	t := s.tasks[id]
	for {
		if t.info.Status.Finished() { // stopped while queued
			s.mu.Unlock()
			return
		}
		r := s.runners[t.info.RunnerID]
		if r == nil || r.Deleted || !r.Active {
			s.failLocked(t, "Failed to run task: no runners available", false)
			s.mu.Unlock()
			return
		}
		if r.MaxParallelTasks <= 0 || s.busyLocked(r.ID) < r.MaxParallelTasks {
			break
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-s.ctx.Done():
			return
		}
		s.mu.Lock()
	}
	s.setStatusLocked(t, api.StatusStarting)
	webhook := s.runners[t.info.RunnerID].Webhook
	payload := webhookPayload("start", t)
	s.mu.Unlock()

	var call WebhookCall
	if webhook != "" {
		call = s.callWebhook(webhook, payload)
		if s.ctx.Err() != nil {
			return
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if webhook != "" {
		t.info.WebhookCalls = append(t.info.WebhookCalls, call)
		s.notifyLocked()
	}
	if t.info.Status.Finished() { // stopped during the webhook call
		return
	}
	if webhook != "" && (call.Err != "" || !webhookOK(call.StatusCode)) {
		msg := "Failed to run task: webhook returned incorrect status"
		if call.Err != "" {
			msg = "Failed to run task: " + call.Err
		}
		s.failLocked(t, msg, false)
		return
	}
	t.info.Assigned = true
	t.reported = true
	s.notifyLocked()
}

// busyLocked counts the runner's tasks that hold a slot: in the running
// set, dispatching or assigned, not finished.
func (s *Server) busyLocked(runnerID int) int {
	n := 0
	for _, t := range s.tasks {
		if t.info.RunnerID == runnerID && t.inPool && !t.info.Status.Finished() &&
			(t.info.Assigned || t.info.Status == api.StatusStarting) {
			n++
		}
	}
	return n
}

// callWebhook POSTs payload with the no-timeout client; Close cancels it.
func (s *Server) callWebhook(url string, payload webhookBody) WebhookCall {
	call := WebhookCall{Action: payload.Action}
	body, _ := json.Marshal(payload)
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		call.Err = err.Error()
		return call
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := s.webhook.Do(req)
	if err != nil {
		call.Err = err.Error()
		return call
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	call.StatusCode = resp.StatusCode
	s.log.Debug("webhook called", "action", payload.Action, "task_id", payload.TaskID,
		"status", resp.StatusCode, "duration", time.Since(start))
	return call
}
