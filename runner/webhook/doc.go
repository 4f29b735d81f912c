// Package webhook receives Semaphore's runner webhook and turns an accepted
// `start` into a launch of a one-off runner.
//
// Semaphore POSTs {"action","project_id","task_id","template_id","runner_id"}
// with no signature, before it assigns the task, and waits for the answer
// with no timeout; only 200 and 204 count as success, and any other answer
// fails the task at once. So the handler authenticates the call with a secret
// carried in the URL (?secret=, else the path segment after the last /hook/),
// compared in constant time over SHA-256 digests (neither content nor length
// leaks); validates the body; de-duplicates repeated starts of one task (a
// task id is remembered for Options.DedupWindow, and a `finish` marks it too,
// so a replayed start after the end launches nothing); hands the task id to
// a Launcher, which must not wait for the task; and answers 204. It never
// answers 202 and never blocks on the task.
//
// Answers, checked in this order:
//
//	401 wrong or missing secret (whatever the method)
//	405 not POST (Allow: POST) — a GET with the right secret therefore proves
//	    the URL reaches this handler without launching anything
//	413 body over MaxBodyBytes (declared or read)
//	400 malformed JSON, a missing or null action/task_id, a field of the wrong
//	    type, a non-positive task_id or an unknown action
//	204 accepted start, duplicate start, or finish
//	503 the launcher is at capacity or shutting down (errors.Is(err, ErrBusy))
//	502 any other launch failure
//
// Every 4xx/5xx carries {"error":"<what is wrong>"}; Semaphore then fails
// the task at once ("webhook returned incorrect status"), so the user sees a
// fast failure instead of a task stuck in `starting`. Nothing is launched for
// a 4xx. The secret never appears in a log line or an answer.
//
// Handle is the transport-free core, shared by the net/http Handler of
// `mayfly serve` and the Cloud Run service and by the AWS Lambda function.
// Options.Observe feeds metrics with one Result* value per call.
package webhook
