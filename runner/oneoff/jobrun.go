package oneoff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/executor"
	"github.com/mayfly-dev/mayfly/runner/logstream"
	"github.com/mayfly-dev/mayfly/runner/process"
)

// Causes a job's context is cancelled with.
var (
	errStopRequested = errors.New("stopped by user")
	errForceStopped  = fmt.Errorf("force-stopped by the server: %w", process.ErrKill)
	errShutdown      = errors.New("runner shutting down")
)

// jobRun is one taken job: its log buffer and the state the loop reports.
// The executor goroutine and the loop share it under mu.
type jobRun struct {
	id     int
	buf    *logstream.Buffer
	red    *logstream.Redactor
	cancel context.CancelCauseFunc
	wake   func()
	batch  int // records that make a full batch

	logMu sync.Mutex
	log   *logstream.LineWriter

	times   executor.Times
	confirm chan bool
	done    chan struct{} // closed when the executor has returned
	killed  chan struct{} // closed on a force stop
	kill    sync.Once

	mu         sync.Mutex
	status     api.Status  // current status to report
	final      api.Status  // terminal status once the executor returned
	sent       api.Status  // last status the server accepted
	commit     *api.Commit // commit to report
	commitSent bool
	stop       error // why the job was cancelled, if it was
	forgotten  bool  // the server dropped the task: report nothing more
	absent     int   // consecutive polls that did not list the task
}

var _ executor.Task = (*jobRun)(nil)

func newJobRun(id int, buf *logstream.Buffer, cancel context.CancelCauseFunc, batch int, wake func()) *jobRun {
	red := &logstream.Redactor{}
	return &jobRun{
		id: id, buf: buf, red: red, cancel: cancel, wake: wake, batch: batch,
		log:     logstream.NewLineWriter(buf, red),
		confirm: make(chan bool, 1),
		done:    make(chan struct{}),
		killed:  make(chan struct{}),
		status:  api.StatusRunning,
	}
}

// Output implements executor.Task.
func (j *jobRun) Output() io.WriteCloser {
	return &notifyWriter{w: logstream.NewLineWriter(j.buf, j.red), j: j}
}

// Logf implements executor.Task.
func (j *jobRun) Logf(format string, args ...any) {
	j.logMu.Lock()
	defer j.logMu.Unlock()
	j.log.Printf(format, args...)
}

// AddSecret implements executor.Task.
func (j *jobRun) AddSecret(s string) { j.red.Add(s) }

// SetStatus implements executor.Task.
func (j *jobRun) SetStatus(s api.Status) {
	j.mu.Lock()
	j.status = s
	j.mu.Unlock()
	j.wake()
}

// SetCommit implements executor.Task.
func (j *jobRun) SetCommit(c api.Commit) {
	j.mu.Lock()
	j.commit, j.commitSent = &c, false
	j.mu.Unlock()
	j.wake()
}

// AwaitConfirmation implements executor.Task.
func (j *jobRun) AwaitConfirmation(ctx context.Context) (bool, error) {
	select {
	case ok := <-j.confirm:
		return ok, nil
	case <-ctx.Done():
		return false, context.Cause(ctx)
	}
}

// answer delivers a confirmation decision seen in CurrentJobs.
func (j *jobRun) answer(ok bool) {
	j.mu.Lock()
	waiting := j.status == api.StatusWaitingConfirmation
	j.mu.Unlock()
	if !waiting {
		return
	}
	select {
	case j.confirm <- ok:
	default:
	}
}

// interrupt cancels the job's context with cause, once.
func (j *jobRun) interrupt(cause error) {
	j.mu.Lock()
	first := j.stop == nil
	if first {
		j.stop = cause
	}
	j.mu.Unlock()
	if first {
		j.cancel(cause)
	}
	if errors.Is(cause, process.ErrKill) { // a later force stop cuts a stop's grace short
		j.kill.Do(func() { close(j.killed) })
	}
}

// Times implements executor.Task.
func (j *jobRun) Times() executor.Times { return j.times }

// Killed implements executor.Task.
func (j *jobRun) Killed() <-chan struct{} { return j.killed }

// forget kills the job and stops reporting it: the server no longer tracks it.
func (j *jobRun) forget(cause error) {
	j.mu.Lock()
	j.forgotten = true
	j.mu.Unlock()
	j.interrupt(cause)
}

// complete records the executor's result as the final status.
func (j *jobRun) complete(err error) {
	j.mu.Lock()
	stop := j.stop
	j.mu.Unlock()
	final := api.StatusSuccess
	switch {
	case errors.Is(stop, errStopRequested) || errors.Is(stop, process.ErrKill):
		final = api.StatusStopped
		j.Logf("Task stopped: %v", stop)
	case stop != nil:
		final = api.StatusError
		j.Logf("Task interrupted: %v", stop)
	case err != nil:
		final = api.StatusError
		j.Logf("Task failed: %v", err)
	}
	j.logMu.Lock()
	_ = j.log.Close()
	j.logMu.Unlock()
	j.buf.CloseInput()
	j.mu.Lock()
	j.final = final
	j.mu.Unlock()
	close(j.done)
	j.wake()
}

// notifyWriter wakes the loop when a full batch of lines is pending.
type notifyWriter struct {
	w *logstream.LineWriter
	j *jobRun
}

func (n *notifyWriter) Write(p []byte) (int, error) {
	c, err := n.w.Write(p)
	if n.j.buf.Len() >= n.j.batch {
		n.j.wake()
	}
	return c, err
}

func (n *notifyWriter) Close() error { return n.w.Close() }
