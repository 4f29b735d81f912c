package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/config"
	"github.com/mayfly-dev/mayfly/runner/webhook"
)

func (a *app) doctorCommand() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "doctor --config FILE",
		Short: "Check the config, the server, the runner token, the webhook and the tools, and explain what is off",
		Long: "Runs every check and prints one line per finding (ok, warn, FAIL) with hints. Nothing is launched and\n" +
			"no task is touched: the server check is one poll without X-Runner-Started-At, the webhook check is a GET\n" +
			"(mayfly serve answers 405 to a GET that carries the right secret).\n" +
			"Exit code: 0 when nothing failed (warnings allowed); otherwise that of the first failure: 3 config or\n" +
			"token missing, 4 token rejected, 5 server unreachable, 1 anything else.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.doctor(cmd.Context(), timeout)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "timeout of each network check")
	return cmd
}

// findings prints doctor's results and remembers the first failure's code.
type findings struct {
	out      io.Writer
	failures int
	warnings int
	code     int
}

func (f *findings) print(tag, name, format string, args ...any) {
	fmt.Fprintf(f.out, "[%-4s] %-8s %s\n", tag, name, fmt.Sprintf(format, args...))
}

func (f *findings) ok(name, format string, args ...any) { f.print("ok", name, format, args...) }

func (f *findings) info(name, format string, args ...any) { f.print("info", name, format, args...) }

func (f *findings) warn(name, format string, args ...any) {
	f.warnings++
	f.print("warn", name, format, args...)
}

func (f *findings) fail(code int, name, format string, args ...any) {
	f.failures++
	if f.code == 0 {
		f.code = code
	}
	f.print("FAIL", name, format, args...)
}

func (f *findings) hint(format string, args ...any) {
	fmt.Fprintf(f.out, "%16s %s\n", "hint:", fmt.Sprintf(format, args...))
}

func (a *app) doctor(ctx context.Context, timeout time.Duration) error {
	f := &findings{out: a.stdout}
	defer func() {
		fmt.Fprintf(a.stdout, "\n%d problem(s), %d warning(s)\n", f.failures, f.warnings)
	}()

	cfg, ok := a.doctorConfig(f)
	if !ok {
		return withCode(f.code, "doctor: the configuration is not usable; fix it first")
	}
	if token, ok := doctorToken(f, cfg); ok {
		a.doctorServer(ctx, f, cfg, token, timeout)
	}
	doctorWebhook(ctx, f, cfg, timeout)
	doctorTools(f, cfg)
	if f.failures > 0 {
		return withCode(f.code, "doctor found %d problem(s)", f.failures)
	}
	return nil
}

func (a *app) doctorConfig(f *findings) (*config.Config, bool) {
	path := a.configPath
	if a.noConfig {
		path = ""
	} else if path == "" {
		f.fail(exitConfig, "config", "no config file: pass --config FILE (or --no-config to use environment variables only)")
		return nil, false
	}
	cfg, err := config.Load(path, a.environ)
	if err != nil {
		f.fail(exitConfig, "config", "%v", err)
		return nil, false
	}
	for _, w := range cfg.Warnings {
		f.warn("config", "%s", w)
	}
	if err := cfg.Validate(); err != nil {
		f.fail(exitConfig, "config", "%v", err)
		return nil, false
	}
	where := path
	if where == "" {
		where = "the environment"
	}
	f.ok("config", "%s is valid (server %s)", where, cfg.WebHost)
	return cfg, true
}

func doctorToken(f *findings, cfg *config.Config) (string, bool) {
	token, err := cfg.Token()
	switch {
	case err != nil:
		f.fail(exitConfig, "token", "%v", err)
		return "", false
	case token == "":
		f.fail(exitConfig, "token", "no runner token: set runner.token or runner.token_file")
		f.hint("register with `mayfly register --config FILE --stdin-registration-token`, or copy the token of a runner created in Semaphore's UI into runner.token_file")
		return "", false
	}
	return token, true
}

