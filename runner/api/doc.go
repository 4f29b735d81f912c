// Package api is the typed client for Semaphore UI's remote-runner endpoint
// /api/internal/runners, and holds the exact wire types of that protocol
// (see spec/protocol.md; field casing is significant).
//
// Contract:
//   - One Client owns one shared HTTP client (resty) and is safe for
//     concurrent use. It never retries: callers decide, using Retryable.
//   - Register (POST) sends no token header; Poll (GET), Progress (PUT) and
//     Unregister (DELETE) send X-Runner-Token. DELETE carries it too (the
//     stock runner omits it and gets 401).
//   - X-Runner-Started-At is sent on polls only when Options.StartedAt is
//     set, and then with the same value for the lifetime of the Client.
//     One-off processes sharing a token must leave it zero.
//   - Poll bodies with Content-Type application/octet-stream (2025 servers)
//     are RSA PKCS#1 v1.5 block-decrypted with Options.PrivateKey.
//   - Progress accepts 204 (2024/2025 servers) and 200 {"terminated_jobs":[..]}
//     or {} (2026 servers) as success.
//   - Errors are classified with errors.Is/As: *Error carries the HTTP status;
//     ErrUnauthorized, ErrRegistrationRejected and ErrUnreachable are
//     sentinels. Tokens and bodies never appear in errors or logs.
package api
