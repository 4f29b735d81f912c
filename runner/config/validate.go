package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Ranges enforced by Validate.
const (
	maxPollInterval    = 60 * time.Second
	maxTaskWaitTimeout = time.Hour
	maxStopGrace       = 10 * time.Minute
)

// Validate checks the configuration and returns an *Error listing every
// problem by key name, or nil. Zero values that mean "default" are valid.
// It reads no files: missing token or CA files surface in Token and TLSConfig.
func (c *Config) Validate() error {
	e := c.effective()
	var p problems

	switch {
	case e.WebHost == "":
		p.add("web_host", "required (the Semaphore server URL, or SEMAPHORE_WEB_ROOT)")
	default:
		p.url("web_host", e.WebHost, e.Mayfly.AllowInsecureHTTP, false)
	}
	if e.Runner.Webhook != "" {
		p.url("runner.webhook", e.Runner.Webhook, e.Mayfly.AllowInsecureHTTP, true)
	}
	if e.GitClient != "" && e.GitClient != "cmd_git" && e.GitClient != "go_git" {
		p.add("git_client", "%q is not cmd_git or go_git", e.GitClient)
	}
	for k := range e.EnvVars {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			p.add("env_vars", "%q is not a valid environment variable name", k)
		}
	}
	for i, k := range e.ForwardedEnvVars {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			p.add(fmt.Sprintf("forwarded_env_vars[%d]", i), "%q is not a valid environment variable name", k)
		}
	}

	r := e.Runner
	if r.Token != "" && r.TokenFile != "" {
		p.add("runner.token", "runner.token (SEMAPHORE_RUNNER_TOKEN) and runner.token_file (SEMAPHORE_RUNNER_TOKEN_FILE) are mutually exclusive; set one")
	}
	if r.MaxParallelTasks < 0 {
		p.add("runner.max_parallel_tasks", "%d is negative; use 0 for unlimited", r.MaxParallelTasks)
	}
	if r.ProjectID != nil && *r.ProjectID < 1 {
		p.add("runner.project_id", "%d is not a project id; remove it for a global runner", *r.ProjectID)
	}
	for i, t := range r.Tags {
		if strings.TrimSpace(t) == "" {
			p.add(fmt.Sprintf("runner.tags[%d]", i), "empty tag")
		}
	}

	m := e.Mayfly
	if m.WebhookSecret != "" && m.WebhookSecretFile != "" {
		p.add("mayfly.webhook_secret", "mayfly.webhook_secret and mayfly.webhook_secret_file are mutually exclusive; set one")
	}
	p.duration("mayfly.poll_interval", m.PollInterval, time.Nanosecond, maxPollInterval)
	p.duration("mayfly.task_wait_timeout", m.TaskWaitTimeout, time.Nanosecond, maxTaskWaitTimeout)
	p.duration("mayfly.stop_grace", m.StopGrace, 0, maxStopGrace)
	if m.LogFormat != "text" && m.LogFormat != "json" {
		p.add("mayfly.log_format", "%q is not text or json", m.LogFormat)
	}
	switch m.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		p.add("mayfly.log_level", "%q is not debug, info, warn or error", m.LogLevel)
	}
	if err := checkListen(m.Listen); err != "" {
		p.add("mayfly.listen", "%q %s", m.Listen, err)
	}
	if m.MaxConcurrent < 1 {
		p.add("mayfly.max_concurrent", "%d must be at least 1", m.MaxConcurrent)
	}
	if m.QueueSize < 0 {
		p.add("mayfly.queue_size", "%d is negative", m.QueueSize)
	}

	if len(p) == 0 {
		return nil
	}
	return &Error{Problems: p}
}

type problems []string

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, key+": "+fmt.Sprintf(format, args...))
}

func (p *problems) duration(key string, d, lo, hi time.Duration) {
	if d < lo || d > hi {
		low := "0"
		if lo > 0 {
			low = "more than 0"
		}
		p.add(key, "%s is out of range: want %s and at most %s", d, low, hi)
	}
}

// url checks an absolute http(s) URL. The server URL may not carry a query;
// the webhook may (its secret can live there).
func (p *problems) url(key, raw string, allowInsecure, queryOK bool) {
	shown := strconv.Quote(maskURL(raw, nil))
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		p.add(key, "%s is not an absolute URL such as https://semaphore.example.com", shown)
		return
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !allowInsecure && !IsLoopbackHost(u.Hostname()) {
			p.add(key, "%s is not https; use https, or set mayfly.allow_insecure_http to true", shown)
		}
	default:
		p.add(key, "%s: scheme %q is not http or https", shown, u.Scheme)
	}
	if !queryOK && (u.RawQuery != "" || u.ForceQuery) {
		p.add(key, "%s has a query string; remove it", shown)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		p.add(key, "%s has a fragment (#...); remove it", shown)
	}
}

// IsLoopbackHost reports whether host (no port) is localhost or a loopback
// IP address (127.0.0.0/8, ::1), where plain http is acceptable.
func IsLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" {
		return true
	}
	if i := strings.IndexByte(host, '%'); i >= 0 { // IPv6 zone
		host = host[:i]
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// checkListen returns why addr is not a host:port to listen on, or "".
func checkListen(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "is not host:port (e.g. 127.0.0.1:8080)"
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "has no valid port"
	}
	return ""
}
