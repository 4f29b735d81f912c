// Command bootstrap is mayfly on AWS Lambda (runtime provided.al2023, built
// with -tags lambda.norpc). One function plays three roles, told apart by the
// shape of the event it receives:
//
//   - Function URL request (Semaphore's runner webhook): the secret in the URL
//     (/hook/<secret> or ?secret=) and the body are checked by runner/webhook;
//     a start invokes this same function asynchronously (InvocationType
//     Event, FunctionName = AWS_LAMBDA_FUNCTION_NAME) with a worker event and
//     answers 204, or 502 when the invocation fails, so that the task fails in
//     Semaphore at once. A finish answers 204. Repeated starts of one task
//     are launched once per sandbox only: Lambda spreads calls over
//     sandboxes, so de-duplication is per instance, and the worker's binding
//     to its task id is what keeps a duplicate from running anything.
//   - Worker event {"mayfly_worker":{"task_id":N,"received_at":"…"}}: runs
//     task N with runner/worker and the bound one-off loop. MAYFLY_DEADLINE_MARGIN
//     (default 30s) before the invocation deadline the loop is cancelled: the
//     task's process group gets SIGTERM (so terraform can release its lock),
//     then SIGKILL after the stop grace (at most a third of the margin), and
//     the task is reported `error` with the reason in its log, within half
//     the margin. A worker that reported its task returns success; one that
//     could not returns an error, which sends a failure record.
//   - Lambda destination record (the function is its own on-failure
//     destination): reports `error` for the record's task with a log line
//     naming the condition and the error, and always returns success, so a
//     failure can never loop.
//
// Cold start is kept small: nothing is read or dialled before the first
// event; the AWS SDK configuration is loaded on first use (the self-invoke,
// the token read) and the runner token is read once per sandbox. Runner logs
// are JSON on stderr; the token and the webhook secret never appear in them.
// Everything is written under /tmp (SEMAPHORE_TMP_PATH, HOME when unset or
// read-only).
package main
