// Package worker assembles a runner from a configuration: the API client
// (TLS options, RSA key), the executor, and the runner loop. It is the one
// composition shared by `mayfly run` and `mayfly start`, the AWS Lambda
// worker and the Cloud Run job, so that every entry point runs tasks the
// same way.
package worker
