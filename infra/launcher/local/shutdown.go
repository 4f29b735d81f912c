package local

import (
	"context"
	"errors"
	"fmt"
)

// Shutdown stops accepting, gives up the queue, stops the children and
// waits for them up to ShutdownTimeout (or ctx), kills what is left, and
// reports everything it abandoned (see the package doc). It returns an error
// listing the abandoned tasks, nil when every child ended by itself. Calling
// it again waits for the first call.
func (l *Launcher) Shutdown(ctx context.Context) error {
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		<-l.shutdown
		return nil
	}
	l.closing = true
	queued := l.queue
	l.queue = nil
	children := make([]*child, 0, len(l.running))
	for _, c := range l.running {
		c.stopping = true
		children = append(children, c)
	}
	l.mu.Unlock()
	defer close(l.shutdown)

	l.log.Info("shutting down the launcher", "running", len(children), "queued", len(queued), "timeout", l.o.ShutdownTimeout)
	var unstarted []int
	for _, r := range queued {
		unstarted = append(unstarted, r.TaskID)
		l.obs.Exit(ExitUnstarted)
		l.mu.Lock()
		l.goLocked(func() {
			l.report(r.TaskID, "[mayfly] mayfly serve shut down before a runner could start for this task (it was queued: all mayfly.max_concurrent slots were busy)")
		})
		l.mu.Unlock()
	}
	for _, c := range children {
		if err := c.terminate(); err != nil {
			l.log.Debug("SIGTERM", "task", c.req.TaskID, "err", err)
		}
	}

	wait, cancel := context.WithTimeout(ctx, l.o.ShutdownTimeout)
	defer cancel()
	var killed []int
	select {
	case <-allDone(children):
	case <-wait.Done():
		for _, c := range children {
			if c.kill() {
				killed = append(killed, c.req.TaskID)
			}
		}
	}
	for _, c := range children {
		<-c.done // SIGKILL ends a child at once; its supervisor then reports
	}

	l.mu.Lock()
	recheck := l.recheck
	l.recheck = nil
	l.mu.Unlock()
	l.reconcile(recheck)
	l.bg.Wait()

	if len(unstarted) == 0 && len(killed) == 0 {
		l.log.Info("launcher stopped; every runner ended by itself")
		return nil
	}
	l.log.Warn("launcher stopped; abandoned tasks were reported as error",
		"queued_not_started", unstarted, "killed_at_deadline", killed)
	return fmt.Errorf("local: shutdown abandoned %d queued and killed %d running task(s)", len(unstarted), len(killed))
}

// allDone returns a channel closed once every child is done.
func allDone(children []*child) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		for _, c := range children {
			<-c.done
		}
	}()
	return ch
}

// reconcile reports error for each task in ids that the server still shows
// unfinished: their children were stopped at shutdown and ended 0 or 1, yet
// a child stopped before it took its task may not have reported anything.
func (l *Launcher) reconcile(ids []int) {
	if len(ids) == 0 || l.o.Reporter == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.o.ReportTimeout)
	defer cancel()
	state, err := l.o.Reporter.Poll(ctx)
	if err != nil {
		l.log.Warn("shutdown: could not check the stopped tasks with the server", "tasks", ids, "err", err)
		return
	}
	open := map[int]bool{}
	for _, j := range state.NewJobs {
		open[j.Task.ID] = true
	}
	for _, j := range state.CurrentJobs {
		if !j.Status.Finished() {
			open[j.ID] = true
		}
	}
	for _, id := range ids {
		if open[id] {
			l.mu.Lock()
			l.goLocked(func() {
				l.report(id, "[mayfly] mayfly serve shut down before the runner reported this task; it was stopped")
			})
			l.mu.Unlock()
		}
	}
}

// errNoReporter is logged when there is nobody to report to.
var errNoReporter = errors.New("no reporter configured")
