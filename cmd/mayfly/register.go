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

	"github.com/mayfly-dev/mayfly/infra/secrets"
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
	var ssmParameter, kmsKeyID string
	cmd := &cobra.Command{
		Use:   "register",
		Short: "Register this runner with the Semaphore server and store its token (mode 0600, or an SSM SecureString)",
		Long: "Registers the runner and stores the new runner token in runner.token_file, in the config file,\n" +
			"or, with --token-ssm-parameter, in an AWS SSM SecureString parameter (overwritten if it exists,\n" +
			"which rotates the token of a deployed Lambda runner). AWS credentials and the region come from\n" +
			"the usual AWS environment (AWS_PROFILE, AWS_REGION, ...).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if kmsKeyID != "" && ssmParameter == "" {
				return withCode(exitUsage, "--kms-key-id needs --token-ssm-parameter")
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			f.apply(cmd, &cfg.Runner)
			store := a.fileTokenStore(cfg)
			if ssmParameter != "" {
				// Checked before registering: a token that cannot be stored is lost.
				if store, err = ssmTokenStore(cmd.Context(), ssmParameter, kmsKeyID); err != nil {
					return err
				}
			}
			regToken, err := f.registrationToken(cfg, a.stdin)
			if err != nil {
				return err
			}
			return a.registerTo(cmd.Context(), cfg, regToken, store)
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&ssmParameter, "token-ssm-parameter", "", "store the runner token in this SSM SecureString parameter (name or ARN) instead of a file")
	cmd.Flags().StringVar(&kmsKeyID, "kms-key-id", "", "KMS key (id, ARN or alias) for --token-ssm-parameter; default: the account's aws/ssm key")
	return cmd
}

// tokenStore saves a new runner token and says where it went.
type tokenStore func(ctx context.Context, token string) (where string, err error)

// fileTokenStore saves into runner.token_file, else into the config file (mode 0600).
func (a *app) fileTokenStore(cfg *config.Config) tokenStore {
	return func(_ context.Context, token string) (string, error) {
		if err := cfg.SaveToken(token); err != nil {
			return "", err
		}
		where := cfg.Runner.TokenFile
		if where == "" {
			where = cfg.Path
		}
		return where + " (mode 0600)", nil
	}
}

// ssmTokenStore saves into an SSM SecureString; it fails now when the AWS
// region or credentials are missing.
func ssmTokenStore(ctx context.Context, parameter, kmsKeyID string) (tokenStore, error) {
	var lazy secrets.LazyAWSConfig
	awsCfg, err := lazy.Get(ctx)
	if err != nil {
		return nil, withCode(exitConfig, "--token-ssm-parameter: %v", err)
	}
	w, err := secrets.NewSSMWriter(secrets.WriterOptions{Parameter: parameter, KMSKeyID: kmsKeyID, Config: awsCfg})
	if err != nil {
		return nil, withCode(exitUsage, "--token-ssm-parameter: %v", err)
	}
	if err := w.Check(ctx); err != nil {
		return nil, withCode(exitConfig, "--token-ssm-parameter: %v", err)
	}
	return func(ctx context.Context, token string) (string, error) {
		if err := w.Put(ctx, token); err != nil {
			return "", err
		}
		return "the SSM SecureString parameter " + w.Parameter(), nil
	}, nil
}

// register registers with the server and saves the runner token.
func (a *app) register(ctx context.Context, cfg *config.Config, regToken string) error {
	return a.registerTo(ctx, cfg, regToken, a.fileTokenStore(cfg))
}

// registerTo registers with the server and saves the runner token with store.
func (a *app) registerTo(ctx context.Context, cfg *config.Config, regToken string, store tokenStore) error {
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
	where, err := store(ctx, token)
	if err != nil {
		return fmt.Errorf("the runner was registered but its token could not be saved (delete the runner in Semaphore and register again): %w", err)
	}
	fmt.Fprintf(a.stdout, "Runner registered. Its token is stored in %s.\n", where)
	if err := cfg.SaveWebhook(cfg.Runner.Webhook); err != nil {
		fmt.Fprintf(a.stderr, "mayfly: warning: could not record runner.webhook in the config: %v\n", err)
	}
	fmt.Fprintln(a.stdout, "Before it receives tasks: on 2024 servers (and whenever it was registered disabled) enable it on\n"+
		"Semaphore's Runners page; on 2025+ servers also mark it as default or give it a tag your templates use.")
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
