// Package process runs a child process in its own process group and makes
// sure that, when Run returns, nothing it started is left behind (Linux).
//
// Contract:
//
//   - The child starts in a new process group (Run) or a new session with a
//     PTY as controlling terminal on stdin (RunPTY); its group id is its pid.
//   - If ctx is already done, the child is never started; the error wraps
//     context.Cause(ctx) (and is a *StoppedError).
//   - When ctx is done while the child runs, the whole group gets SIGTERM,
//     then SIGKILL after Cmd.Grace (15 s by default). If context.Cause(ctx)
//     wraps ErrKill (force stop), or Cmd.ForceKill is closed during the grace,
//     the group gets SIGKILL at once.
//   - When the group leader has exited, for whatever reason, whatever is left
//     of its group is SIGKILLed: no orphans keep running (issue #3512 of the
//     stock runner).
//   - With Cmd.KillEscaped, the child's environment carries a unique
//     TagVar value, and every signal to the group also goes to each process
//     that carries the tag: descendants that called setsid or daemonized
//     (ansible async tasks, "nohup cmd &" under setsid) die with the group.
//   - Output is read from pipes the package owns. Everything the child wrote
//     before it exited reaches Stdout/Stderr before Run returns (fixes the
//     stock runner's lost trailing output, bug B14), and nothing is written
//     to them after Run returns. A process that escaped the group (setsid)
//     and keeps the pipes open cannot make Run hang: the pipes are closed
//     after a short drain delay, as exec.Cmd.WaitDelay does for stdin.
//   - Result: nil on exit 0; an error wrapping *ExitError on a non-zero exit
//     or signal death; if ctx was cancelled, an error wrapping a
//     *StoppedError, which wraps both context.Cause(ctx) and the *ExitError
//     (if any), so that callers can tell "stopped" from "failed" with
//     errors.Is / errors.As. Errors are prefixed "process: <name>: ".
package process
