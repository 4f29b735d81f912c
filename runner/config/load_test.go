package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeFile writes content to a fresh file in a temp dir and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func ptr[T any](v T) *T { return &v }

// fullConfig is testdata/full.json as a Config.
func fullConfig(path string) *Config {
	return &Config{
		WebHost:          "https://semaphore.example.com",
		TmpPath:          "/var/lib/mayfly/tmp",
		EnvVars:          map[string]string{"ANSIBLE_FORCE_COLOR": "1", "K": "V"},
		ForwardedEnvVars: []string{"HTTPS_PROXY", "NO_PROXY"},
		SSHConfigPath:    "/etc/mayfly/ssh_config",
		GitClient:        "cmd_git",
		Apps: map[string]App{
			"bash":    {Path: "/bin/bash", Args: []string{"-e"}},
			"ansible": {Path: "/usr/bin/ansible-playbook"},
		},
		Runner: Runner{
			TokenFile:             "/etc/mayfly/runner.token",
			RegistrationTokenFile: "/etc/mayfly/registration.token",
			OneOff:                true,
			Webhook:               "https://hooks.example.com/mayfly",
			MaxParallelTasks:      0,
			Name:                  "lambda-runner",
			Tags:                  []string{"aws", "linux"},
			Enabled:               ptr(false),
			ProjectID:             ptr(3),
			PrivateKeyFile:        "/etc/mayfly/runner.key",
			Connection:            Connection{ServerCACertFile: "/etc/mayfly/ca.pem", SkipTLSVerify: true},
		},
		Mayfly: Mayfly{
			AllowInsecureHTTP: true,
			PollInterval:      3 * time.Second,
			TaskWaitTimeout:   45 * time.Second,
			StopGrace:         20 * time.Second,
			LogFormat:         "json",
			LogLevel:          "debug",
			WebhookSecretFile: "/etc/mayfly/webhook.secret",
			Listen:            "0.0.0.0:9090",
			MaxConcurrent:     8,
			QueueSize:         32,
		},
		Path: path,
	}
}

func TestLoadEveryKeyWithCommentsAndTrailingCommas(t *testing.T) {
	c, err := Load("testdata/full.json", map[string]string{})
	require.NoError(t, err)
	assert.Equal(t, fullConfig("testdata/full.json"), c)
	assert.Empty(t, c.Warnings)
	require.NoError(t, c.Validate())
}

func TestLoadDefaults(t *testing.T) {
	for name, content := range map[string]string{
		"empty object": `{}`,
		"nulls":        `{"tmp_path": null, "runner": null, "mayfly": {"poll_interval": null, "listen": null}}`,
		"empty values": `{"tmp_path": "", "mayfly": {"poll_interval": "", "log_format": "", "max_concurrent": 0, "queue_size": 0}}`,
	} {
		t.Run(name, func(t *testing.T) {
			p := writeFile(t, "c.json", content)
			c, err := Load(p, map[string]string{})
			require.NoError(t, err)
			want := Default()
			want.Path = p
			assert.Equal(t, want, c)
		})
	}
	t.Run("no file", func(t *testing.T) {
		c, err := Load("", map[string]string{})
		require.NoError(t, err)
		assert.Equal(t, Default(), c)
		assert.Equal(t, "/tmp/semaphore", c.TmpPath)
		assert.Equal(t, 1, c.Runner.MaxParallelTasks)
		assert.Equal(t, time.Second, c.Mayfly.PollInterval)
		assert.Equal(t, 2*time.Minute, c.Mayfly.TaskWaitTimeout)
		assert.Equal(t, 15*time.Second, c.Mayfly.StopGrace)
		assert.Equal(t, "text", c.Mayfly.LogFormat)
		assert.Equal(t, "info", c.Mayfly.LogLevel)
		assert.Equal(t, "127.0.0.1:8080", c.Mayfly.Listen)
		assert.Equal(t, 4, c.Mayfly.MaxConcurrent)
		assert.Equal(t, 16, c.Mayfly.QueueSize)
		assert.Nil(t, c.Runner.Enabled)
		assert.Nil(t, c.Runner.ProjectID)
	})
}

