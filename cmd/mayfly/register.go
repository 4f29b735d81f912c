package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/config"
)

// processStart is this process's start time: the constant X-Runner-Started-At
// of the long-lived runner.
var processStart = time.Now().UTC().Truncate(time.Second)

// registerFlags are the registration options shared by register, setup and start --register.
type registerFlags struct {
	stdinToken bool
	tokenFile  string
	name       string
	tags       []string
	webhook    string
	maxTasks   int
	enabled    bool
	projectID  int
}

func (f *registerFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.stdinToken, "stdin-registration-token", false, "read the registration token from standard input")
	fl.StringVar(&f.tokenFile, "registration-token-file", "", "read the registration token from this file")
	fl.StringVar(&f.name, "name", "", "runner name shown in Semaphore (2026 servers)")
	fl.StringSliceVar(&f.tags, "tags", nil, "runner tags, comma-separated or repeated (2026 servers)")
	fl.StringVar(&f.webhook, "webhook", "", "URL Semaphore calls to wake this runner")
	fl.IntVar(&f.maxTasks, "max-parallel-tasks", -1, "tasks the server may give this runner at once (0 = unlimited)")
	fl.BoolVar(&f.enabled, "enabled", true, "register the runner as enabled (2026 servers)")
	fl.IntVar(&f.projectID, "project-id", 0, "register a project runner for this project id (Pro servers)")
}

// apply overlays the flags that were set onto the config's runner block.
func (f *registerFlags) apply(cmd *cobra.Command, r *config.Runner) {
	fl := cmd.Flags()
	if fl.Changed("name") {
		r.Name = f.name
	}
	if fl.Changed("tags") {
		r.Tags = f.tags
	}
	if fl.Changed("webhook") {
		r.Webhook = f.webhook
	}
	if fl.Changed("max-parallel-tasks") {
		r.MaxParallelTasks = f.maxTasks
	}
	if fl.Changed("enabled") || r.Enabled == nil {
		enabled := f.enabled
		r.Enabled = &enabled
	}
	if fl.Changed("project-id") {
		id := f.projectID
		r.ProjectID = &id
	}
}

// registrationToken follows the stock precedence: flag file, config file,
// stdin, then the configured value (SEMAPHORE_RUNNER_REGISTRATION_TOKEN).
func (f *registerFlags) registrationToken(cfg *config.Config, stdin io.Reader) (string, error) {
	read := func(path string) (string, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", withCode(exitConfig, "registration token file: %v", err)
		}
		t := strings.TrimSpace(string(b))
		if t == "" {
			return "", withCode(exitConfig, "registration token file %s is empty", path)
		}
		return t, nil
	}
	switch {
	case f.tokenFile != "":
		return read(f.tokenFile)
	case cfg.Runner.RegistrationTokenFile != "":
		return read(cfg.Runner.RegistrationTokenFile)
	case f.stdinToken:
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read registration token from stdin: %w", err)
		}
		if t := strings.TrimSpace(line); t != "" {
			return t, nil
		}
		return "", withCode(exitConfig, "the registration token read from standard input is empty")
	}
	t, err := cfg.RegistrationTokenValue()
	if err != nil {
		return "", withCode(exitConfig, "%v", err)
	}
	if t == "" {
		return "", withCode(exitConfig, "no registration token: use --stdin-registration-token, --registration-token-file, or SEMAPHORE_RUNNER_REGISTRATION_TOKEN")
	}
	return t, nil
}

func (a *app) registerCommand() *cobra.Command {
	var f registerFlags
	cmd := &cobra.Command{
		Use:   "register",
		Short: "Register this runner with the Semaphore server and store its token (mode 0600)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			f.apply(cmd, &cfg.Runner)
			regToken, err := f.registrationToken(cfg, a.stdin)
			if err != nil {
				return err
			}
			return a.register(cmd.Context(), cfg, regToken)
		},
	}
	f.bind(cmd)
	return cmd
}

// register registers with the server and saves the runner token.
func (a *app) register(ctx context.Context, cfg *config.Config, regToken string) error {
	if cfg.Runner.Token != "" {
		return withCode(exitConfig, "runner.token is already set: run `mayfly unregister` first, or remove it")
	}
	log := a.logger(cfg)
	req := api.RegisterRequest{
		RegistrationToken: regToken,
		Webhook:           cfg.Runner.Webhook,
		Name:              cfg.Runner.Name,
		Tags:              cfg.Runner.Tags,
		MaxParallelTasks:  cfg.Runner.MaxParallelTasks,
		ProjectID:         cfg.Runner.ProjectID,
	}
	if cfg.Runner.Enabled != nil {
		req.Enabled = *cfg.Runner.Enabled
	}
	if path := cfg.Runner.PrivateKeyFile; path != "" {
		pub, err := ensureKeyPair(path)
		if err != nil {
			return withCode(exitConfig, "runner.private_key_file: %v", err)
		}
		req.PublicKey = pub
	}
	client, err := a.client(cfg, "", log, false)
	if err != nil {
		return err
	}
	token, err := client.Register(ctx, req)
	if err != nil {
		return err
	}
	if err := cfg.SaveToken(token); err != nil {
		return fmt.Errorf("the runner was registered but its token could not be saved: %w", err)
	}
	where := cfg.Runner.TokenFile
	if where == "" {
		where = cfg.Path
	}
	fmt.Fprintf(a.stdout, "Runner registered. Its token is stored in %s (mode 0600).\n", where)
	if req.Enabled {
		fmt.Fprintln(a.stdout, "On 2025+ servers, give it a tag or mark it as default in Semaphore so that it receives tasks.")
	} else {
		fmt.Fprintln(a.stdout, "The runner is disabled: enable it in Semaphore's Runners page before it can receive tasks.")
	}
	return nil
}

// ensureKeyPair loads or creates the RSA key pair 2025 servers encrypt poll
// bodies with, and returns the public key PEM to register.
func ensureKeyPair(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		key, err := api.ParsePrivateKeyPEM(b)
		if err != nil {
			return "", err
		}
		return api.PublicKeyPEM(&key.PublicKey), nil
	}
	key, pub, err := api.GenerateKeyPair()
	if err != nil {
		return "", err
	}
	if err := config.WriteSecretFile(path, string(api.EncodePrivateKeyPEM(key))); err != nil {
		return "", err
	}
	return pub, nil
}
