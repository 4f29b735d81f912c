package oneoff

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/mayfly-dev/mayfly/runner/api"
)

// pending is what one PUT carries for one job, remembered so that it can be
// applied once the server acknowledged it.
type pending struct {
	j       *jobRun
	records int
	status  api.Status
	commit  bool
	final   bool
}

// report sends one progress PUT with every job's new status, commit and
// next batch of log lines. more is true when lines are left for another PUT.
func (l *loop) report(ctx context.Context) (more bool, err error) {
	var req api.ProgressRequest
	var batch []pending
	// Report every job at least once per poll interval, even unchanged: the
	// answer is how a 2026 server tells of force stops (terminated_jobs).
	heartbeat := l.o.Now().Sub(l.lastReport) >= l.o.PollInterval
	for _, j := range l.sortedJobs() {
		p, entry, ok := l.next(j, heartbeat)
		if !ok {
			continue
		}
		batch = append(batch, p)
		req.Jobs = append(req.Jobs, entry)
	}
	if len(batch) == 0 {
		return false, nil
	}
	l.lastReport = l.o.Now()
	resp, err := l.o.Client.Progress(ctx, req)
	var apiErr *api.Error
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusRequestEntityTooLarge && l.batchRecords > 1 {
		// A proxy in front of the server limits request bodies: send less.
		l.batchRecords, l.batchBytes = max(l.batchRecords/2, 1), max(l.batchBytes/2, 1)
		l.log.Warn("progress report too large for the server; halving the batch", "records", l.batchRecords, "bytes", l.batchBytes)
		return true, nil
	}
	if err != nil {
		l.log.Warn("progress report failed; will retry", "err", err)
		return false, fmt.Errorf("oneoff: report: %w", err)
	}
	for _, p := range batch {
		l.acknowledge(p)
		if !p.final && p.j.buf.Len() > 0 {
			more = true
		}
	}
	for _, id := range resp.TerminatedJobs {
		if j, ok := l.jobs[id]; ok {
			l.log.Info("server terminated the task; killing it", "task", id)
			j.Logf("Task terminated by the server")
			j.forget(errForceStopped)
		}
	}
	return more, nil
}

// next builds the report entry of j; ok is false when there is nothing to send.
// A forgotten job that has finished is dropped here.
func (l *loop) next(j *jobRun, heartbeat bool) (pending, api.JobProgress, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.forgotten {
		if j.final != "" {
			l.finish(j, api.StatusStopped)
		}
		return pending{}, api.JobProgress{}, false
	}
	records := j.buf.Peek(l.batchRecords, l.batchBytes)
	p := pending{j: j, records: len(records), status: j.status}
	if j.final != "" && len(records) == j.buf.Len() {
		p.status, p.final = j.final, true
	}
	entry := api.JobProgress{ID: j.id, Status: p.status, LogRecords: records}
	if j.commit != nil && !j.commitSent {
		c := *j.commit
		entry.Commit, p.commit = &c, true
	}
	if len(records) == 0 && !p.commit && !p.final && p.status == j.sent && !heartbeat {
		return pending{}, api.JobProgress{}, false
	}
	return p, entry, true
}

// acknowledge applies a PUT the server accepted.
func (l *loop) acknowledge(p pending) {
	j := p.j
	j.buf.Ack(p.records)
	j.mu.Lock()
	j.sent = p.status
	if p.commit {
		j.commitSent = true
	}
	j.mu.Unlock()
	if p.final {
		l.finish(j, p.status)
	}
}

// finish forgets a job whose terminal status was accepted (or that the server
// dropped) and records its result.
func (l *loop) finish(j *jobRun, status api.Status) {
	delete(l.jobs, j.id)
	_ = j.buf.Close()
	if len(l.results) == maxResults { // a long-lived loop keeps only the latest
		l.results = append(l.results[:0], l.results[1:]...)
	}
	l.results = append(l.results, Result{TaskID: j.id, Status: status})
	if len(l.seen) > maxSeen { // a finished task is never offered again: forget old ids
		for id := range l.seen {
			if _, running := l.jobs[id]; !running {
				delete(l.seen, id)
			}
		}
	}
	l.log.Info("task finished", "task", j.id, "status", status)
	l.maybeClearCache()
}
