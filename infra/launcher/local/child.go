package local

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/mayfly-dev/mayfly/runner/webhook"
)

// drainDelay bounds how long the supervisor waits, after the child exited,
// for its output pipes to reach EOF (a leftover process could hold them).
const drainDelay = 5 * time.Second

// child is one `mayfly run` process.
type child struct {
	req     webhook.Request
	cmd     *exec.Cmd
	pid     int
	started time.Time
	tail    *tail
	done    chan struct{} // closed after the child exited and was handled

	// Guarded by Launcher.mu.
	finished bool // Finish: the server ended the task
	stopping bool // SIGTERM sent by Shutdown

	timerMu   sync.Mutex
	exited    bool // Wait returned: never signal the pid or its session again
	killed    bool
	termTimer *time.Timer
	killTimer *time.Timer
}

// startLocked forks a child for r. l.mu must be held.
func (l *Launcher) startLocked(r webhook.Request) error {
	outR, outW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("local: start runner for task %d: %w", r.TaskID, err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		_ = outR.Close()
		_ = outW.Close()
		return fmt.Errorf("local: start runner for task %d: %w", r.TaskID, err)
	}
	cmd := exec.Command(l.o.Executable, l.o.Args(r)...)
	cmd.Env = append(os.Environ(), l.o.Env...)
	cmd.Stdout, cmd.Stderr = outW, errW
	// A session of its own: the terminal's Ctrl-C goes to serve only (which
	// stops children in order), and every process the runner starts can be
	// found by its session id when the child is gone.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	_ = outW.Close()
	_ = errW.Close()
	if err != nil {
		_ = outR.Close()
		_ = errR.Close()
		return fmt.Errorf("local: start runner for task %d: %w", r.TaskID, err)
	}
	c := &child{req: r, cmd: cmd, pid: cmd.Process.Pid, started: l.o.Now(),
		tail: newTail(l.o.TailLines), done: make(chan struct{})}
	l.running[r.TaskID] = c
	var waited time.Duration
	if !r.ReceivedAt.IsZero() {
		waited = c.started.Sub(r.ReceivedAt)
	}
	l.log.Info("runner started", "task", r.TaskID, "pid", c.pid, "since_webhook", waited.Round(time.Microsecond))
	l.goLocked(func() {
		if !r.ReceivedAt.IsZero() {
			l.obs.ProcessStarted(waited)
		}
		l.supervise(c, outR, errR)
	})
	return nil
}

// supervise copies the child's output to the log, waits for it, cleans up
// its session and handles its exit.
func (l *Launcher) supervise(c *child, outR, errR *os.File) {
	defer close(c.done)
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); l.copyLines(c.req.TaskID, "stdout", outR, nil) }()
	go func() { defer readers.Done(); l.copyLines(c.req.TaskID, "stderr", errR, c.tail) }()

	waitErr := c.cmd.Wait()
	c.markExited()
	if n := killSession(c.pid); n > 0 {
		l.log.Warn("killed processes the runner left behind", "task", c.req.TaskID, "processes", n)
	}
	drained := make(chan struct{})
	go func() { readers.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(drainDelay):
		l.log.Warn("runner output still open after it exited; closing it", "task", c.req.TaskID)
	}
	_ = outR.Close() // unblocks readers still waiting
	_ = errR.Close()
	<-drained
	l.exited(c, waitErr)
}

