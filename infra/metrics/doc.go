// Package metrics exposes what `mayfly serve` does as Prometheus metrics:
// webhook calls, launches, runner exits, error reports, the latency from the
// webhook's arrival to the runner process start, running runners and queue
// depth. It plugs into webhook.Options.Observe and implements the local
// launcher's Observer; it has no package state (one Registry per Metrics).
//
// Metrics (all prefixed mayfly_):
//
//	webhook_requests_total{action,result}     counter
//	webhook_response_seconds{code}             histogram
//	launches_total{result}                     counter
//	runner_exits_total{outcome}                counter
//	error_reports_total{result}                counter
//	webhook_to_process_start_seconds           histogram
//	runners_running                            gauge
//	queue_depth                                gauge
//
// plus the standard go_* and process_* collectors.
package metrics