// doctorServer polls once, without X-Runner-Started-At (which would make a
// 2026 server fail tasks of sibling one-off runners).
func (a *app) doctorServer(ctx context.Context, f *findings, cfg *config.Config, token string, timeout time.Duration) {
	client, err := a.client(cfg, token, nil, false)
	if err != nil {
		f.fail(exitConfig, "server", "%v", err)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	state, err := client.Poll(ctx)
	var apiErr *api.Error
	switch {
	case errors.Is(err, api.ErrUnreachable) || errors.Is(err, context.DeadlineExceeded):
		f.fail(exitUnreachable, "server", "cannot reach %s: %v", client.Endpoint(), err)
		f.hint("check web_host (the URL you open Semaphore at), DNS and firewalls from this machine, and for a private CA runner.connection.server_ca_cert_file")
		return
	case errors.Is(err, api.ErrUnauthorized):
		errors.As(err, &apiErr)
		f.fail(exitRejected, "token", "the server is reachable but rejects the runner token: %v", err)
		if apiErr != nil && apiErr.StatusCode == http.StatusNotFound {
			f.hint("404 Runner not found: no runner has this token; it was deleted, or the token belongs to another Semaphore. Register again (`mayfly register`)")
		} else {
			f.hint("401: the token does not match the runner. Copy the token again or register again (`mayfly register`)")
		}
		return
	case err != nil:
		f.fail(exitFailed, "server", "poll %s failed: %v", client.Endpoint(), err)
		if errors.As(err, &apiErr) && apiErr.StatusCode >= 500 {
			f.hint("the server answered with an error; look at Semaphore's own log")
		}
		return
	}
	f.ok("server", "%s is reachable", cfg.WebHost)
	f.ok("token", "the runner token is accepted (%d new task(s) and %d current task(s) listed for this runner)",
		len(state.NewJobs), len(state.CurrentJobs))
	f.info("runner", "the runner API cannot show whether this runner is enabled or which tasks it may take; in Semaphore → Runners check:")
	f.hint("enabled: 2024 servers create CLI-registered runners inactive (2026 servers too with enabled=false); an admin must switch them on")
	f.hint("2025+ servers give a task without a runner tag only to runners marked default (is_default): mark this runner default, or tag it and set the template's runner tag")
	f.hint("the server must send tasks to remote runners: use_remote_runner=true (2024), runners.default_global_runners_mode prefer|require (2026), or a runner tag on the template")
}

func doctorWebhook(ctx context.Context, f *findings, cfg *config.Config, timeout time.Duration) {
	hook := cfg.Runner.Webhook
	secret, secretErr := cfg.WebhookSecretValue()
	if secretErr != nil {
		f.fail(exitConfig, "webhook", "%v", secretErr)
	}
	if hook == "" {
		f.warn("webhook", "runner.webhook is not set: Semaphore will not wake mayfly serve; only a polling runner (mayfly start) gets tasks")
		f.hint("run `mayfly setup` (it writes a secret and prints the URL), or set runner.webhook to <public URL>/hook/<secret> and paste it into the runner's Webhook field in Semaphore")
		return
	}
	shown := maskSecret(hook, secret)
	u, err := url.Parse(hook)
	if err != nil {
		f.fail(exitConfig, "webhook", "runner.webhook %s is not a URL: %v", shown, err)
		return
	}
	switch {
	case secretErr != nil:
	case secret == "":
		f.fail(exitConfig, "webhook", "mayfly.webhook_secret_file (or webhook_secret) is not set: mayfly serve will not start")
	case len(secret) < webhook.MinSecretLen:
		f.fail(exitConfig, "webhook", "the webhook secret is shorter than %d characters", webhook.MinSecretLen)
	case webhook.Secret(u) != secret:
		f.fail(exitFailed, "webhook", "runner.webhook %s does not carry mayfly's webhook secret: Semaphore's calls would be refused (401)", shown)
		f.hint("the URL must end in /hook/<the contents of mayfly.webhook_secret_file>, or carry ?secret=<it>")
	}
	if config.IsLoopbackHost(u.Hostname()) {
		f.info("webhook", "runner.webhook %s is a loopback address: only a Semaphore server on this machine can call it", shown)
	}

	client := &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, hook, nil)
	if err != nil {
		f.fail(exitConfig, "webhook", "runner.webhook %s: %v", shown, err)
		return
	}
	req.Header.Set("User-Agent", "mayfly-doctor/"+version)
	resp, err := client.Do(req)
	if err != nil {
		f.fail(exitFailed, "webhook", "%s does not answer from this machine: %s", shown, strings.ReplaceAll(err.Error(), hook, shown))
		f.hint("is `mayfly serve --config FILE` running, listening on mayfly.listen, and reachable at that URL (proxy, firewall)?")
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusMethodNotAllowed:
		f.ok("webhook", "%s answers as mayfly serve with the right secret (GET → 405); the Semaphore server must be able to reach it too", shown)
	case http.StatusUnauthorized:
		f.fail(exitFailed, "webhook", "%s is mayfly serve, but it refuses the secret in the URL (401): the serve process uses another webhook secret", shown)
		f.hint("restart `mayfly serve` with this config, or put the secret it uses into runner.webhook and into Semaphore")
	case http.StatusNotFound:
		f.fail(exitFailed, "webhook", "%s answers 404: the path is not mayfly's /hook/<secret> (a proxy rewriting paths?)", shown)
	default:
		f.fail(exitFailed, "webhook", "%s answers %s to a GET, not mayfly serve's 405: something else is listening there", shown, resp.Status)
	}
}