func TestLoadEnvOverridesFile(t *testing.T) {
	environ := map[string]string{
		"SEMAPHORE_WEB_ROOT":                       "https://env.example.com",
		"SEMAPHORE_TMP_PATH":                       "/env/tmp",
		"SEMAPHORE_RUNNER_TOKEN":                   "env-token",
		"SEMAPHORE_RUNNER_TOKEN_FILE":              "",
		"SEMAPHORE_RUNNER_REGISTRATION_TOKEN":      "env-reg",
		"SEMAPHORE_RUNNER_REGISTRATION_TOKEN_FILE": "/env/reg",
		"SEMAPHORE_RUNNER_ONE_OFF":                 "false",
		"SEMAPHORE_RUNNER_WEBHOOK":                 "https://env.example.com/hook",
		"SEMAPHORE_RUNNER_MAX_PARALLEL_TASKS":      "7",
		"SEMAPHORE_RUNNER_NAME":                    "env-name",
		"SEMAPHORE_RUNNER_TAGS":                    "x,y",
		"SEMAPHORE_RUNNER_ENABLED":                 "true",
		"SEMAPHORE_RUNNER_PROJECT_ID":              "9",
		"SEMAPHORE_RUNNER_PRIVATE_KEY_FILE":        "/env/key",
		"SEMAPHORE_RUNNER_SERVER_CA_CERT_FILE":     "/env/ca.pem",
		"SEMAPHORE_RUNNER_SKIP_TLS_VERIFY":         "false",
		"SEMAPHORE_ENV_VARS":                       `{"E":"1"}`,
		"SEMAPHORE_FORWARDED_ENV_VARS":             `["HTTP_PROXY"]`,
		"SEMAPHORE_SSH_PATH":                       "/env/ssh",
		"SEMAPHORE_GIT_CLIENT":                     "go_git",
		"SEMAPHORE_APPS":                           `{"python": {"path": "/usr/bin/python3", "args": ["-u"]}}`,
		"MAYFLY_ALLOW_INSECURE_HTTP":               "false",
		"MAYFLY_POLL_INTERVAL":                     "5s",
		"MAYFLY_TASK_WAIT_TIMEOUT":                 "10s",
		"MAYFLY_STOP_GRACE":                        "1s",
		"MAYFLY_LOG_FORMAT":                        "TEXT",
		"MAYFLY_LOG_LEVEL":                         "warning",
		"MAYFLY_WEBHOOK_SECRET":                    "env-secret",
		"MAYFLY_WEBHOOK_SECRET_FILE":               "/env/secret",
		"MAYFLY_LISTEN":                            "127.0.0.1:1",
		"MAYFLY_MAX_CONCURRENT":                    "2",
		"MAYFLY_QUEUE_SIZE":                        "3",
	}
	c, err := Load("testdata/full.json", environ)
	require.NoError(t, err)
	want := &Config{
		WebHost:          "https://env.example.com",
		TmpPath:          "/env/tmp",
		EnvVars:          map[string]string{"E": "1"},
		ForwardedEnvVars: []string{"HTTP_PROXY"},
		SSHConfigPath:    "/env/ssh",
		GitClient:        "go_git",
		Apps:             map[string]App{"python": {Path: "/usr/bin/python3", Args: []string{"-u"}}},
		Runner: Runner{
			Token:                 "env-token",
			TokenFile:             "/etc/mayfly/runner.token", // an empty variable does not override
			RegistrationToken:     "env-reg",
			RegistrationTokenFile: "/env/reg",
			Webhook:               "https://env.example.com/hook",
			MaxParallelTasks:      7,
			Name:                  "env-name",
			Tags:                  []string{"x", "y"},
			Enabled:               ptr(true),
			ProjectID:             ptr(9),
			PrivateKeyFile:        "/env/key",
			Connection:            Connection{ServerCACertFile: "/env/ca.pem"},
		},
		Mayfly: Mayfly{
			PollInterval:      5 * time.Second,
			TaskWaitTimeout:   10 * time.Second,
			StopGrace:         time.Second,
			LogFormat:         "text",
			LogLevel:          "warn",
			WebhookSecret:     "env-secret",
			WebhookSecretFile: "/env/secret",
			Listen:            "127.0.0.1:1",
			MaxConcurrent:     2,
			QueueSize:         3,
		},
		Path: "testdata/full.json",
	}
	assert.Equal(t, want, c)
}

