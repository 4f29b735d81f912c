// Package local launches one-off runners as child processes of `mayfly
// serve`: for every accepted webhook start it runs
//
//	mayfly run --config F --task-id N --received-at T
//
// (the executable is os.Executable() unless Options.Executable says
// otherwise) and supervises it. It implements webhook.Launcher and
// webhook.Finisher.
//
// Contract:
//
//   - Capacity: at most MaxConcurrent children run at once; further starts
//     wait in a FIFO queue of QueueSize. When both are full, Launch returns an
//     error matching webhook.ErrBusy (the webhook answers 503 and Semaphore
//     fails the task at once, with the reason in its log). A start for a task
//     that is already running or queued is a no-op.
//   - Launch returns once the child was forked (or queued); it never waits for
//     the task. A child that cannot be started is a Launch error (502).
//   - Each child runs in its own session (setsid), so that everything it starts
//     can be found again: when the child exits, whatever is left of its session
//     is SIGKILLed, so a runner killed mid-task leaves no orphaned playbook.
//   - Supervision by exit code. `mayfly run` exits 0 (success) or 1 (the task
//     did not succeed): in both cases it delivered the final status itself.
//     Any other end (a signal, a panic, exit 2-6) means it did not, and the
//     launcher reports the task as `error` itself, with the runner token,
//     through a progress PUT whose log lines start with "[mayfly]" and
//     include the tail of the child's stderr. Reports are retried with backoff
//     while the error is retryable, bounded by ReportTimeout.
//   - Finish(taskID) (the webhook's `finish`: the server ended the task) drops
//     a queued task. A running child normally exits by itself right after its
//     final report (or stops a task the server stopped); if it is still alive
//     after FinishGrace it gets SIGTERM, and SIGKILL after KillAfter more
//     (e.g. a 2024 server's max_task_duration timeout, which the runner is
//     never told about). A child that then ends other than 0/1 is not
//     reported: the server already holds the task's final status.
//   - Shutdown stops accepting (ErrShuttingDown matches webhook.ErrBusy, so
//     the webhook answers 503), reports `error` for every queued task, sends
//     SIGTERM to every child (each stops its task and reports it) and waits up
//     to ShutdownTimeout. Children still alive then are SIGKILLed (with their
//     sessions) and reported as `error`. Finally one poll checks the tasks of
//     children that ended with 0 or 1 after the SIGTERM: any the server still
//     shows unfinished is reported as `error` too, so no task is left in
//     `starting` or `running`. Everything abandoned is logged.
//   - The child's stdout and stderr go to the serve log, one record per line,
//     with task=N and stream=stdout|stderr (a JSON line is embedded as JSON).
//   - Observer (optional) receives launch results, exit outcomes, report
//     results and the webhook-arrival → process-started latency; Stats gives
//     the running and queued counts for gauges.
package local
