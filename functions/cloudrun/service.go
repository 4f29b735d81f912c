package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mayfly-dev/mayfly/infra/launcher/cloudrunjob"
	"github.com/mayfly-dev/mayfly/runner/config"
	"github.com/mayfly-dev/mayfly/runner/webhook"
	"github.com/mayfly-dev/mayfly/terraform/contract"
)

// shutdownTimeout bounds the wait for in-flight webhooks after SIGTERM;
// Cloud Run sends SIGKILL 10 s after SIGTERM.
const shutdownTimeout = 10 * time.Second

// serviceConfig is what the receiver needs from its environment.
type serviceConfig struct {
	secret      string
	job         string
	taskTimeout time.Duration
	listen      string
}

// loadServiceConfig reads and checks the receiver's environment.
func loadServiceConfig() (serviceConfig, error) {
	var sc serviceConfig
	cfg, err := config.Load("", nil)
	if err != nil {
		return sc, err
	}
	if err := cfg.Validate(); err != nil {
		return sc, err
	}
	if sc.secret, err = cfg.WebhookSecretValue(); err != nil {
		return sc, err
	}
	if sc.secret == "" {
		return sc, errors.New(contract.WebhookSecret + " is not set (the service reads it from Secret Manager)")
	}
	if sc.job = os.Getenv(contract.CloudRunJob); sc.job == "" {
		return sc, errors.New(contract.CloudRunJob + " is not set: want the worker job's full name, projects/P/locations/L/jobs/J")
	}
	if v := os.Getenv(contract.CloudRunTaskTimeout); v != "" {
		if sc.taskTimeout, err = time.ParseDuration(v); err != nil {
			return sc, fmt.Errorf("%s=%q: want a duration such as \"3600s\"", contract.CloudRunTaskTimeout, v)
		}
	}
	sc.listen = cfg.Mayfly.Listen
	if _, set := os.LookupEnv(envListen); !set {
		port := os.Getenv(envPort)
		if port == "" {
			port = "8080"
		}
		sc.listen = ":" + port
	}
	return sc, nil
}

// runService serves the webhook until SIGTERM.
func runService(log *slog.Logger) int {
	sc, err := loadServiceConfig()
	if err != nil {
		log.Error("invalid configuration", "err", err)
		return exitConfig
	}
	scrubEnv()

	ctx := context.Background()
	launcher, err := cloudrunjob.New(ctx, cloudrunjob.Options{
		Job:         sc.job,
		TaskTimeout: sc.taskTimeout,
		Endpoint:    os.Getenv(envAPIEndpoint),
		Logger:      log,
		UserAgent:   "mayfly-cloudrun/" + version,
	})
	if err != nil {
		log.Error("cannot start executions", "err", err)
		return exitConfig
	}
	hook, err := webhook.New(webhook.Options{Secret: sc.secret, Launcher: launcher, Logger: log})
	if err != nil {
		log.Error("invalid configuration", "err", err)
		return exitConfig
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(sig)

	ln, err := net.Listen("tcp", sc.listen)
	if err != nil {
		log.Error("cannot listen", "addr", sc.listen, "err", err)
		return exitFailed
	}
	srv := &http.Server{
		Handler:           routes(hook),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("receiver listening", "addr", ln.Addr().String(), "job", sc.job, "version", version)

	select {
	case err := <-served:
		log.Error("server failed", "err", err)
		return exitFailed
	case s := <-sig:
		log.Info("received "+s.String()+": shutting down; in-flight webhooks finish", "timeout", shutdownTimeout)
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("shutdown: webhooks still in flight after the timeout; closing", "err", err)
		_ = srv.Close()
		return exitFailed
	}
	log.Info("receiver stopped")
	return exitOK
}

// routes serves the webhook at /hook/<secret> and /hook?secret=, and health
// checks at /health and /healthz. Nothing else answers.
func routes(hook http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(contract.WebhookPathPrefix, hook)
	mux.Handle("/hook", hook)
	healthy := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	}
	mux.HandleFunc("GET /health", healthy)
	mux.HandleFunc("GET /healthz", healthy)
	return mux
}
