package config

import (
	"bytes"
	"encoding/json"
	"time"
)

// object is a JSON object that keeps its key order.
type object []member

type member struct {
	key   string
	value any
}

func (o object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep & < > in URLs readable
	buf.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(m.key); err != nil {
			return nil, err
		}
		buf.WriteByte(':')
		if err := enc.Encode(m.value); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func (o *object) str(key, v, def string) {
	if v != "" && v != def {
		*o = append(*o, member{key, v})
	}
}

func (o *object) boolean(key string, v bool) {
	if v {
		*o = append(*o, member{key, v})
	}
}

// integer adds v unless it equals one of skip.
func (o *object) integer(key string, v int, skip ...int) {
	for _, s := range skip {
		if v == s {
			return
		}
	}
	*o = append(*o, member{key, v})
}

func (o *object) duration(key string, v, def time.Duration) {
	if v != 0 && v != def {
		*o = append(*o, member{key, v.String()})
	}
}

func (o *object) any(key string, v any, set bool) {
	if set {
		*o = append(*o, member{key, v})
	}
}

// document is c as a config file: set, non-default keys only, in the order
// of Semaphore's documentation.
func (c *Config) document() object {
	var top object
	top.str("web_host", c.WebHost, "")
	top.str("tmp_path", c.TmpPath, DefaultTmpPath)
	top.any("env_vars", c.EnvVars, len(c.EnvVars) > 0)
	top.any("forwarded_env_vars", c.ForwardedEnvVars, len(c.ForwardedEnvVars) > 0)
	top.str("ssh_config_path", c.SSHConfigPath, "")
	top.str("git_client", c.GitClient, "")
	if len(c.Apps) > 0 {
		apps := map[string]object{}
		for name, a := range c.Apps {
			var o object
			o.str("path", a.Path, "")
			o.any("args", a.Args, len(a.Args) > 0)
			apps[name] = o
		}
		top = append(top, member{"apps", apps})
	}

	r := c.Runner
	var runner object
	runner.str("token", r.Token, "")
	runner.str("token_file", r.TokenFile, "")
	runner.str("registration_token_file", r.RegistrationTokenFile, "")
	runner.boolean("one_off", r.OneOff)
	runner.str("webhook", r.Webhook, "")
	runner.integer("max_parallel_tasks", r.MaxParallelTasks, DefaultMaxParallelTasks)
	runner.str("name", r.Name, "")
	runner.any("tags", r.Tags, len(r.Tags) > 0)
	runner.any("enabled", r.Enabled, r.Enabled != nil)
	runner.any("project_id", r.ProjectID, r.ProjectID != nil)
	runner.str("private_key_file", r.PrivateKeyFile, "")
	var conn object
	conn.str("server_ca_cert_file", r.Connection.ServerCACertFile, "")
	conn.boolean("skip_tls_verify", r.Connection.SkipTLSVerify)
	runner.any("connection", conn, len(conn) > 0)
	top.any("runner", runner, len(runner) > 0)

	m := c.Mayfly
	var my object
	my.boolean("allow_insecure_http", m.AllowInsecureHTTP)
	my.duration("poll_interval", m.PollInterval, DefaultPollInterval)
	my.duration("task_wait_timeout", m.TaskWaitTimeout, DefaultTaskWaitTimeout)
	my.duration("stop_grace", m.StopGrace, DefaultStopGrace)
	my.str("log_format", m.LogFormat, DefaultLogFormat)
	my.str("log_level", m.LogLevel, DefaultLogLevel)
	my.str("webhook_secret", m.WebhookSecret, "")
	my.str("webhook_secret_file", m.WebhookSecretFile, "")
	my.str("listen", m.Listen, DefaultListen)
	my.integer("max_concurrent", m.MaxConcurrent, 0, DefaultMaxConcurrent)
	my.integer("queue_size", m.QueueSize, 0, DefaultQueueSize)
	top.any("mayfly", my, len(my) > 0)
	return top
}
