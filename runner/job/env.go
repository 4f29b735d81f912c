package job

import (
	"encoding/json"
	"fmt"
	"strings"
)

// defaultForwarded are the runner variables every app gets when they are
// set (the 2026 runner's list): proxies, certificates, user, locale, temp dirs.
var defaultForwarded = []string{
	"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy",
	"ALL_PROXY", "all_proxy", "FTP_PROXY", "ftp_proxy",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE",
	"GIT_SSL_CAINFO", "GIT_SSL_CAPATH",
	"USER", "LOGNAME", "USERNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ",
	"TMPDIR", "TEMP", "TMP",
}

// BaseEnv is the environment every command of a task starts from, git
// included: PATH (always, fixing bug B4), the forwarded variables that are
// set and not empty, then the config's env_vars.
func (rt Runtime) BaseEnv() []string {
	runner := map[string]string{}
	for _, kv := range rt.Environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			runner[k] = v
		}
	}
	env := []string{"PATH=" + runner["PATH"]}
	for _, list := range [][]string{defaultForwarded, rt.ForwardedEnvVars} {
		for _, k := range list {
			if v := runner[k]; v != "" {
				env = append(env, k+"="+v)
			}
		}
	}
	for _, k := range sortedKeys(rt.EnvVars) {
		env = append(env, k+"="+rt.EnvVars[k])
	}
	return env
}

// taskEnv is the task's own environment: the environment's variables
// (sorted), its env-type secrets, then survey variables whose target is env.
func (j *Job) taskEnv(v vars) ([]string, error) {
	var env []string
	if raw := j.Environment.ENV; raw != nil && *raw != "" {
		m := map[string]any{}
		if err := json.Unmarshal([]byte(*raw), &m); err != nil {
			return nil, fmt.Errorf("environment variables: %w", err)
		}
		for _, k := range sortedKeys(m) {
			env = append(env, k+"="+formatValue(m[k]))
		}
	}
	for _, s := range j.Environment.Secrets {
		if s.Type == "env" {
			env = append(env, s.Name+"="+s.Secret)
		}
	}
	return append(env, v.env...), nil
}

// semaphoreEnv is what the runner adds after the task environment: the
// agent socket of the inventory key, the build/deploy variables and the
// task's JWT.
func (j *Job) semaphoreEnv(rt Runtime) []string {
	var env []string
	if rt.AgentSocket != "" {
		env = append(env, "SSH_AUTH_SOCK="+rt.AgentSocket)
	}
	if typ := j.Template.Type; typ != "" {
		env = append(env, "SEMAPHORE_TASK_TYPE="+typ)
		if v := j.IncomingVersion; v != nil {
			env = append(env, "SEMAPHORE_TASK_INCOMING_VERSION="+*v)
		}
		if v := j.Task.Version; typ == "build" && v != nil {
			env = append(env, "SEMAPHORE_TASK_TARGET_VERSION="+*v)
		}
	}
	if j.JWT != "" {
		env = append(env, "SEMAPHORE_JWT="+j.JWT)
	}
	return env
}

// appEnv composes an app's environment: head (app defaults), the base
// environment, HOME and PWD, then the task's parts.
func (rt Runtime) appEnv(head []string, pwd string, parts ...[]string) []string {
	env := append(append([]string{}, head...), rt.BaseEnv()...)
	env = append(env, "HOME="+rt.Home, "PWD="+pwd)
	for _, p := range parts {
		env = append(env, p...)
	}
	return dedupeEnv(env)
}

// dedupeEnv keeps the last value of every variable, at the position of its
// last occurrence, as exec would use it.
func dedupeEnv(env []string) []string {
	last := map[string]int{}
	for i, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		last[k] = i
	}
	out := make([]string, 0, len(last))
	for i, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if last[k] == i {
			out = append(out, kv)
		}
	}
	return out
}
