// Package semaphoretest is an in-memory Semaphore UI server that speaks the
// remote-runner protocol (/api/internal/runners) the way the real server
// does, for tests, benchmarks and the demo. It does not import "testing".
//
// Contract:
//   - New listens on 127.0.0.1 only; URL is the server's web_host.
//   - Three behaviours: V2024 (PUT always 204, no validation, terminal
//     statuses can be overwritten), V2025 (PUT 204, 400 for foreign tasks or
//     invalid statuses, RSA-encrypted poll bodies for runners registered with
//     a public_key) and V2026 (PUT 200 with terminated_jobs, rules 1-6 of
//     protocol.md §3.3, waiting|starting in new_jobs, X-Runner-Started-At
//     restart detection).
//   - AddTask dispatches like the real server: status starting, then the
//     runner's webhook ("start"), and only after it answered 200/204 is the
//     task assigned and visible to polls. Any other answer fails the task.
//   - new_jobs repeats a task on every poll until the runner reports another
//     status; CurrentJobs carries the other tasks of the runner; access_keys
//     is always an object keyed by id strings.
//   - Stop, Confirm, Reject and Restart stand in for the UI and for a server
//     restart. SetFaultHook and SetOutage inject failures.
//   - Deterministic stand-ins for timers: the 2026 reconciler's started-at
//     rule runs on each poll of the runner; on 2024/2025 a task stays
//     reportable after its terminal status (the real server keeps it for up
//     to a second), so overwrites are observable.
//   - All methods are safe for concurrent use; there is no package state.
package semaphoretest
