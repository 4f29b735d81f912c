package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// DefaultGrace is the SIGTERM -> SIGKILL delay when Cmd.Grace is zero.
const DefaultGrace = 15 * time.Second

// defaultDrain bounds how long Run waits, once the group is gone, for the
// output pipes to reach EOF (and for a non-file Stdin to be copied).
const defaultDrain = 5 * time.Second

// ErrKill, when context.Cause of the context given to Run wraps it, makes a
// cancellation skip the grace period: the group is SIGKILLed at once (a
// force stop).
var ErrKill = errors.New("process: killed")

// Cmd describes a child process.
type Cmd struct {
	Path string   // program; looked up in this process's PATH (not Env's) when it has no slash
	Args []string // arguments, without argv[0]
	Dir  string   // working directory; "" = the current one
	Env  []string // environment; nil = the current process's environment

	Stdin          io.Reader // nil = empty (/dev/null)
	Stdout, Stderr io.Writer // nil = discarded; written by one goroutine each (one if they are the same writer)

	// Grace is the delay between SIGTERM and SIGKILL when ctx is done; 0
	// means DefaultGrace.
	Grace time.Duration
	// ForceKill, if not nil, skips the rest of the grace when it is closed
	// after ctx is done: a stop that escalates to a force stop. (A context's
	// cause cannot change once it is cancelled, so ErrKill alone cannot
	// escalate a stop already in progress.)
	ForceKill <-chan struct{}
	// KillEscaped tags the child's environment with a unique TagVar value.
	// Whenever the group is signalled (stop, grace expiry, and the final
	// SIGKILL after the leader exited) every process that still carries the
	// tag is signalled too: descendants that left the group with setsid or
	// daemonized themselves cannot outlive the run.
	KillEscaped bool

	drain time.Duration // tests: 0 = defaultDrain
}

// ExitError reports a child that exited with a non-zero code or was killed
// by a signal.
type ExitError struct {
	Code   int            // exit code; -1 when killed by a signal
	Signal syscall.Signal // 0 if the child exited normally
}

func (e *ExitError) Error() string {
	if e.Signal != 0 {
		return "killed by signal " + e.Signal.String()
	}
	return fmt.Sprintf("exit code %d", e.Code)
}

// StoppedError reports a run whose context was done: the child was never
// started (Exit is nil), or it was signalled and Exit says how it ended (nil
// if it still exited 0). It wraps both Cause and Exit.
type StoppedError struct {
	Cause error
	Exit  *ExitError
}

func (e *StoppedError) Error() string {
	s := "stopped: " + e.Cause.Error()
	if e.Exit != nil {
		s += " (" + e.Exit.Error() + ")"
	}
	return s
}

// Unwrap returns Cause and, if set, Exit.
func (e *StoppedError) Unwrap() []error {
	if e.Exit == nil {
		return []error{e.Cause}
	}
	return []error{e.Cause, e.Exit}
}

// Run runs c in a new process group and waits for it; see the package
// documentation for the cancellation and result contract.
func Run(ctx context.Context, c Cmd) error {
	return run(ctx, c, hooks{attr: &syscall.SysProcAttr{Setpgid: true}})
}

// hooks are the variations between Run and RunPTY.
type hooks struct {
	attr  *syscall.SysProcAttr
	stdin *os.File // replaces c.Stdin when set
	// started runs once the child runs; out is the serialised Stdout (nil if none).
	started func(out io.Writer)
	// finish runs after the group is gone and the pipes are drained; it must
	// return soon after drain is done.
	finish func(drain context.Context)
}

func run(ctx context.Context, c Cmd, h hooks) error {
	name := filepath.Base(c.Path)
	if err := notStarted(ctx, name); err != nil {
		return err
	}
	drain := c.drain
	if drain <= 0 {
		drain = defaultDrain
	}
	cmd := exec.Command(c.Path, c.Args...)
	// Every stream given to exec is an *os.File, so exec starts no copy
	// goroutine of its own; WaitDelay is only a backstop.
	cmd.Dir, cmd.Env, cmd.SysProcAttr, cmd.WaitDelay = c.Dir, c.Env, h.attr, drain
	var tag string
	if c.KillEscaped {
		tag = newTag()
		cmd.Env = withTag(c.Env, tag)
	}
	out, err := newOutputs(c.Stdout, c.Stderr)
	if err != nil {
		return fmt.Errorf("process: %s: %w", name, err)
	}
	switch in := c.Stdin.(type) {
	case nil:
	case *os.File:
		cmd.Stdin = in
	default:
		if err := out.pipeStdin(in); err != nil {
			out.abort()
			return fmt.Errorf("process: %s: %w", name, err)
		}
		cmd.Stdin = out.childIn
	}
	if h.stdin != nil {
		cmd.Stdin = h.stdin
	}
	if out.childOut != nil {
		cmd.Stdout = out.childOut
	}
	if out.childErr != nil {
		cmd.Stderr = out.childErr
	}
	if err := cmd.Start(); err != nil {
		out.abort()
		return fmt.Errorf("process: %s: start: %w", name, err)
	}
	out.start()
	pid := cmd.Process.Pid
	if h.started != nil {
		h.started(out.stdoutWriter())
	}

	exited := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		watch(ctx, pid, tag, c, exited)
	}()
	werr := cmd.Wait()
	close(exited)
	<-watched
	killGroup(pid, syscall.SIGKILL) // whatever the leader left behind
	killTagged(tag)

	dctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	out.wait(dctx)
	if h.finish != nil {
		h.finish(dctx)
	}
	out.close()

	state := cmd.ProcessState
	if state == nil {
		return fmt.Errorf("process: %s: wait: %w", name, werr)
	}
	exit := exitError(state)
	if ctx.Err() != nil {
		return fmt.Errorf("process: %s: %w", name, &StoppedError{Cause: context.Cause(ctx), Exit: exit})
	}
	if exit != nil {
		return fmt.Errorf("process: %s: %w", name, exit)
	}
	if err := out.err(); err != nil {
		return fmt.Errorf("process: %s: output: %w", name, err)
	}
	return nil
}

// notStarted returns the error of a run whose context is already done.
func notStarted(ctx context.Context, name string) error {
	if ctx.Err() == nil {
		return nil
	}
	return fmt.Errorf("process: %s: not started: %w", name, &StoppedError{Cause: context.Cause(ctx)})
}

// exitError converts a non-successful state; nil if the child exited 0.
func exitError(state *os.ProcessState) *ExitError {
	if state.Success() {
		return nil
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &ExitError{Code: -1, Signal: ws.Signal()}
	}
	return &ExitError{Code: state.ExitCode()}
}
