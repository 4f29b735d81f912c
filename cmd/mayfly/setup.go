package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mayfly-dev/mayfly/runner/config"
)

// setupFlags make every question of `mayfly setup` answerable up front.
type setupFlags struct {
	registerFlags
	server     string
	tmpPath    string
	tokenFile  string
	stdinToken bool
	insecure   bool
	force      bool
	// webhookBase is the public base URL of `mayfly serve`; "" or "none"
	// sets up no webhook.
	webhookBase string
}

func (a *app) setupCommand() *cobra.Command {
	var f setupFlags
	cmd := &cobra.Command{
		Use:   "setup --config FILE",
		Short: "Write a runner config interactively and register the runner",
		Long: "Asks for the server URL and whether you already have a runner token. Without one it takes a\n" +
			"registration token and registers at once. Every question has a flag; secrets are read from\n" +
			"standard input (hidden on a terminal), never from the command line.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.setup(cmd, &f) },
	}
	f.bind(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.server, "server", "", "Semaphore server URL (web_host)")
	fl.StringVar(&f.tmpPath, "tmp-path", "/tmp/semaphore", "working directory for tasks (tmp_path)")
	fl.StringVar(&f.tokenFile, "token-file", "", "where to store the runner token (default: runner.token beside the config)")
	fl.BoolVar(&f.stdinToken, "stdin-token", false, "read an existing runner token from standard input instead of registering")
	fl.BoolVar(&f.insecure, "allow-insecure-http", false, "allow http:// to a non-loopback server")
	fl.BoolVar(&f.force, "force", false, "overwrite an existing config file")
	fl.StringVar(&f.webhookBase, "webhook-base-url", defaultWebhookBase,
		"public base URL at which Semaphore reaches `mayfly serve`; the webhook is <it>/hook/<secret> (\"none\": no webhook)")
	return cmd
}

func (a *app) setup(cmd *cobra.Command, f *setupFlags) error {
	if a.configPath == "" {
		return withCode(exitUsage, "setup needs --config FILE: the file to write")
	}
	if _, err := os.Stat(a.configPath); err == nil && !f.force {
		return withCode(exitConfig, "%s already exists: pass --force to overwrite it", a.configPath)
	}
	p := prompter{in: bufio.NewReader(a.stdin), out: a.stdout, file: a.stdin}

	cfg := config.Default()
	cfg.WebHost, cfg.TmpPath, cfg.Path = f.server, f.tmpPath, a.configPath
	var err error
	if cfg.WebHost == "" {
		if cfg.WebHost, err = p.ask("Semaphore server URL (web_host): ", false); err != nil {
			return err
		}
	}
	cfg.Mayfly.AllowInsecureHTTP = f.insecure
	cfg.Runner.TokenFile = f.tokenFile
	if cfg.Runner.TokenFile == "" {
		cfg.Runner.TokenFile = filepath.Join(filepath.Dir(a.configPath), "runner.token")
	}
	f.apply(cmd, &cfg.Runner)
	var secret string
	if !cmd.Flags().Changed("webhook") {
		if secret, err = a.setupWebhook(cmd, cfg, f, p); err != nil {
			return err
		}
	}

	haveToken := f.stdinToken
	register := !f.stdinToken && (f.registerFlags.stdinToken || f.registerFlags.tokenFile != "")
	if !haveToken && !register {
		answer, err := p.ask("Do you already have a runner token? [y/N]: ", false)
		if err != nil {
			return err
		}
		haveToken = strings.HasPrefix(strings.ToLower(answer), "y")
	}
	var token, regToken string
	switch {
	case haveToken:
		if token, err = p.ask("Runner token: ", true); err != nil {
			return err
		}
	case f.registerFlags.tokenFile != "" || f.registerFlags.stdinToken:
		if regToken, err = f.registrationToken(cfg, p.in); err != nil {
			return err
		}
	default:
		if regToken, err = p.ask("Registration token: ", true); err != nil {
			return err
		}
	}
	if (haveToken && token == "") || (!haveToken && regToken == "") {
		return withCode(exitConfig, "the token is empty")
	}

	if err := cfg.Validate(); err != nil {
		return withCode(exitConfig, "%v", err)
	}
	if secret != "" {
		if err := config.WriteSecretFile(cfg.Mayfly.WebhookSecretFile, secret+"\n"); err != nil {
			return err
		}
	}
	if err := config.Write(a.configPath, cfg); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Config written to %s (mode 0600).\n", a.configPath)
	if secret != "" {
		fmt.Fprintf(a.stdout, "Webhook secret written to %s (mode 0600).\n", cfg.Mayfly.WebhookSecretFile)
	}
	if haveToken {
		if err := cfg.SaveToken(token); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "Runner token stored in %s (mode 0600).\n", cfg.Runner.TokenFile)
	} else if err := a.register(cmd.Context(), cfg, regToken); err != nil {
		return err
	}
	if cfg.Runner.Webhook != "" {
		fmt.Fprintf(a.stdout, "\nWebhook URL (it contains the secret; keep it private):\n\n    %s\n\n", cfg.Runner.Webhook)
		fmt.Fprintln(a.stdout, "Registration sent it to the server; for a runner created in Semaphore's UI (or a one-time smrs_ token,")
		fmt.Fprintln(a.stdout, "which ignores it), paste it into the runner's Webhook field. Semaphore must be able to reach it.")
		fmt.Fprintf(a.stdout, "Next: mayfly serve --config %s   (webhook receiver; check with: mayfly doctor --config %s)\n", a.configPath, a.configPath)
		fmt.Fprintln(a.stdout, "(A polling runner, `mayfly start`, needs no webhook: run setup with --webhook-base-url none for it,")
		fmt.Fprintln(a.stdout, "otherwise Semaphore calls this URL for every task and fails the task when nothing answers.)")
		return nil
	}
	fmt.Fprintf(a.stdout, "Next: mayfly start --config %s   (polling runner)\n", a.configPath)
	return nil
}

