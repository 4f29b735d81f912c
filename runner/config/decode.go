package config

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/tailscale/hujson"
)

// bom is the UTF-8 byte order mark some Windows editors write; it is skipped.
const bom = "\xef\xbb\xbf"

// decoder walks a parsed HuJSON document into a Config, collecting every
// problem (with the key path and line:column) instead of stopping at the first.
type decoder struct {
	src           []byte
	source        string // file path, for messages
	problems      []string
	warnings      []string
	checkInterval int // runner.check_interval_seconds
}

// file decodes a whole config file into c.
func (d *decoder) file(data []byte, c *Config) {
	data = bytes.TrimPrefix(data, []byte(bom))
	if len(bytes.TrimSpace(data)) == 0 {
		d.problems = append(d.problems, d.source+": the file is empty; write {} for an empty config")
		return
	}
	root, ok := d.parse(data)
	if !ok {
		return
	}
	if kind(&root) != '{' {
		d.fail(&root, "want a JSON object at the top level, got %s", describe(&root, false))
		return
	}
	d.top(&root, c)
}

// parse parses HuJSON, recording hujson's line:column on failure.
func (d *decoder) parse(data []byte) (hujson.Value, bool) {
	d.src = data
	v, err := hujson.Parse(data)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "hujson: ")
		if d.source != "" {
			msg = d.source + ": " + msg
		}
		d.problems = append(d.problems, msg)
		return v, false
	}
	return v, true
}

func (d *decoder) top(root *hujson.Value, c *Config) {
	for _, m := range d.members("", root) {
		v := &m.Value
		switch name := memberName(m); name {
		case "web_host":
			d.str(name, v, &c.WebHost, false)
		case "tmp_path":
			d.str(name, v, &c.TmpPath, false)
		case "env_vars":
			d.strMap(name, v, &c.EnvVars)
		case "forwarded_env_vars":
			d.strList(name, v, &c.ForwardedEnvVars)
		case "ssh_config_path":
			d.str(name, v, &c.SSHConfigPath, false)
		case "git_client":
			d.str(name, v, &c.GitClient, false)
		case "apps":
			d.apps(name, v, &c.Apps)
		case "runner":
			d.runner(v, &c.Runner)
		case "mayfly":
			d.mayfly(v, &c.Mayfly)
		default:
			if !semaphoreServerKey(name) {
				d.warnings = append(d.warnings, fmt.Sprintf("unknown top-level key %q in %s ignored%s",
					name, d.source, suggest(name, topKeys)))
			}
		}
	}
}

func (d *decoder) runner(obj *hujson.Value, r *Runner) {
	for _, m := range d.members("runner", obj) {
		v, key := &m.Value, "runner."+memberName(m)
		switch memberName(m) {
		case "token":
			d.str(key, v, &r.Token, true)
		case "token_file":
			d.str(key, v, &r.TokenFile, false)
		case "registration_token":
			d.str(key, v, &r.RegistrationToken, true)
		case "registration_token_file":
			d.str(key, v, &r.RegistrationTokenFile, false)
		case "one_off":
			d.boolean(key, v, &r.OneOff)
		case "webhook":
			d.str(key, v, &r.Webhook, false)
		case "max_parallel_tasks":
			d.integer(key, v, &r.MaxParallelTasks)
		case "name":
			d.str(key, v, &r.Name, false)
		case "tags":
			d.strList(key, v, &r.Tags)
		case "enabled":
			var b bool
			if d.boolean(key, v, &b) {
				r.Enabled = &b
			}
		case "project_id":
			var n int
			if d.integer(key, v, &n) {
				r.ProjectID = &n
			}
		case "private_key_file":
			d.str(key, v, &r.PrivateKeyFile, false)
		case "connection":
			d.connection(v, &r.Connection)
		case "check_interval_seconds":
			d.integer(key, v, &d.checkInterval)
		case "executor":
			d.executor(v)
		case "identity_private_key_file":
			d.warnings = append(d.warnings, fmt.Sprintf("%s in %s is not used by mayfly; ignored", key, d.source))
		default:
			d.unknown(m, key, runnerKeys, "runner.")
		}
	}
}

func (d *decoder) connection(obj *hujson.Value, c *Connection) {
	for _, m := range d.members("runner.connection", obj) {
		v, key := &m.Value, "runner.connection."+memberName(m)
		switch memberName(m) {
		case "server_ca_cert_file":
			d.str(key, v, &c.ServerCACertFile, false)
		case "skip_tls_verify":
			d.boolean(key, v, &c.SkipTLSVerify)
		default:
			d.unknown(m, key, connectionKeys, "runner.connection.")
		}
	}
}

