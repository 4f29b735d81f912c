package api

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/go-resty/resty/v2"
)

// Endpoint is the path of the runner API, appended to the server URL.
const Endpoint = "/api/internal/runners"

// Header names of the runner protocol.
const (
	HeaderToken     = "X-Runner-Token"
	HeaderStartedAt = "X-Runner-Started-At"
)

const (
	defaultTimeout   = 30 * time.Second
	defaultUserAgent = "mayfly"
	maxResponseBody  = 64 << 20
)

// Options configures a Client.
type Options struct {
	// ServerURL is Semaphore's web_host, e.g. "http://127.0.0.1:3000", maybe
	// with a path prefix. Endpoint is appended; a trailing "/" is tolerated.
	ServerURL string
	// Token is the runner token, sent as X-Runner-Token on GET, PUT, DELETE.
	Token string
	// StartedAt, when non-zero, is sent on every poll as X-Runner-Started-At
	// (RFC3339 UTC). Leave it zero in processes that share a token.
	StartedAt time.Time
	// TLSConfig is optional (custom CA, skip verify).
	TLSConfig *tls.Config
	// PrivateKey decrypts application/octet-stream poll bodies (2025 servers).
	PrivateKey *rsa.PrivateKey
	// Timeout bounds each request; default 30s.
	Timeout time.Duration
	// UserAgent defaults to "mayfly".
	UserAgent string
	// Logger is optional. Tokens and bodies are never logged.
	Logger *slog.Logger
}

// Client talks to /api/internal/runners. It is safe for concurrent use.
type Client struct {
	endpoint  string
	token     string
	startedAt string
	key       *rsa.PrivateKey
	log       *slog.Logger
	http      *resty.Client
}

// New validates o and builds a Client with one shared HTTP client and no
// retries.
func New(o Options) (*Client, error) {
	endpoint, err := endpointURL(o.ServerURL)
	if err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	if o.UserAgent == "" {
		o.UserAgent = defaultUserAgent
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rc := resty.New().
		SetTimeout(o.Timeout).
		SetRetryCount(0).
		SetDisableWarn(true).
		SetLogger(restyLogger{log}).
		SetResponseBodyLimit(maxResponseBody).
		SetHeader("User-Agent", o.UserAgent)
	if o.TLSConfig != nil {
		rc.SetTLSClientConfig(o.TLSConfig)
	}
	c := &Client{endpoint: endpoint, token: o.Token, key: o.PrivateKey, log: log, http: rc}
	if !o.StartedAt.IsZero() {
		c.startedAt = o.StartedAt.UTC().Format(time.RFC3339)
	}
	return c, nil
}

// Endpoint returns the full URL of the runner API this client calls.
func (c *Client) Endpoint() string { return c.endpoint }

func endpointURL(server string) (string, error) {
	if server == "" {
		return "", errors.New("api: server URL is empty")
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("api: invalid server URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("api: invalid server URL %q: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" {
		return "", fmt.Errorf("api: invalid server URL %q: no host", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("api: invalid server URL %q: query and fragment are not allowed", u.Redacted())
	}
	return u.JoinPath(Endpoint).String(), nil
}

// response is what do returns on any HTTP answer.
type response struct {
	status      int
	contentType string
	body        []byte
}

// do sends one request. A transport failure becomes *transportError (or the
// caller's ctx error when ctx is done); any HTTP answer is returned as is.
func (c *Client) do(ctx context.Context, op, method string, auth bool, body []byte) (*response, error) {
	req := c.http.R().SetContext(ctx)
	if auth {
		req.SetHeader(HeaderToken, c.token)
	}
	if method == resty.MethodGet && c.startedAt != "" {
		req.SetHeader(HeaderStartedAt, c.startedAt)
	}
	if body != nil {
		req.SetHeader("Content-Type", "application/json").SetBody(body)
	}
	start := time.Now()
	resp, err := req.Execute(method, c.endpoint)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("api: %s: %w", op, ctxErr)
		}
		if errors.Is(err, resty.ErrResponseBodyTooLarge) {
			return nil, fmt.Errorf("api: %s: %w", op, err)
		}
		c.log.DebugContext(ctx, "runner api request failed", "op", op, "method", method, "error", err)
		return nil, &transportError{op: op, cause: err}
	}
	c.log.DebugContext(ctx, "runner api request", "op", op, "method", method,
		"status", resp.StatusCode(), "duration", time.Since(start))
	return &response{status: resp.StatusCode(), contentType: resp.Header().Get("Content-Type"), body: resp.Body()}, nil
}

// restyLogger routes resty's own messages to slog at debug level.
type restyLogger struct{ l *slog.Logger }

func (r restyLogger) logf(format string, v ...any) { r.l.Debug("resty: " + fmt.Sprintf(format, v...)) }

func (r restyLogger) Errorf(format string, v ...any) { r.logf(format, v...) }
func (r restyLogger) Warnf(format string, v ...any)  { r.logf(format, v...) }
func (r restyLogger) Debugf(format string, v ...any) { r.logf(format, v...) }