// tool is a program tasks may need, with an install hint.
type tool struct {
	names []string // any of them will do
	use   string
	hint  string
}

var tools = []tool{
	{[]string{"git"}, "every task (repository checkout)", "apt-get install git (Debian/Ubuntu) or dnf install git"},
	{[]string{"bash"}, "shell templates", "apt-get install bash"},
	{[]string{"python3"}, "Python templates and Ansible", "apt-get install python3"},
	{[]string{"ansible-playbook"}, "Ansible templates", "apt-get install ansible-core, or pipx install ansible-core"},
	{[]string{"ansible-galaxy"}, "requirements.yml of Ansible templates", "comes with ansible-core"},
	{[]string{"terraform", "tofu"}, "Terraform/OpenTofu templates", "install terraform from HashiCorp's apt repository (developer.hashicorp.com/terraform/install) or OpenTofu (opentofu.org/docs/intro/install)"},
	{[]string{"ssh-agent"}, "SSH keys for git and Ansible", "apt-get install openssh-client"},
	{[]string{"ssh-add"}, "SSH keys for git and Ansible", "apt-get install openssh-client"},
}

func doctorTools(f *findings, cfg *config.Config) {
	var found []string
	for _, t := range tools {
		path := ""
		for _, n := range t.names {
			if p, err := exec.LookPath(n); err == nil {
				path = p
				break
			}
		}
		if path == "" {
			f.warn("tools", "%s not found on PATH (needed for %s)", strings.Join(t.names, " or "), t.use)
			f.hint("%s", t.hint)
			continue
		}
		found = append(found, path)
	}
	if len(found) > 0 {
		f.ok("tools", "found %s", strings.Join(found, ", "))
	}
	if err := os.MkdirAll(cfg.TmpPath, 0o700); err != nil {
		f.fail(exitConfig, "tmp_path", "%s cannot be created: %v", cfg.TmpPath, err)
		return
	}
	probe, err := os.CreateTemp(cfg.TmpPath, ".mayfly-doctor-*")
	if err != nil {
		f.fail(exitConfig, "tmp_path", "%s is not writable: %v", cfg.TmpPath, err)
		return
	}
	_ = probe.Close()
	_ = os.Remove(probe.Name())
	f.ok("tmp_path", "%s is writable", cfg.TmpPath)
}