func (d *decoder) mayfly(obj *hujson.Value, y *Mayfly) {
	for _, m := range d.members("mayfly", obj) {
		v, key := &m.Value, "mayfly."+memberName(m)
		switch memberName(m) {
		case "allow_insecure_http":
			d.boolean(key, v, &y.AllowInsecureHTTP)
		case "poll_interval":
			d.duration(key, v, &y.PollInterval)
		case "task_wait_timeout":
			d.duration(key, v, &y.TaskWaitTimeout)
		case "stop_grace":
			d.duration(key, v, &y.StopGrace)
		case "log_format":
			d.str(key, v, &y.LogFormat, false)
		case "log_level":
			d.str(key, v, &y.LogLevel, false)
		case "webhook_secret":
			d.str(key, v, &y.WebhookSecret, true)
		case "webhook_secret_file":
			d.str(key, v, &y.WebhookSecretFile, false)
		case "listen":
			d.str(key, v, &y.Listen, false)
		case "max_concurrent":
			d.integer(key, v, &y.MaxConcurrent)
		case "queue_size":
			d.integer(key, v, &y.QueueSize)
		default:
			d.unknown(m, key, mayflyKeys, "mayfly.")
		}
	}
}

// executor accepts Semaphore's runner.executor block; only the local
// executor exists in mayfly, so anything else is a warning.
func (d *decoder) executor(obj *hujson.Value) {
	var typ string
	for _, m := range d.members("runner.executor", obj) {
		if memberName(m) == "type" {
			d.str("runner.executor.type", &m.Value, &typ, false)
		}
	}
	if typ != "" && typ != "local" {
		d.warnings = append(d.warnings, fmt.Sprintf(
			"runner.executor.type %q in %s is not supported: mayfly runs tasks with the local executor", typ, d.source))
	}
}

// apps decodes "apps" (file or SEMAPHORE_APPS).
func (d *decoder) apps(key string, obj *hujson.Value, out *map[string]App) {
	members := d.members(key, obj)
	if members == nil {
		return
	}
	apps := make(map[string]App, len(members))
	for _, m := range members {
		name := memberName(m)
		var app App
		for _, f := range d.members(key+"."+name, &m.Value) {
			fk := key + "." + name + "." + memberName(f)
			switch memberName(f) {
			case "path":
				d.str(fk, &f.Value, &app.Path, false)
			case "args":
				d.strList(fk, &f.Value, &app.Args)
			case "active", "priority", "order", "title", "icon", "color", "dark_color", "env":
				// Semaphore UI settings: not used by a runner.
			default:
				d.warnings = append(d.warnings, fmt.Sprintf("unknown key %q%s ignored", fk, d.in()))
			}
		}
		apps[name] = app
	}
	*out = apps
}

// unknown records an unknown key inside a strict block.
func (d *decoder) unknown(m hujson.ObjectMember, key string, known []string, prefix string) {
	d.problems = append(d.problems, fmt.Sprintf("unknown key %q%s%s%s",
		key, d.in(), d.at(m.Name.StartOffset), suggest(strings.TrimPrefix(key, prefix), known, prefix)))
}

// in is " in FILE", or "" when decoding an environment variable.
func (d *decoder) in() string {
	if d.source == "" {
		return ""
	}
	return " in " + d.source
}

// at is " (line L, column C)" for a byte offset into the source.
func (d *decoder) at(off int) string {
	if line, col, ok := d.lineCol(off); ok {
		return fmt.Sprintf(" (line %d, column %d)", line, col)
	}
	return ""
}

func (d *decoder) lineCol(off int) (line, col int, ok bool) {
	if off < 0 || off > len(d.src) || d.source == "" {
		return 0, 0, false
	}
	line = 1 + bytes.Count(d.src[:off], []byte("\n"))
	col = 1 + off - (bytes.LastIndexByte(d.src[:off], '\n') + 1)
	return line, col, true
}

// fail records a problem about value v, located in the source.
func (d *decoder) fail(v *hujson.Value, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if line, col, ok := d.lineCol(v.StartOffset); ok {
		msg += fmt.Sprintf(" (in %s, line %d, column %d)", d.source, line, col)
	}
	d.problems = append(d.problems, msg)
}