// prompter asks questions on stdout and reads answers line by line; secrets
// are read without echo when stdin is a terminal.
type prompter struct {
	in   *bufio.Reader
	out  io.Writer
	file io.Reader
}

func (p prompter) ask(question string, secret bool) (string, error) {
	fmt.Fprint(p.out, question)
	if f, ok := p.file.(*os.File); ok && secret && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(p.out)
		return strings.TrimSpace(string(b)), err
	}
	line, err := p.in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", withCode(exitUsage, "setup: no answer to %q on standard input", strings.TrimSpace(question))
	}
	return strings.TrimSpace(line), nil
}

// defaultWebhookBase is where `mayfly serve` listens by default.
const defaultWebhookBase = "http://" + config.DefaultListen

// setupWebhook generates the webhook secret for `mayfly setup`: it sets
// mayfly.webhook_secret_file (webhook.secret beside the config) and
// runner.webhook = <base>/hook/<secret>, so that registration sends it, and
// for a loopback base URL mayfly.listen to its host:port. It returns the
// secret for the caller to write once the config is valid, or "" when the
// base URL is "none". On a terminal it asks for the base URL unless
// --webhook-base-url was given.
func (a *app) setupWebhook(cmd *cobra.Command, cfg *config.Config, f *setupFlags, p prompter) (string, error) {
	base := f.webhookBase
	if in, ok := a.stdin.(*os.File); ok && !cmd.Flags().Changed("webhook-base-url") && term.IsTerminal(int(in.Fd())) {
		answer, err := p.ask("Public base URL at which Semaphore reaches `mayfly serve` ["+base+"] (none: no webhook): ", false)
		if err != nil {
			return "", err
		}
		if answer != "" {
			base = answer
		}
	}
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	if base == "" || strings.EqualFold(base, "none") {
		return "", nil
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.RawQuery != "" {
		return "", withCode(exitUsage, "--webhook-base-url %q: want an http(s) URL such as https://mayfly.example.com", base)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(b)
	cfg.Mayfly.WebhookSecretFile = filepath.Join(filepath.Dir(a.configPath), "webhook.secret")
	cfg.Runner.Webhook = base + "/hook/" + secret
	if config.IsLoopbackHost(u.Hostname()) {
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		cfg.Mayfly.Listen = net.JoinHostPort(u.Hostname(), port)
	}
	return secret, nil
}
