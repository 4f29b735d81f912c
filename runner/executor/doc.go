// Package executor runs one Semaphore task on this machine the way
// Semaphore's own runner does: it prepares the working copy (git clone, pull
// or a local path used in place), builds the app's command line and
// environment, runs it in its own process group through runner/process, and
// writes everything the task prints to the task log.
//
// The executor knows nothing about the server. It talks to the loop that
// called it through the small Task interface declared here: the task log,
// secrets to redact, status changes (waiting_confirmation) and the commit it
// checked out. Execute returns nil for success; any error means the task
// failed; the caller decides between error and stopped from its own context.
package executor
