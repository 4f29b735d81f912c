// Package config loads, validates, prints and persists the runner
// configuration: Semaphore's runner config file plus the SEMAPHORE_* and
// MAYFLY_* environment variables.
//
// # File format
//
// The file is JSON that may contain // and /* */ comments and trailing commas
// (parsed with github.com/tailscale/hujson). It holds exactly the keys of
// Semaphore's own runner config, so `semaphore runner` can still read a file
// that mayfly reads, plus one block of our own, "mayfly", which Semaphore
// ignores:
//
//	{
//	  "web_host": "https://semaphore.example.com",
//	  "tmp_path": "/tmp/semaphore",
//	  "env_vars": {}, "forwarded_env_vars": [], "ssh_config_path": "", "git_client": "",
//	  "apps": {"bash": {"path": "/bin/bash", "args": ["-e"]}},
//	  "runner": {"token_file": "/etc/mayfly/token", "webhook": "", "max_parallel_tasks": 1, ...,
//	             "connection": {"server_ca_cert_file": "", "skip_tls_verify": false}},
//	  "mayfly": {"poll_interval": "1s", "listen": "127.0.0.1:8080", ...}
//	}
//
// Strictness: an unknown key inside "runner", "runner.connection" or "mayfly"
// is an error naming the full key path (and suggesting the closest known key);
// a value of the wrong type is an error naming the key; duplicate keys are
// errors. Unknown top-level keys are ignored: keys of Semaphore's server config
// silently, anything else with an entry in Config.Warnings. The stock 2026
// runner keys mayfly does not implement (runner.executor,
// runner.identity_private_key_file) produce warnings, and
// runner.check_interval_seconds (SEMAPHORE_RUNNER_CHECK_INTERVAL_SECONDS) is
// honoured as the poll interval when mayfly.poll_interval is unset. JSON null
// means "not set". Load never panics, whatever the input (see FuzzLoad).
//
// # Precedence and defaults
//
// Defaults, then the file, then the environment: a variable that is set and
// non-empty overrides the file. For the mayfly block and tmp_path a zero
// value ("" or 0) means "use the default", both in the file and in a Config
// built by hand; runner.max_parallel_tasks keeps an explicit 0 (unlimited, as
// on the server). Load does not call Validate: callers print Warnings, then
// call Validate, which reports every problem at once.
//
// # Secrets
//
// Config.String masks the runner token, the registration token, the webhook
// secret, env_vars values and credentials in URLs (user info, query values,
// secret-looking path segments). Token, RegistrationTokenValue and
// WebhookSecretValue read *_file keys on demand and never put a secret in an
// error. Everything this package writes (token files, config files) is
// written atomically with mode 0600; SaveToken and ClearToken patch the config
// file in place, keeping comments and keys they do not own.
//
// Errors are prefixed "config: "; Load and Validate return *Error, which
// lists every problem found.
package config