func TestLoadEnvTags(t *testing.T) {
	for value, want := range map[string][]string{
		`["a","b c"]`:    {"a", "b c"},
		` [ "a" ] `:      {"a"},
		`a,b`:            {"a", "b"},
		` a , b ,, c `:   {"a", "b", "c"},
		`single`:         {"single"},
		`["with,comma"]`: {"with,comma"},
	} {
		t.Run(value, func(t *testing.T) {
			c, err := Load("", map[string]string{"SEMAPHORE_RUNNER_TAGS": value})
			require.NoError(t, err)
			assert.Equal(t, want, c.Runner.Tags)
		})
	}
	_, err := Load("", map[string]string{"SEMAPHORE_RUNNER_TAGS": `["a",`})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SEMAPHORE_RUNNER_TAGS: want a JSON array of strings or a comma-separated list")
}

func TestLoadUsesProcessEnvironmentWhenNil(t *testing.T) {
	t.Setenv("SEMAPHORE_WEB_ROOT", "https://from-os.example.com")
	c, err := Load("", nil)
	require.NoError(t, err)
	assert.Equal(t, "https://from-os.example.com", c.WebHost)
}

func TestLoadEnvIgnoresEmptyKey(t *testing.T) {
	c, err := Load("", map[string]string{"": "x"})
	require.NoError(t, err)
	assert.Equal(t, Default(), c)
}

func TestLoadNormalizes(t *testing.T) {
	c, err := Load("", map[string]string{
		"SEMAPHORE_WEB_ROOT": " https://s.example.com/semaphore// ",
		"MAYFLY_LOG_LEVEL":   "DEBUG",
		"MAYFLY_LOG_FORMAT":  "Json",
	})
	require.NoError(t, err)
	assert.Equal(t, "https://s.example.com/semaphore", c.WebHost)
	assert.Equal(t, "debug", c.Mayfly.LogLevel)
	assert.Equal(t, "json", c.Mayfly.LogFormat)
}

func TestLoadCheckIntervalSeconds(t *testing.T) {
	p := writeFile(t, "c.json", `{"runner": {"check_interval_seconds": 5}}`)
	c, err := Load(p, map[string]string{})
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, c.Mayfly.PollInterval)

	c, err = Load(p, map[string]string{"SEMAPHORE_RUNNER_CHECK_INTERVAL_SECONDS": "7"})
	require.NoError(t, err)
	assert.Equal(t, 7*time.Second, c.Mayfly.PollInterval)

	c, err = Load(p, map[string]string{"MAYFLY_POLL_INTERVAL": "2s"})
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, c.Mayfly.PollInterval, "mayfly.poll_interval wins")

	_, err = Load(p, map[string]string{"SEMAPHORE_RUNNER_CHECK_INTERVAL_SECONDS": "soon"})
	require.EqualError(t, err, `config: SEMAPHORE_RUNNER_CHECK_INTERVAL_SECONDS: want a whole number, got "soon"`)
}

func TestLoadBOM(t *testing.T) {
	p := writeFile(t, "c.json", "\xef\xbb\xbf{\"web_host\": \"https://s.example.com\"}")
	c, err := Load(p, map[string]string{})
	require.NoError(t, err)
	assert.Equal(t, "https://s.example.com", c.WebHost)
}

func TestLoadCheckIntervalOutOfRange(t *testing.T) {
	for value, want := range map[string]string{
		"120":     "mayfly.poll_interval: 2m0s is out of range",
		"-5":      "mayfly.poll_interval: -1s is out of range",
		"2000000": "mayfly.poll_interval: 291h16m16s is out of range",
	} {
		c, err := Load("", map[string]string{
			"SEMAPHORE_WEB_ROOT": "https://s.example.com", "SEMAPHORE_RUNNER_CHECK_INTERVAL_SECONDS": value,
		})
		require.NoError(t, err)
		require.ErrorContains(t, c.Validate(), want, value)
	}
}
