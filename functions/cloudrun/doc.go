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
