package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/config"
	"github.com/mayfly-dev/mayfly/runner/worker"
)

// version is set with -ldflags "-X main.version=…".
var version = "dev"

// app is the state shared by the subcommands of one invocation.
type app struct {
	configPath string
	noConfig   bool
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	environ    map[string]string // nil: the process environment
}

// execute runs the CLI and returns the process exit code.
func execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code, msg := classify(err)
	fmt.Fprintln(stderr, "mayfly: "+msg)
	return code
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "mayfly",
		Short:         "Webhook-triggered, one-off runners for Semaphore UI",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&a.configPath, "config", "", "runner config file (Semaphore's config.runner.json format)")
	root.PersistentFlags().BoolVar(&a.noConfig, "no-config", false, "read the configuration from SEMAPHORE_* / MAYFLY_* environment variables only")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return withCode(exitUsage, "%v", err)
	})
	root.AddCommand(
		a.setupCommand(),
		a.registerCommand(),
		a.unregisterCommand(),
		a.startCommand(),
		a.runCommand(),
		a.serveCommand(),
		a.doctorCommand(),
		a.versionCommand(),
	)
	return root
}

// loadConfig reads and validates the configuration.
func (a *app) loadConfig() (*config.Config, error) {
	path := a.configPath
	if a.noConfig {
		path = ""
	} else if path == "" {
		return nil, withCode(exitConfig, "no config file: pass --config FILE (or --no-config to use environment variables only)")
	}
	cfg, err := config.Load(path, a.environ)
	if err != nil {
		return nil, withCode(exitConfig, "%v", err)
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(a.stderr, "mayfly: warning: "+w)
	}
	if cfg.Runner.Connection.SkipTLSVerify {
		fmt.Fprintln(a.stderr, "mayfly: warning: runner.connection.skip_tls_verify is on: the server's certificate is not checked, so the runner token can be stolen by anyone on the path; use runner.connection.server_ca_cert_file instead")
	}
	if err := cfg.Validate(); err != nil {
		return nil, withCode(exitConfig, "%v", err)
	}
	return cfg, nil
}

// logger returns the runner log configured by mayfly.log_format and log_level.
func (a *app) logger(cfg *config.Config) *slog.Logger {
	level := slog.LevelInfo
	_ = level.UnmarshalText([]byte(cfg.Mayfly.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(cfg.Mayfly.LogFormat, "json") {
		return slog.New(slog.NewJSONHandler(a.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(a.stderr, opts))
}

// client builds the API client; token may be empty for registration.
func (a *app) client(cfg *config.Config, token string, log *slog.Logger, startedAt bool) (*api.Client, error) {
	o := worker.ClientOptions{Token: token, UserAgent: "mayfly/" + version, Logger: log}
	if startedAt {
		o.StartedAt = processStart
	}
	c, err := worker.NewClient(cfg, o)
	if errors.Is(err, worker.ErrConfig) {
		return nil, withCode(exitConfig, "%v", err)
	}
	return c, err
}

// runnerToken returns the configured runner token or a clear error.
func runnerToken(cfg *config.Config) (string, error) {
	token, err := cfg.Token()
	if err != nil {
		return "", withCode(exitConfig, "%v", err)
	}
	if token == "" {
		return "", withCode(exitConfig, "no runner token: set runner.token or runner.token_file, or run `mayfly register` first")
	}
	return token, nil
}
