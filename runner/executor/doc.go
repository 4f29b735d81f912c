// Package executor runs one Semaphore task on this machine the way
// Semaphore's own runner does (spec/execution.md, 2026 behaviour, with the
// stock runner's bugs fixed): it prepares the working copy (git clone, pull
// or a local path used in place), installs keys and the inventory, installs
// requirements (ansible-galaxy; terraform init and workspace), runs the app
// in its own process group through runner/process, and writes everything
// the task prints to the task log.
//
// The command lines and environments come from the pure plan builders of
// runner/job; this package does the I/O around them.
//
// Secrets: every secret the job carries is registered for redaction first.
// SSH keys live only in in-process agents (sshagent.go); https git
// passwords reach git through GIT_ASKPASS and its environment (gitauth.go);
// static inventories, ansible's extra vars and terraform's secret variables
// are 0600 files in a private 0700 directory per task under tmp_path. All of
// it, agents and cloned inventory repositories included, is removed when
// the task ends, however it ends (cleanup.go).
//
// Stops: every phase checks the context first, so a stop during preparation
// prevents the start; processes get SIGTERM, then SIGKILL after the grace,
// with their whole group and every descendant that escaped it.
//
// The executor knows nothing about the server. It talks to the loop that
// called it through the small Task interface declared here: the task log,
// secrets to redact, status changes (waiting_confirmation) and the commit it
// checked out. Execute returns nil for success; any error means the task
// failed; the caller decides between error and stopped from its own context.
// The task log always ends with a timing line (timing.go) and, when a
// command failed, a line naming its exit code or signal.
package executor
