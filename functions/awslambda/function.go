package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/mayfly-dev/mayfly/infra/secrets"
	"github.com/mayfly-dev/mayfly/runner/config"
	"github.com/mayfly-dev/mayfly/runner/webhook"
)

// errUnknownEvent is returned for an event of no known shape.
var errUnknownEvent = errors.New("mayfly: unknown event: want a Lambda Function URL request, " +
	`a worker event {"mayfly_worker":{"task_id":N}} or a Lambda destination record`)

// function is the state of one sandbox: built before the first event without
// any I/O, filled lazily, reused by every invocation the sandbox serves.
type function struct {
	env map[string]string
	log *slog.Logger
	now func() time.Time
	// awsConfig loads the AWS SDK configuration once (secrets.LazyAWSConfig).
	awsConfig func(ctx context.Context) (aws.Config, error)
	// newLauncher builds the self-invoke launcher on the first start.
	newLauncher func(ctx context.Context, functionName string) (webhook.Launcher, error)

	mu     sync.Mutex
	cfg    *config.Config
	hook   *webhook.Handler
	tokens *secrets.Reader
}

func newFunction(env map[string]string, log *slog.Logger) *function {
	lazy := &secrets.LazyAWSConfig{}
	f := &function{env: env, log: log, now: time.Now, awsConfig: lazy.Get}
	f.newLauncher = f.selfInvoker
	return f
}

// shape holds the keys that tell the three events apart.
type shape struct {
	Worker         json.RawMessage `json:"mayfly_worker"`
	RequestPayload json.RawMessage `json:"requestPayload"`
	RequestContext *struct {
		Condition string `json:"condition"`
		HTTP      *struct {
			Method string `json:"method"`
		} `json:"http"`
	} `json:"requestContext"`
}

// eventKind names the three events.
type eventKind int

const (
	kindUnknown eventKind = iota
	kindWebhook
	kindWorker
	kindFailure
)

// classify tells the event's kind from its shape.
func classify(raw []byte) eventKind {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return kindUnknown
	}
	var s shape
	if json.Unmarshal(raw, &s) != nil {
		return kindUnknown
	}
	switch {
	case s.Worker != nil:
		return kindWorker
	case s.RequestContext != nil && s.RequestContext.Condition != "" && s.RequestPayload != nil:
		return kindFailure
	case s.RequestContext != nil && s.RequestContext.HTTP != nil && s.RequestContext.HTTP.Method != "":
		return kindWebhook
	}
	return kindUnknown
}

// Handle is the Lambda handler: it dispatches by the event's shape.
func (f *function) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	log := f.log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("request_id", lc.AwsRequestID)
	}
	switch classify(raw) {
	case kindWebhook:
		return f.webhook(ctx, log.With("event", "webhook"), raw), nil
	case kindWorker:
		return f.worker(ctx, log.With("event", "worker"), raw)
	case kindFailure:
		return f.failure(ctx, log.With("event", "failure"), raw), nil
	}
	log.Error("unknown event", "bytes", len(raw))
	return nil, errUnknownEvent
}

// config loads and validates the configuration from the environment once.
func (f *function) config() (*config.Config, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cfg != nil {
		return f.cfg, nil
	}
	cfg, err := config.Load("", f.env)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f.cfg = cfg
	return cfg, nil
}

// tokenReader returns the sandbox's token reader, built on first use.
func (f *function) tokenReader(cfg *config.Config) (*secrets.Reader, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tokens != nil {
		return f.tokens, nil
	}
	direct, err := cfg.Token()
	if err != nil {
		return nil, err
	}
	r, err := secrets.NewReader(secrets.Options{
		Source:    secrets.SourceFromEnv(direct, func(k string) string { return f.env[k] }),
		AWSConfig: f.awsConfig,
		Logger:    f.log,
	})
	if err != nil {
		return nil, err
	}
	f.tokens = r
	return r, nil
}

// token returns the runner token (read once per sandbox).
func (f *function) token(ctx context.Context, cfg *config.Config) (string, error) {
	r, err := f.tokenReader(cfg)
	if err != nil {
		return "", err
	}
	t, err := r.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("mayfly: runner token: %w", err)
	}
	return t, nil
}

// refreshToken re-reads the token after the server answered 401; true when
// it changed (re-registered with `mayfly register`), so one retry may help.
func (f *function) refreshToken(ctx context.Context, cfg *config.Config, log *slog.Logger) bool {
	r, err := f.tokenReader(cfg)
	if err != nil {
		return false
	}
	changed, err := r.Refresh(ctx)
	if err != nil {
		log.Warn("the server rejected the runner token, and reading it again failed", "err", err)
		return false
	}
	if changed {
		log.Info("the server rejected the cached runner token; using the rotated one")
	}
	return changed
}
