// Package cloudrunjob launches one Cloud Run Job execution per Semaphore task.
//
// Launch calls the Cloud Run Admin API v2 over REST,
//
//	POST {Endpoint}/v2/projects/P/locations/L/jobs/J:run
//	{"overrides":{"containerOverrides":[{"env":[{"name":"MAYFLY_TASK_ID","value":"N"},
//	  {"name":"MAYFLY_RECEIVED_AT","value":"<RFC 3339>"}]}],"taskCount":1,"timeout":"<s>s"}}
//
// and returns as soon as the API has accepted the execution (the response is a
// long-running operation whose metadata is the new Execution); it never waits
// for the task. It authenticates with Google default credentials: on Cloud
// Run, the metadata server's token for the service account
// (golang.org/x/oauth2/google). GCE_METADATA_HOST points the metadata client
// elsewhere, which the tests use.
//
// Retries: 429, 500, 502, 503 and 504 answers, a failed token fetch, and
// transport errors that happened before the request was fully sent are
// retried a bounded number of times with short, jittered backoff, within the
// caller's context and Options.Timeout. A transport error after jobs:run was
// sent (a reset, a timeout waiting for the answer) is not retried: Google may
// already have started the execution, and a second execution bound to the
// same task could pick it up too. Launch then fails (the webhook answers 502,
// Semaphore fails the task), and an execution that did start finds no task
// and exits after its wait timeout.
//
// Finish implements webhook.Finisher, best effort: the launcher remembers, in
// memory, the execution it started for each task id. On `finish` it gives the
// execution Options.FinishGrace to end on its own (Semaphore also sends
// `finish` right after a runner reported its final status, while that
// execution is exiting normally), polling executions.get, and then calls
// executions:cancel, which sends the container SIGTERM; the job stops the
// task's process group and reports `error`. A `finish` that reaches another
// instance of the service, or one started after the instance that launched
// the task was scaled to zero, finds nothing and does nothing.
package cloudrunjob
