// Command cloudrun is mayfly on Google Cloud Run: one image, two modes, told
// apart by the variables Cloud Run sets itself.
//
//   - Job mode (CLOUD_RUN_JOB is set): one execution of the worker job runs
//     one task. The receiver passes the task id in MAYFLY_TASK_ID and the
//     webhook's arrival in MAYFLY_RECEIVED_AT (jobs:run overrides); the
//     runner token comes from SEMAPHORE_RUNNER_TOKEN (Secret Manager). The
//     one-off runner bound to that task id polls, runs and reports it, and
//     the process exits 0 only if the task succeeded. SIGTERM (task timeout,
//     or a cancel by the receiver on `finish`) stops the task's process
//     group, logs why in the task log and reports `error`; Cloud Run sends
//     SIGKILL 10 s after SIGTERM, so the stop grace defaults to 5 s here.
//     A retried attempt (CLOUD_RUN_TASK_ATTEMPT > 0) runs nothing: a task
//     runs at most once.
//   - Service mode (otherwise; K_SERVICE in Cloud Run): the webhook receiver.
//     It serves /hook/<secret> (or /hook?secret=) and starts one execution of
//     MAYFLY_CLOUDRUN_JOB per task (infra/launcher/cloudrunjob) before it
//     answers, because a Cloud Run service has CPU only while it handles a
//     request. /health and /healthz answer 200 (Cloud Run's front end may
//     swallow paths ending in "z": probe /health). It listens on
//     MAYFLY_LISTEN if set, else on :$PORT, and on SIGTERM stops accepting
//     and lets in-flight webhooks finish for up to 10 s.
//
// The runner log is JSON with Cloud Logging's "severity" and "message" keys
// (MAYFLY_LOG_FORMAT=text for local use). Neither mode passes
// SEMAPHORE_RUNNER_TOKEN or MAYFLY_WEBHOOK_SECRET on to a child process.
package main

import (
	"io"
	"os"
)

// version is set with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes, as in the mayfly CLI.
const (
	exitOK     = 0
	exitFailed = 1 // the task did not succeed, or the service failed
	exitConfig = 3 // the environment is invalid
)

// Variables Cloud Run sets, and our own that the Terraform module does not.
const (
	envCloudRunJob = "CLOUD_RUN_JOB"          // set in every job execution
	envTaskAttempt = "CLOUD_RUN_TASK_ATTEMPT" // 0 on the first try
	envPort        = "PORT"                   // set in a service
	envListen      = "MAYFLY_LISTEN"          // overrides :$PORT (tests: 127.0.0.1:0)
	envStopGrace   = "MAYFLY_STOP_GRACE"
	// envAPIEndpoint overrides the Cloud Run Admin API base URL (tests).
	envAPIEndpoint = "MAYFLY_CLOUDRUN_API_ENDPOINT"
)

func main() {
	os.Exit(run(os.Stderr))
}

// run picks the mode and returns the exit code.
func run(stderr io.Writer) int {
	log := newLogger(stderr, os.Getenv("MAYFLY_LOG_FORMAT"), os.Getenv("MAYFLY_LOG_LEVEL"))
	if _, ok := os.LookupEnv(envCloudRunJob); ok {
		return runJob(log)
	}
	return runService(log)
}

// secretEnv are the variables no child process may inherit.
var secretEnv = []string{
	"SEMAPHORE_RUNNER_TOKEN",
	"SEMAPHORE_RUNNER_REGISTRATION_TOKEN",
	"MAYFLY_WEBHOOK_SECRET",
}

// scrubEnv removes the secrets from the process environment once the
// configuration holds them: the executor passes os.Environ() to git, and
// anything git runs (hooks, credential helpers) would see them.
func scrubEnv() {
	for _, k := range secretEnv {
		_ = os.Unsetenv(k)
	}
}
