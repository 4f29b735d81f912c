package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/config"
	"github.com/mayfly-dev/mayfly/runner/executor"
	"github.com/mayfly-dev/mayfly/runner/oneoff"
)

// ErrConfig marks errors caused by the configuration (exit code 3 in the CLI).
var ErrConfig = errors.New("worker: configuration")

// ClientOptions adjust the API client built from a config.
type ClientOptions struct {
	// Token is the runner token; empty for registration.
	Token string
	// StartedAt is sent as X-Runner-Started-At when non-zero: only by a
	// long-lived runner, never by one-off processes that share a token.
	StartedAt time.Time
	UserAgent string
	Logger    *slog.Logger
}

// NewClient builds the API client for cfg: server URL, TLS options and the
// RSA key that decrypts 2025 servers' poll bodies when one is configured.
func NewClient(cfg *config.Config, o ClientOptions) (*api.Client, error) {
	tlsConfig, err := cfg.TLSConfig()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	opts := api.Options{
		ServerURL: cfg.WebHost,
		Token:     o.Token,
		StartedAt: o.StartedAt,
		TLSConfig: tlsConfig,
		UserAgent: o.UserAgent,
		Logger:    o.Logger,
	}
	if path := cfg.Runner.PrivateKeyFile; path != "" {
		pem, err := os.ReadFile(path)
		switch {
		case err == nil:
			if opts.PrivateKey, err = api.ParsePrivateKeyPEM(pem); err != nil {
				return nil, fmt.Errorf("%w: runner.private_key_file: %w", ErrConfig, err)
			}
		case !errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("%w: runner.private_key_file: %w", ErrConfig, err)
		}
	}
	c, err := api.New(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return c, nil
}

// NewExecutor builds the executor for cfg.
func NewExecutor(cfg *config.Config, log *slog.Logger) *executor.Executor {
	apps := make(map[string]executor.App, len(cfg.Apps))
	for name, a := range cfg.Apps {
		apps[name] = executor.App{Path: a.Path, Args: a.Args}
	}
	return executor.New(executor.Options{
		TmpPath:          cfg.TmpPath,
		WebHost:          cfg.WebHost,
		Grace:            cfg.Mayfly.StopGrace,
		Logger:           log,
		EnvVars:          cfg.EnvVars,
		ForwardedEnvVars: cfg.ForwardedEnvVars,
		Apps:             apps,
		SSHConfigPath:    cfg.SSHConfigPath,
	})
}

// Run runs the runner loop with the client and executor built from cfg.
// Fields of loop that are set (TaskID, OneJob, MaxParallel, ReceivedAt …)
// are kept; Client, Executor, Logger, PollInterval and WaitTimeout come from
// cfg unless already set.
func Run(ctx context.Context, cfg *config.Config, client oneoff.Client, log *slog.Logger, loop oneoff.Options) ([]oneoff.Result, error) {
	if loop.Client == nil {
		loop.Client = client
	}
	if loop.Executor == nil {
		loop.Executor = NewExecutor(cfg, log)
	}
	if loop.Logger == nil {
		loop.Logger = log
	}
	if loop.PollInterval == 0 {
		loop.PollInterval = cfg.Mayfly.PollInterval
	}
	if loop.WaitTimeout == 0 {
		loop.WaitTimeout = cfg.Mayfly.TaskWaitTimeout
	}
	if loop.ClearCache == nil {
		loop.ClearCache = func(projectID *int) error { return ClearCache(cfg.TmpPath, projectID) }
	}
	log.Info("runner started", "server", cfg.WebHost, "task", loop.TaskID, "one_off", loop.OneJob)
	return oneoff.Run(ctx, loop)
}

// ClearCache removes cached working copies: tmp_path/project_<id> for one
// project, or everything inside tmp_path when projectID is nil.
func ClearCache(tmpPath string, projectID *int) error {
	if tmpPath == "" || filepath.Clean(tmpPath) == "/" {
		return fmt.Errorf("worker: refusing to clear tmp_path %q", tmpPath)
	}
	if projectID != nil {
		return os.RemoveAll(filepath.Join(tmpPath, fmt.Sprintf("project_%d", *projectID)))
	}
	entries, err := os.ReadDir(tmpPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("worker: clear cache: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(tmpPath, e.Name())); err != nil {
			return fmt.Errorf("worker: clear cache: %w", err)
		}
	}
	return nil
}
