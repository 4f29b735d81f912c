package config

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// valid returns a loaded config that passes Validate.
func valid(t *testing.T) *Config {
	t.Helper()
	c, err := Load("", map[string]string{"SEMAPHORE_WEB_ROOT": "https://semaphore.example.com"})
	require.NoError(t, err)
	require.NoError(t, c.Validate())
	return c
}

func TestValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(c *Config)
		want string // "" = valid
	}{
		"defaults":         {func(*Config) {}, ""},
		"web_host missing": {func(c *Config) { c.WebHost = "" }, "config: web_host: required"},
		"http non-loopback": {func(c *Config) { c.WebHost = "http://10.0.0.5" },
			`config: web_host: "http://10.0.0.5" is not https; use https, or set mayfly.allow_insecure_http to true`},
		"http opt-out": {func(c *Config) {
			c.WebHost = "http://10.0.0.5"
			c.Mayfly.AllowInsecureHTTP = true
		}, ""},
		"http 127.0.0.1":       {func(c *Config) { c.WebHost = "http://127.0.0.1:3000" }, ""},
		"http 127.1.2.3":       {func(c *Config) { c.WebHost = "http://127.1.2.3" }, ""},
		"http ::1":             {func(c *Config) { c.WebHost = "http://[::1]:3000" }, ""},
		"http localhost":       {func(c *Config) { c.WebHost = "http://LocalHost:3000/semaphore" }, ""},
		"http mapped loopback": {func(c *Config) { c.WebHost = "http://[::ffff:127.0.0.1]:3000" }, ""},
		"http localhost.evil": {func(c *Config) { c.WebHost = "http://localhost.evil.com" },
			`is not https`},
		"http 128.0.0.1":  {func(c *Config) { c.WebHost = "http://128.0.0.1" }, "is not https"},
		"relative":        {func(c *Config) { c.WebHost = "semaphore.example.com" }, `web_host: "semaphore.example.com" is not an absolute URL`},
		"opaque":          {func(c *Config) { c.WebHost = "https:semaphore" }, "is not an absolute URL"},
		"no host":         {func(c *Config) { c.WebHost = "https://:443" }, "is not an absolute URL"},
		"ftp":             {func(c *Config) { c.WebHost = "ftp://s.example.com" }, `scheme "ftp" is not http or https`},
		"query":           {func(c *Config) { c.WebHost = "https://s.example.com/?a=b" }, "has a query string"},
		"fragment":        {func(c *Config) { c.WebHost = "https://s.example.com/#x" }, "has a fragment"},
		"credentials hid": {func(c *Config) { c.WebHost = "http://user:hunter2@10.0.0.5" }, `"http://****@10.0.0.5" is not https`},
		"webhook http": {func(c *Config) { c.Runner.Webhook = "http://hooks.example.com/x" },
			`runner.webhook: "http://hooks.example.com/x" is not https`},
		"webhook query ok": {func(c *Config) { c.Runner.Webhook = "https://hooks.example.com/x?secret=abc" }, ""},
		"webhook relative": {func(c *Config) { c.Runner.Webhook = "/hook" }, "runner.webhook: "},
		"token and file": {func(c *Config) {
			c.Runner.Token = "t"
			c.Runner.TokenFile = "/f"
		}, "config: runner.token: runner.token (SEMAPHORE_RUNNER_TOKEN) and runner.token_file (SEMAPHORE_RUNNER_TOKEN_FILE) are mutually exclusive"},
		"secret and file": {func(c *Config) {
			c.Mayfly.WebhookSecret = "s"
			c.Mayfly.WebhookSecretFile = "/f"
		}, "mayfly.webhook_secret and mayfly.webhook_secret_file are mutually exclusive"},
		"max_parallel 0":        {func(c *Config) { c.Runner.MaxParallelTasks = 0 }, ""},
		"max_parallel negative": {func(c *Config) { c.Runner.MaxParallelTasks = -1 }, "runner.max_parallel_tasks: -1 is negative"},
		"project_id 0":          {func(c *Config) { c.Runner.ProjectID = ptr(0) }, "runner.project_id: 0 is not a project id"},
		"empty tag":             {func(c *Config) { c.Runner.Tags = []string{"a", " "} }, "runner.tags[1]: empty tag"},
		"poll too long":         {func(c *Config) { c.Mayfly.PollInterval = 61 * time.Second }, "mayfly.poll_interval: 1m1s is out of range: want more than 0 and at most 1m0s"},
		"poll 60s":              {func(c *Config) { c.Mayfly.PollInterval = 60 * time.Second }, ""},
		"poll negative":         {func(c *Config) { c.Mayfly.PollInterval = -time.Second }, "mayfly.poll_interval: -1s is out of range"},
		"wait too long":         {func(c *Config) { c.Mayfly.TaskWaitTimeout = 2 * time.Hour }, "mayfly.task_wait_timeout: 2h0m0s is out of range"},
		"grace negative":        {func(c *Config) { c.Mayfly.StopGrace = -time.Second }, "mayfly.stop_grace: -1s is out of range: want 0 and at most 10m0s"},
		"grace too long":        {func(c *Config) { c.Mayfly.StopGrace = time.Hour }, "mayfly.stop_grace: 1h0m0s is out of range"},
		"log format":            {func(c *Config) { c.Mayfly.LogFormat = "xml" }, `mayfly.log_format: "xml" is not text or json`},
		"log level":             {func(c *Config) { c.Mayfly.LogLevel = "trace" }, `mayfly.log_level: "trace" is not debug, info, warn or error`},
		"log level case":        {func(c *Config) { c.Mayfly.LogLevel = "WARN" }, ""},
		"listen":                {func(c *Config) { c.Mayfly.Listen = "8080" }, `mayfly.listen: "8080" is not host:port`},
		"listen port":           {func(c *Config) { c.Mayfly.Listen = "127.0.0.1:99999" }, `mayfly.listen: "127.0.0.1:99999" has no valid port`},
		"listen any":            {func(c *Config) { c.Mayfly.Listen = ":0" }, ""},
		"max concurrent":        {func(c *Config) { c.Mayfly.MaxConcurrent = -1 }, "mayfly.max_concurrent: -1 must be at least 1"},
		"queue size":            {func(c *Config) { c.Mayfly.QueueSize = -1 }, "mayfly.queue_size: -1 is negative"},
		"git client":            {func(c *Config) { c.GitClient = "svn" }, `git_client: "svn" is not cmd_git or go_git`},
		"env var name":          {func(c *Config) { c.EnvVars = map[string]string{"A=B": "x"} }, `env_vars: "A=B" is not a valid environment variable name`},
		"forwarded name":        {func(c *Config) { c.ForwardedEnvVars = []string{""} }, `forwarded_env_vars[0]: "" is not a valid`},
	} {
		t.Run(name, func(t *testing.T) {
			c := valid(t)
			tc.edit(c)
			err := c.Validate()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var cerr *Error
			require.ErrorAs(t, err, &cerr)
			assert.Len(t, cerr.Problems, 1, "%q", cerr.Problems)
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	c := valid(t)
	c.WebHost = ""
	c.Runner.Token, c.Runner.TokenFile = "t", "/f"
	c.Mayfly.LogFormat = "xml"
	err := c.Validate()
	var cerr *Error
	require.ErrorAs(t, err, &cerr)
	assert.Len(t, cerr.Problems, 3)
	assert.Equal(t, 3, len(strings.Split(err.Error(), "\n")))
	for _, line := range strings.Split(err.Error(), "\n") {
		assert.Regexp(t, `^config: (web_host|runner\.token|mayfly\.log_format): `, line)
	}
}

// A Config built by hand (as `mayfly setup` does) validates: zero values mean the defaults.
func TestValidateHandBuiltConfig(t *testing.T) {
	c := &Config{WebHost: "https://semaphore.example.com"}
	require.NoError(t, c.Validate())
	assert.Empty(t, c.Mayfly.LogFormat, "Validate does not modify the config")
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST.": true, "127.0.0.1": true, "127.255.0.9": true, "::1": true,
		"::ffff:127.0.0.1": true, "fe80::1%eth0": false, "10.0.0.1": false, "example.com": false,
		"localhost.example.com": false, "": false, "0.0.0.0": false,
	} {
		assert.Equal(t, want, IsLoopbackHost(host), host)
	}
}
