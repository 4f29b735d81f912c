package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/mayfly-dev/mayfly/infra/launcher/awslambda"
	"github.com/mayfly-dev/mayfly/runner/webhook"
)

// envFunctionName is set by Lambda to the function's name: the self-invoke target.
const envFunctionName = "AWS_LAMBDA_FUNCTION_NAME"

// webhook answers one Function URL request.
func (f *function) webhook(ctx context.Context, log *slog.Logger, raw []byte) events.LambdaFunctionURLResponse {
	var req events.LambdaFunctionURLRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return urlResponse(errorResponse(http.StatusBadRequest, "malformed Function URL event: "+err.Error()))
	}
	arrived := f.now()
	if ms := req.RequestContext.TimeEpoch; ms > 0 {
		arrived = time.UnixMilli(ms)
	}
	h, err := f.webhookHandler()
	if err != nil {
		log.Error("cannot answer webhooks: configuration", "err", err)
		return urlResponse(errorResponse(http.StatusInternalServerError, "mayfly is misconfigured (see the function's log): "+err.Error()))
	}
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		if body, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
			return urlResponse(errorResponse(http.StatusBadRequest, "body is not valid base64"))
		}
	}
	path := req.RawPath
	if p, err := url.PathUnescape(path); err == nil {
		path = p
	}
	resp := h.Handle(withArrival(ctx, arrived), webhook.Call{
		Method: req.RequestContext.HTTP.Method,
		URL:    &url.URL{Path: path, RawQuery: req.RawQueryString},
		Body:   bytes.NewReader(body),
	})
	// Never log the path or query: they carry the secret.
	log.Info("webhook answered", "status", resp.Status, "source_ip", req.RequestContext.HTTP.SourceIP)
	return urlResponse(resp)
}

// webhookHandler returns the sandbox's webhook handler; its de-duplication
// of repeated starts lasts as long as the sandbox.
func (f *function) webhookHandler() (*webhook.Handler, error) {
	cfg, err := f.config()
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hook != nil {
		return f.hook, nil
	}
	secret, err := cfg.WebhookSecretValue()
	if err != nil {
		return nil, err
	}
	if secret == "" {
		return nil, errors.New("MAYFLY_WEBHOOK_SECRET is not set")
	}
	h, err := webhook.New(webhook.Options{
		Secret:   secret,
		Launcher: &lazyLauncher{f: f},
		Logger:   f.log,
		Now:      f.now,
	})
	if err != nil {
		return nil, err
	}
	f.hook = h
	return h, nil
}

// selfInvoke builds the launcher that invokes this function asynchronously.
func (f *function) selfInvoker(ctx context.Context, name string) (webhook.Launcher, error) {
	cfg, err := f.awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	return awslambda.New(ctx, awslambda.Options{FunctionName: name, Client: lambdasdk.NewFromConfig(cfg), Logger: f.log})
}

// lazyLauncher builds the real launcher (and loads the AWS configuration) on
// the first start, so that a cold start costs nothing before it is needed,
// and stamps each request with the time the webhook reached the Function URL.
type lazyLauncher struct {
	f  *function
	mu sync.Mutex
	l  webhook.Launcher
}

func (z *lazyLauncher) Launch(ctx context.Context, r webhook.Request) error {
	l, err := z.get(ctx)
	if err != nil {
		return err
	}
	if at, ok := ctx.Value(arrivalKey{}).(time.Time); ok {
		r.ReceivedAt = at
	}
	return l.Launch(ctx, r)
}

func (z *lazyLauncher) get(ctx context.Context) (webhook.Launcher, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.l != nil {
		return z.l, nil
	}
	name := strings.TrimSpace(z.f.env[envFunctionName])
	if name == "" {
		return nil, errors.New(envFunctionName + " is not set: the function cannot invoke itself")
	}
	l, err := z.f.newLauncher(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("self-invoke launcher: %w", err)
	}
	z.l = l
	return l, nil
}

type arrivalKey struct{}

func withArrival(ctx context.Context, at time.Time) context.Context {
	return context.WithValue(ctx, arrivalKey{}, at)
}

// urlResponse turns a webhook answer into a Function URL response.
func urlResponse(r webhook.Response) events.LambdaFunctionURLResponse {
	out := events.LambdaFunctionURLResponse{StatusCode: r.Status}
	if len(r.Body) > 0 {
		out.Headers = map[string]string{"Content-Type": "application/json"}
		out.Body = string(r.Body)
	}
	return out
}

func errorResponse(status int, msg string) webhook.Response {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return webhook.Response{Status: status, Body: b}
}