// exited frees the child's slot, starts queued work and decides whether the
// task needs an error report.
func (l *Launcher) exited(c *child, waitErr error) {
	ps := c.cmd.ProcessState
	code := -1
	if ps != nil {
		code = ps.ExitCode()
	}
	how := describeExit(ps, waitErr)
	l.mu.Lock()
	delete(l.running, c.req.TaskID)
	finished, stopping := c.finished, c.stopping
	abandoned := stopping && c.wasKilled() && code != 0 && code != 1
	if stopping && (code == 0 || code == 1) {
		l.recheck = append(l.recheck, c.req.TaskID)
	}
	l.startQueuedLocked()
	l.mu.Unlock()

	log := l.log.With("task", c.req.TaskID, "pid", c.pid, "exit", how, "ran", l.o.Now().Sub(c.started).Round(time.Millisecond))
	var outcome, msg string
	switch {
	case code == 0:
		outcome = ExitSuccess
		log.Info("runner ended: task succeeded")
	case code == 1:
		outcome = ExitFailed
		log.Info("runner ended: task did not succeed (status reported by the runner)")
	case finished:
		outcome = ExitFinished
		log.Info("runner stopped after the server finished the task")
	case abandoned:
		outcome = ExitAbandoned
		msg = fmt.Sprintf("[mayfly] mayfly serve shut down and the runner did not finish within %s; it was killed (%s) before it reported a final status", l.o.ShutdownTimeout, how)
		log.Warn("runner killed at the shutdown deadline; reporting error")
	default:
		outcome = ExitLost
		msg = fmt.Sprintf("[mayfly] runner process exited (%s) before it reported a final status; mayfly serve reports the task as failed", how)
		log.Warn("runner ended without reporting a final status; reporting error")
	}
	l.obs.Exit(outcome)
	if msg == "" {
		return
	}
	lines := []string{msg}
	if tail := c.tail.lines(); len(tail) > 0 {
		lines = append(lines, "[mayfly] last lines of the runner's log:")
		for _, t := range tail {
			lines = append(lines, "[mayfly] | "+t)
		}
	} else {
		lines = append(lines, "[mayfly] the runner wrote nothing to its log")
	}
	l.report(c.req.TaskID, lines...)
}

// exitMeaning explains `mayfly run`'s exit codes (cmd/mayfly/exitcode.go).
var exitMeaning = map[int]string{
	2: "usage error or crash",
	3: "invalid configuration",
	4: "the server rejected the runner token",
	5: "the server could not be reached",
	6: "the server did not offer the task within mayfly.task_wait_timeout",
}

// describeExit says how a child ended, e.g. "killed by signal SIGKILL" or
// "exit status 5: the server could not be reached".
func describeExit(ps *os.ProcessState, waitErr error) string {
	if ps == nil {
		if waitErr != nil {
			return "wait failed: " + waitErr.Error()
		}
		return "unknown"
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		s := "killed by signal " + signalName(ws.Signal())
		if ws.CoreDump() {
			s += " (core dumped)"
		}
		return s
	}
	code := ps.ExitCode()
	if m, ok := exitMeaning[code]; ok {
		return fmt.Sprintf("exit status %d: %s", code, m)
	}
	return fmt.Sprintf("exit status %d", code)
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGSEGV:
		return "SIGSEGV"
	case syscall.SIGABRT:
		return "SIGABRT"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return fmt.Sprintf("%d (%s)", int(s), s)
}

// terminate sends SIGTERM to the child (not its session: the child stops
// its own task gracefully).
func (c *child) terminate() error {
	err := c.cmd.Process.Signal(syscall.SIGTERM)
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}

// kill SIGKILLs the child and everything in its session, once, and only
// while the child has not been reaped (its pid could be reused after). It
// reports whether it sent the signal.
func (c *child) kill() bool {
	c.timerMu.Lock()
	defer c.timerMu.Unlock()
	if c.exited || c.killed {
		return false
	}
	c.killed = true
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	killSession(c.pid)
	return true
}

func (c *child) wasKilled() bool {
	c.timerMu.Lock()
	defer c.timerMu.Unlock()
	return c.killed
}

// stopAfter arms SIGTERM after term and SIGKILL after term+kill for a child
// that does not end by itself.
func (c *child) stopAfter(term, kill time.Duration, onTerm func()) {
	c.timerMu.Lock()
	defer c.timerMu.Unlock()
	if c.exited || c.termTimer != nil {
		return
	}
	c.termTimer = time.AfterFunc(term, func() {
		c.timerMu.Lock()
		defer c.timerMu.Unlock()
		if c.exited {
			return
		}
		onTerm()
		_ = c.terminate()
		c.killTimer = time.AfterFunc(kill, func() { c.kill() })
	})
}

// markExited disarms the kill timer once Wait has returned.
func (c *child) markExited() {
	c.timerMu.Lock()
	defer c.timerMu.Unlock()
	c.exited = true
	for _, t := range []*time.Timer{c.termTimer, c.killTimer} {
		if t != nil {
			t.Stop()
		}
	}
}
