// Package secrets reads the runner token where a cloud deployment keeps it,
// and writes it there for `mayfly register`.
//
// A Source names exactly one place: the token itself (SEMAPHORE_RUNNER_TOKEN
// or runner.token_file, already read by runner/config), an SSM Parameter
// Store parameter (a SecureString, read WithDecryption, by name or ARN), or a
// Secrets Manager secret (by ARN or name). A Reader fetches the token on first
// use and caches it for the life of the process (one Lambda sandbox); a failed
// read is not cached, so the next invocation tries again. SSMWriter stores a
// new token as an SSM SecureString (overwriting: re-registering rotates it).
//
// Errors name the parameter or secret and say how to fix the usual causes
// (missing, access denied); they never contain the token. The AWS SDK is
// configured lazily by the caller (Options.AWSConfig), so that a process that
// never needs AWS never loads its configuration.
package secrets
