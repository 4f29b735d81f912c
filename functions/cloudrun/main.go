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
