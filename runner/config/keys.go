package config

import (
	"fmt"
	"strings"
)

// Keys mayfly reads, per block; used for "did you mean" suggestions.
var (
	topKeys = []string{"web_host", "tmp_path", "env_vars", "forwarded_env_vars", "ssh_config_path",
		"git_client", "apps", "runner", "mayfly"}
	runnerKeys = []string{"token", "token_file", "registration_token", "registration_token_file",
		"one_off", "webhook", "max_parallel_tasks", "name", "tags", "enabled", "project_id",
		"private_key_file", "connection", "check_interval_seconds", "executor", "identity_private_key_file"}
	connectionKeys = []string{"server_ca_cert_file", "skip_tls_verify"}
	mayflyKeys     = []string{"allow_insecure_http", "poll_interval", "task_wait_timeout", "stop_grace",
		"log_format", "log_level", "webhook_secret", "webhook_secret_file", "listen",
		"max_concurrent", "queue_size"}
)

// serverKeys are top-level keys of Semaphore's server config (2024-2026),
// ignored silently so that a shared config file loads without noise.
var serverKeys = map[string]bool{
	"dialect": true, "mysql": true, "postgres": true, "bolt": true, "sqlite": true,
	"port": true, "interface": true, "tls": true, "auth": true, "totp": true,
	"cookie_hash": true, "cookie_encryption": true, "access_key_encryption": true,
	"oidc_providers": true, "max_task_duration_sec": true, "max_tasks_per_template": true,
	"max_parallel_tasks": true, "runner_registration_token": true, "runners": true,
	"password_login_disable": true, "non_admin_can_create_project": true,
	"use_remote_runner": true, "global_integration_alias": true, "integration_alias": true,
	"git_attempts": true, "dirs": true, "secrets_path": true, "home_dir_mode": true,
	"schedule": true, "jwt": true, "ha": true, "metrics": true, "log": true, "logs": true,
	"process": true, "teams": true, "syslog": true, "debugging": true, "subscription": true,
	"web_root": true, "event_log": true, "task_log": true, "audit": true, "redis": true,
	"alert": true, "alerts": true, "email": true, "ldap": true, "config_path": true,
}

// serverKeyPrefixes cover families of server keys (email_host, ldap_binddn, ...).
var serverKeyPrefixes = []string{"email_", "ldap_", "telegram_", "slack_", "rocketchat_",
	"microsoft_teams_", "dingtalk_", "gotify_", "mattermost_", "oidc_", "ha_", "tls_"}

func semaphoreServerKey(name string) bool {
	if serverKeys[name] {
		return true
	}
	for _, p := range serverKeyPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// suggest returns `; did you mean "PREFIX+KEY"?` for the known key closest
// to name, or "" when none is close. prefix is prepended to the suggestion.
func suggest(name string, known []string, prefix ...string) string {
	if len(name) > 64 {
		return ""
	}
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(name, k); d < bestDist && d <= max(1, len(k)/3) {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", strings.Join(prefix, "")+best)
}

// editDistance is the Levenshtein distance between short ASCII-ish strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
