// Package job turns a new_jobs entry of a Semaphore poll into a Job: the
// server's JobData with every access key it references resolved from the
// poll's access_keys map, validated, and the inventory repository copied back
// into place (the server ships it separately because the embedded field is
// json:"-" upstream).
//
// A Job and a Runtime (the paths, commit and runner environment the executor
// learned) give a plan: AnsiblePlan, TerraformPlan or ShellPlan hold the
// exact command lines, environments, prompts and file contents Semaphore's
// runner would use (execution.md §4–§6, 2026 behaviour), with the corrected
// behaviour where the stock runner has a bug. The plans are golden-tested
// (testdata/golden; go test ./runner/job -update rewrites them).
//
// The package is pure: no I/O, no processes. A key id that the map lacks
// yields a zero key (type ""), which behaves like "no authentication", as in
// the stock runner; a key whose type is not one of Semaphore's four is an
// error, so a task never runs with half-understood credentials.
//
// Deliberate deviations from the stock runner, all about secrets in argv:
// ansible's extra vars (and var-type secrets) are a 0600 file passed as
// --extra-vars @file, and terraform's secret variables are a 0600
// -var-file; -var arguments of ordinary extra vars stay in argv as upstream.
package job
