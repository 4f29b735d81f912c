// Package awslambda launches one-off runners as asynchronous AWS Lambda
// invocations (lambda:InvokeFunction, InvocationType=Event) of a function
// that runs mayfly's worker: functions/awslambda, invoked by itself from its
// own Function URL, or by a self-hosted `mayfly serve` fanning out to Lambda.
//
// The payload is a WorkerEvent, {"mayfly_worker":{"task_id":N,"received_at":…}}.
// An accepted invocation (202) is queued by Lambda and Launch returns at once.
// Only throttling (TooManyRequestsException) is retried, a few times with a
// short backoff, and then reported as webhook.ErrBusy (the webhook answers
// 503). Every other error is a launch failure (502) and is not retried: an
// asynchronous invoke that failed in transit may still have been queued, and
// a second one would run the task twice. Either answer fails the task in
// Semaphore at once, with the reason in the runner log.
//
// Lambda itself may deliver an asynchronous event more than once; the worker
// is bound to its task id and the server hands a task out once, so a
// duplicate finds nothing to do.
package awslambda
