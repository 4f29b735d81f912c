package local

import (
	"context"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/logstream"
)

// report tells the server that taskID ended in error, with lines as its
// last log records, in a PUT of its own (a server that rejects one job
// rejects the whole batch). Retryable failures are retried with backoff
// until ReportTimeout.
func (l *Launcher) report(taskID int, lines ...string) {
	log := l.log.With("task", taskID)
	if l.o.Reporter == nil {
		log.Error("task needs an error report, but no reporter is configured", "reason", lines[0], "err", errNoReporter)
		l.obs.Report(false)
		return
	}
	now := l.o.Now()
	records := make([]api.LogRecord, len(lines))
	for i, line := range lines {
		records[i] = api.LogRecord{Time: now.Add(time.Duration(i) * time.Microsecond), Message: line}
	}
	req := api.ProgressRequest{Jobs: []api.JobProgress{{ID: taskID, Status: api.StatusError, LogRecords: records}}}
	ctx, cancel := context.WithTimeout(context.Background(), l.o.ReportTimeout)
	defer cancel()
	backoff := logstream.NewBackoff(250*time.Millisecond, 5*time.Second)
	for attempt := 1; ; attempt++ {
		resp, err := l.o.Reporter.Progress(ctx, req)
		if err == nil {
			terminated := resp != nil && len(resp.TerminatedJobs) > 0
			log.Info("reported the task as error", "reason", lines[0], "server_had_finished_it", terminated)
			l.obs.Report(true)
			return
		}
		if !api.Retryable(err) || ctx.Err() != nil {
			log.Error("could not report the task as error", "reason", lines[0], "attempts", attempt, "err", err)
			l.obs.Report(false)
			return
		}
		t := time.NewTimer(backoff.Next())
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			log.Error("could not report the task as error before the timeout", "reason", lines[0], "attempts", attempt, "err", err)
			l.obs.Report(false)
			return
		}
	}
}
