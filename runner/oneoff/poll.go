package oneoff

import (
	"context"
	"fmt"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/executor"
	"github.com/mayfly-dev/mayfly/runner/job"
	"github.com/mayfly-dev/mayfly/runner/logstream"
)

// absentLimit is how many consecutive polls may omit a running task before
// the loop concludes the server dropped it (a 2024 force stop, a server
// restart) and kills it.
const absentLimit = 3

// poll fetches the runner state and applies it: stops, confirmations and new jobs.
func (l *loop) poll(ctx context.Context) error {
	state, err := l.o.Client.Poll(ctx)
	if err != nil {
		l.log.Warn("poll failed; will retry", "err", err)
		return fmt.Errorf("oneoff: poll: %w", err)
	}
	listed := map[int]bool{}
	for _, cj := range state.CurrentJobs {
		listed[cj.ID] = true
		if j, ok := l.jobs[cj.ID]; ok {
			l.apply(j, cj.Status)
		}
	}
	if state.ClearCache {
		l.clearCache = &clearRequest{projectID: state.CacheCleanProjectID}
	}
	l.maybeClearCache()
	for _, nj := range state.NewJobs {
		listed[nj.Task.ID] = true
		l.offer(nj, state.AccessKeys)
	}
	for _, j := range l.jobs {
		j.mu.Lock()
		accepted := j.sent != ""
		if listed[j.id] || !accepted || j.forgotten {
			j.absent = 0
			j.mu.Unlock()
			continue
		}
		j.absent++
		gone := j.absent >= absentLimit
		j.mu.Unlock()
		if gone {
			l.log.Warn("server no longer lists the task; killing it", "task", j.id)
			j.Logf("The server no longer lists this task; stopping it")
			j.forget(errForceStopped)
		}
	}
	return nil
}

// apply reacts to the server-side status of a job this loop runs.
func (l *loop) apply(j *jobRun, status api.Status) {
	switch status {
	case api.StatusStopping:
		l.log.Info("stop requested", "task", j.id)
		j.interrupt(errStopRequested)
	case api.StatusStopped:
		l.log.Info("force stop", "task", j.id)
		j.interrupt(errForceStopped)
	case api.StatusSuccess, api.StatusError:
		// The server finished the task itself (timeout, lost runner): it
		// ignores or, on 2024 servers, wrongly applies any further report.
		l.log.Warn("server finished the task; killing it", "task", j.id, "status", status)
		j.forget(errForceStopped)
	case api.StatusConfirmed:
		j.answer(true)
	case api.StatusRejected:
		j.answer(false)
	}
}

// offer considers one new_jobs entry and takes it if this loop may.
func (l *loop) offer(data api.JobData, keys map[string]api.AccessKey) {
	id := data.Task.ID
	switch {
	case l.seen[id]:
		return // new_jobs repeats a task until its status changes
	case l.o.TaskID > 0 && id != l.o.TaskID:
		l.log.Debug("ignoring a task bound to another runner process", "task", id, "bound_to", l.o.TaskID)
		return
	case l.o.OneJob && l.taken > 0:
		return
	case l.o.MaxParallel > 0 && len(l.jobs) >= l.o.MaxParallel:
		return
	}
	l.seen[id] = true
	l.taken++
	ctx, cancel := context.WithCancelCause(context.Background())
	buf := logstream.NewBuffer(logstream.BufferOptions{SpillDir: l.o.SpillDir, Now: l.o.Now})
	j := newJobRun(id, buf, cancel, l.o.MaxBatchRecords, l.wake)
	j.times = executor.Times{Webhook: l.o.ReceivedAt, Pickup: l.o.Now()}
	l.jobs[id] = j
	l.log.Info("task taken", "task", id, "app", data.Template.App)
	l.wake()

	go func() {
		defer cancel(nil)
		jb, err := job.New(data, keys)
		if err != nil {
			j.Logf("mayfly: cannot run this task: %v", err)
			j.complete(err)
			return
		}
		j.complete(l.o.Executor.Execute(ctx, jb, j))
	}()
}

// clearRequest is a pending clear_cache request from the server.
type clearRequest struct{ projectID *int }

// maybeClearCache carries out a pending clear_cache once no job runs, so a
// working copy is never removed under a task.
func (l *loop) maybeClearCache() {
	if l.clearCache == nil || len(l.jobs) > 0 || l.o.ClearCache == nil {
		return
	}
	req := l.clearCache
	l.clearCache = nil
	if err := l.o.ClearCache(req.projectID); err != nil {
		l.log.Warn("clearing the cache failed", "err", err)
		return
	}
	l.log.Info("cache cleared on the server's request", "project", req.projectID)
}
