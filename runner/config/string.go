package config

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

const mask = "****"

// String is a human-readable dump of every key, one per line, with every
// secret masked: the runner and registration tokens and the webhook secret
// print as "****" (or "(not set)"), env_vars values as "(set)", and URLs lose
// user info, query values, known secrets and secret-looking path segments.
func (c *Config) String() string {
	secrets := c.knownSecrets()
	var b strings.Builder
	line := func(key, value string) { fmt.Fprintf(&b, "%-38s %s\n", key, value) }
	q := strconv.Quote
	path := c.Path
	if path == "" {
		path = "(none: environment only)"
	}
	line("config file", path)
	line("web_host", q(maskURL(c.WebHost, secrets)))
	line("tmp_path", q(c.TmpPath))
	line("ssh_config_path", q(c.SSHConfigPath))
	line("git_client", q(c.GitClient))
	line("env_vars", maskedMap(c.EnvVars))
	line("forwarded_env_vars", quoteList(c.ForwardedEnvVars))
	for _, name := range slices.Sorted(maps.Keys(c.Apps)) {
		a := c.Apps[name]
		line("apps."+name, q(a.Path)+" "+quoteList(a.Args))
	}

	r := c.Runner
	line("runner.token", secret(r.Token))
	line("runner.token_file", q(r.TokenFile))
	line("runner.registration_token", secret(r.RegistrationToken))
	line("runner.registration_token_file", q(r.RegistrationTokenFile))
	line("runner.one_off", strconv.FormatBool(r.OneOff))
	line("runner.webhook", q(maskURL(r.Webhook, secrets)))
	line("runner.max_parallel_tasks", strconv.Itoa(r.MaxParallelTasks))
	line("runner.name", q(r.Name))
	line("runner.tags", quoteList(r.Tags))
	line("runner.enabled", optional(r.Enabled))
	line("runner.project_id", optional(r.ProjectID))
	line("runner.private_key_file", q(r.PrivateKeyFile))
	line("runner.connection.server_ca_cert_file", q(r.Connection.ServerCACertFile))
	line("runner.connection.skip_tls_verify", strconv.FormatBool(r.Connection.SkipTLSVerify))

	m := c.Mayfly
	line("mayfly.allow_insecure_http", strconv.FormatBool(m.AllowInsecureHTTP))
	line("mayfly.poll_interval", m.PollInterval.String())
	line("mayfly.task_wait_timeout", m.TaskWaitTimeout.String())
	line("mayfly.stop_grace", m.StopGrace.String())
	line("mayfly.log_format", q(m.LogFormat))
	line("mayfly.log_level", q(m.LogLevel))
	line("mayfly.webhook_secret", secret(m.WebhookSecret))
	line("mayfly.webhook_secret_file", q(m.WebhookSecretFile))
	line("mayfly.listen", q(m.Listen))
	line("mayfly.max_concurrent", strconv.Itoa(m.MaxConcurrent))
	line("mayfly.queue_size", strconv.Itoa(m.QueueSize))
	return b.String()
}

// knownSecrets are the secret values that may appear inside URLs, longest
// first so that a secret containing another is masked whole. The webhook
// secret file is read (best effort) because that secret is in the webhook URL.
func (c *Config) knownSecrets() []string {
	s := []string{c.Runner.Token, c.Runner.RegistrationToken, c.Mayfly.WebhookSecret}
	if c.Mayfly.WebhookSecretFile != "" {
		if b, err := readLimited(c.Mayfly.WebhookSecretFile, maxSecretSize); err == nil {
			s = append(s, strings.TrimSpace(string(b)))
		}
	}
	s = slices.DeleteFunc(s, func(v string) bool { return len(strings.TrimSpace(v)) < 4 })
	slices.SortFunc(s, func(a, b string) int { return len(b) - len(a) })
	return s
}

var (
	userinfoRE = regexp.MustCompile(`//[^/?#]*@`)
	// A path segment that looks like a generated secret: long, token
	// alphabet only, with both letters and digits.
	tokenSegRE = regexp.MustCompile(`^[A-Za-z0-9_\-+=.~%]{20,}$`)
)

// maskURL hides credentials in a URL: user info, query values, the given
// secrets and secret-looking path segments.
func maskURL(raw string, secrets []string) string {
	if raw == "" {
		return ""
	}
	out := raw
	for _, s := range secrets {
		out = strings.ReplaceAll(out, s, mask)
		out = strings.ReplaceAll(out, url.PathEscape(s), mask)
		out = strings.ReplaceAll(out, url.QueryEscape(s), mask)
	}
	u, err := url.Parse(out)
	if err != nil {
		return userinfoRE.ReplaceAllString(out, "//"+mask+"@")
	}
	if u.User != nil {
		u.User = url.User(mask)
	}
	if u.RawQuery != "" {
		vals, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			u.RawQuery = mask
		} else {
			for k := range vals {
				vals[k] = []string{mask}
			}
			u.RawQuery = vals.Encode()
		}
	}
	if u.Opaque != "" {
		u.Opaque = mask
	}
	segs := strings.Split(u.EscapedPath(), "/")
	changed := false
	for i, seg := range segs {
		if looksSecret(seg) {
			segs[i], changed = mask, true
		}
	}
	if changed {
		u.RawPath = ""
		u.Path, _ = url.PathUnescape(strings.Join(segs, "/"))
	}
	return strings.ReplaceAll(u.String(), url.QueryEscape(mask), mask)
}

func looksSecret(seg string) bool {
	return seg != mask && tokenSegRE.MatchString(seg) &&
		strings.ContainsAny(seg, "0123456789") &&
		strings.IndexFunc(seg, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }) >= 0
}

func secret(v string) string {
	if v == "" {
		return "(not set)"
	}
	return mask
}

func maskedMap(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, strconv.Quote(k)+"=(set)")
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func quoteList(l []string) string {
	parts := make([]string, len(l))
	for i, s := range l {
		parts[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func optional[T any](p *T) string {
	if p == nil {
		return "(not set)"
	}
	return fmt.Sprint(*p)
}
