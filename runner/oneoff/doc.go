// Package oneoff is the runner loop: it polls the Semaphore server, takes
// jobs, runs them through an Executor, and reports status, commit and log
// lines back with progress PUTs.
//
// One loop serves every mode:
//   - bound (Options.TaskID > 0): the one-off runner woken by a webhook. It
//     takes only that task id, ignores every other job the poll lists (all
//     processes of a fleet share one token), and returns once that task's
//     final status was accepted, or ErrTaskNotListed after WaitTimeout;
//   - one job (Options.OneJob): `one_off` in the config: the first job, then exit;
//   - long-lived (`mayfly start`): until the context ends.
//
// Guarantees: jobs are de-duplicated by task id (new_jobs repeats a task on
// every poll); `running` is reported right after pickup; a stop (`stopping`
// in CurrentJobs) cancels the task at once and a force stop (`stopped`, or
// the id in terminated_jobs) kills its process group without grace; log lines
// leave the buffer only after the server acknowledged them, in order; the
// final status is sent in the same PUT as the last log line, never before;
// and nothing is reported for a task after its terminal status was accepted.
package oneoff
