package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/mayfly-dev/mayfly/infra/launcher/local"
	"github.com/mayfly-dev/mayfly/infra/metrics"
	"github.com/mayfly-dev/mayfly/runner/config"
	"github.com/mayfly-dev/mayfly/runner/webhook"
)

// serveFlags are the options of `mayfly serve`.
type serveFlags struct {
	listen           string
	shutdownTimeout  time.Duration
	runnerExecutable string
}

func (a *app) serveCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve --config FILE",
		Short: "Receive Semaphore's runner webhook and run each task in a one-off local process",
		Long: "Listens for the runner webhook (POST /hook/<secret>, or /hook?secret=<secret>), answers 204 at once\n" +
			"and starts `mayfly run --task-id N` for each task, at most mayfly.max_concurrent at a time with a\n" +
			"queue of mayfly.queue_size (a full queue answers 503, so the task fails fast in Semaphore). A runner\n" +
			"that dies without reporting is reported as error, with the reason in the task log.\n" +
			"Also serves GET /healthz and GET /metrics (Prometheus). SIGTERM or SIGINT: stop accepting, stop the\n" +
			"runners, wait up to --shutdown-timeout, report what had to be abandoned, exit.\n" +
			"Listens on mayfly.listen, or on an inherited socket (systemd socket activation, LISTEN_FDS=1).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			s, err := a.serveSetup(cfg, f)
			if err != nil {
				return err
			}
			addr := cfg.Mayfly.Listen
			if f.listen != "" {
				addr = f.listen
			}
			ln, err := listen(addr)
			if err != nil {
				return withCode(exitConfig, "serve: %v", err)
			}
			return runServe(cmd.Context(), ln, s)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "", "address to listen on, host:port (default: mayfly.listen, 127.0.0.1:8080)")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long stopped runners get to report their tasks before they are killed")
	fl.StringVar(&f.runnerExecutable, "runner-executable", "", "the mayfly binary that runs each task (default: this executable)")
	return cmd
}

// serveSetup is everything runServe needs besides a listener.
type serveSetup struct {
	cfg             *config.Config
	configPath      string // absolute; "" with --no-config
	secret          string
	log             *slog.Logger
	reporter        local.Reporter
	executable      string // "" = os.Executable()
	env             []string
	shutdownTimeout time.Duration
}

func (a *app) serveSetup(cfg *config.Config, f serveFlags) (serveSetup, error) {
	secret, err := cfg.WebhookSecretValue()
	if err != nil {
		return serveSetup{}, withCode(exitConfig, "%v", err)
	}
	if secret == "" {
		return serveSetup{}, withCode(exitConfig, "serve: no webhook secret: set mayfly.webhook_secret_file (mayfly setup writes one) or MAYFLY_WEBHOOK_SECRET")
	}
	if len(secret) < webhook.MinSecretLen {
		return serveSetup{}, withCode(exitConfig, "serve: the webhook secret is shorter than %d characters; use e.g. `openssl rand -hex 32`", webhook.MinSecretLen)
	}
	token, err := runnerToken(cfg)
	if err != nil {
		return serveSetup{}, err
	}
	log := a.logger(cfg)
	client, err := a.client(cfg, token, log, false) // one-off processes share the token: no X-Runner-Started-At
	if err != nil {
		return serveSetup{}, err
	}
	s := serveSetup{cfg: cfg, secret: secret, log: log, reporter: client,
		executable: f.runnerExecutable, shutdownTimeout: f.shutdownTimeout}
	if !a.noConfig {
		if s.configPath, err = filepath.Abs(a.configPath); err != nil {
			return serveSetup{}, withCode(exitConfig, "serve: %v", err)
		}
	}
	return s, nil
}

// runServe serves the webhook on ln until ctx ends, then shuts down: the
// launcher first (new starts get 503, finish still works), then HTTP.
func runServe(ctx context.Context, ln net.Listener, s serveSetup) error {
	log := s.log
	var launcher *local.Launcher
	m := metrics.New(func() (int, int) { return launcher.Stats() })
	launcher, err := local.New(local.Options{
		Executable:      s.executable,
		ConfigPath:      s.configPath,
		Env:             s.env,
		MaxConcurrent:   s.cfg.Mayfly.MaxConcurrent,
		QueueSize:       s.cfg.Mayfly.QueueSize,
		Reporter:        s.reporter,
		Logger:          log,
		ShutdownTimeout: s.shutdownTimeout,
		KillAfter:       max(time.Minute, s.cfg.Mayfly.StopGrace+45*time.Second),
		Observer:        m,
	})
	if err != nil {
		_ = ln.Close()
		return err
	}
	hook, err := webhook.New(webhook.Options{Secret: s.secret, Launcher: launcher, Logger: log, Observe: m.Webhook})
	if err != nil {
		_ = ln.Close()
		return withCode(exitConfig, "%v", err)
	}

	var stopping atomic.Bool
	mux := http.NewServeMux()
	h := m.Instrument(hook)
	mux.Handle("/hook/", h)
	mux.Handle("/hook", h)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if stopping.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("shutting down\n"))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	log.Info("mayfly serve: webhook receiver listening",
		"addr", ln.Addr().String(),
		"webhook", "http://"+ln.Addr().String()+"/hook/****",
		"health", "/healthz", "metrics", "/metrics",
		"max_concurrent", s.cfg.Mayfly.MaxConcurrent, "queue_size", s.cfg.Mayfly.QueueSize)
	if w := s.cfg.Runner.Webhook; w != "" {
		log.Info("Semaphore calls runner.webhook", "url", maskSecret(w, s.secret))
	} else {
		log.Warn("runner.webhook is not set: put the webhook URL (printed by `mayfly setup`) into the runner's Webhook field in Semaphore")
	}

	select {
	case <-ctx.Done():
	case err := <-served:
		_ = launcher.Shutdown(context.Background())
		return fmt.Errorf("serve: %w", err)
	}
	stopping.Store(true)
	log.Info("mayfly serve: shutting down", "cause", context.Cause(ctx))
	if err := launcher.Shutdown(context.Background()); err != nil {
		log.Warn("mayfly serve: some tasks were abandoned", "err", err)
	}
	httpCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(httpCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn("mayfly serve: HTTP shutdown", "err", err)
	}
	_ = srv.Close()
	log.Info("mayfly serve: stopped")
	return nil
}

// maskSecret hides secret (and anything after /hook/) in a webhook URL.
func maskSecret(u, secret string) string {
	if secret != "" {
		u = strings.ReplaceAll(u, secret, "****")
	}
	if i := strings.LastIndex(u, "/hook/"); i >= 0 {
		rest := u[i+len("/hook/"):]
		end := strings.IndexAny(rest, "?#")
		if end < 0 {
			end = len(rest)
		}
		if rest[:end] != "" && rest[:end] != "****" {
			u = u[:i] + "/hook/****" + rest[end:]
		}
	}
	if i := strings.Index(u, "secret="); i >= 0 {
		end := strings.IndexAny(u[i:], "&#")
		if end < 0 {
			end = len(u) - i
		}
		u = u[:i] + "secret=****" + u[i+end:]
	}
	return u
}
