package cloudrunjob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync/atomic"
	"time"
)

// maxResponseBytes bounds what is read of an Admin API answer.
const maxResponseBytes = 1 << 20

// maxRetryAfter caps how long a Retry-After header may make a retry wait.
const maxRetryAfter = 5 * time.Second

// ErrMaybeStarted marks a jobs:run call that failed after the request was
// sent: the execution may have started. It is not retried.
var ErrMaybeStarted = errors.New("the request was sent, so the execution may have started")

// APIError is a non-2xx answer of the Cloud Run Admin API.
type APIError struct {
	StatusCode int    // HTTP status
	Status     string // Google's canonical code, e.g. PERMISSION_DENIED; "" if absent
	Message    string
}

func (e *APIError) Error() string {
	s := "HTTP " + strconv.Itoa(e.StatusCode)
	if e.Status != "" {
		s += " " + e.Status
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// retryableStatus reports whether an answer with this status may be retried.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// call is one Admin API request.
type call struct {
	op     string // for logs: jobs:run, executions.get, executions:cancel
	method string
	url    string
	body   []byte // nil: no body
	// idempotent calls are retried after transport errors even when the
	// request was sent; jobs:run is not.
	idempotent bool
	// attempts overrides Options.MaxAttempts when > 0.
	attempts int
}

// do sends c, retrying what is retryable within ctx, and returns the body of
// the 2xx answer.
func (l *Launcher) do(ctx context.Context, c call) ([]byte, error) {
	limit := l.o.MaxAttempts
	if c.attempts > 0 {
		limit = c.attempts
	}
	for attempt := 1; ; attempt++ {
		body, retry, wait, err := l.attempt(ctx, c)
		if err == nil {
			return body, nil
		}
		if attempt > 1 {
			err = fmt.Errorf("%w (attempt %d of %d)", err, attempt, limit)
		}
		if !retry || attempt >= limit || ctx.Err() != nil {
			return nil, err
		}
		d := l.backoff(attempt, wait)
		l.o.Logger.Debug("Cloud Run Admin API call failed; retrying", "op", c.op, "attempt", attempt, "in", d, "err", err)
		if serr := l.o.Sleep(ctx, d); serr != nil {
			return nil, fmt.Errorf("%w; gave up: %w", err, context.Cause(ctx))
		}
	}
}

// attempt sends c once. retry says whether a failure may be retried;
// retryAfter is the server's Retry-After, if any.
func (l *Launcher) attempt(ctx context.Context, c call) (body []byte, retry bool, retryAfter time.Duration, err error) {
	tok, err := l.ts.Token()
	if err != nil {
		return nil, true, 0, fmt.Errorf("get an access token: %w", err)
	}
	actx, cancel := context.WithTimeout(ctx, l.o.AttemptTimeout)
	defer cancel()
	var sent atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				sent.Store(true)
			}
		},
	})
	var rd io.Reader
	if c.body != nil {
		rd = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(actx, c.method, c.url, rd)
	if err != nil {
		return nil, false, 0, err
	}
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if l.o.UserAgent != "" {
		req.Header.Set("User-Agent", l.o.UserAgent)
	}
	tok.SetAuthHeader(req)

	resp, err := l.hc.Do(req)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, false, 0, fmt.Errorf("%w: %w", err, context.Cause(ctx))
		case sent.Load() && !c.idempotent:
			return nil, false, 0, fmt.Errorf("%w (%w)", err, ErrMaybeStarted)
		}
		return nil, true, 0, err
	}
	defer resp.Body.Close()
	b, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if resp.StatusCode/100 == 2 {
		// The call succeeded even if its answer was cut short; the caller
		// copes with a body it cannot parse.
		return b, false, 0, nil
	}
	if readErr != nil {
		b = nil
	}
	return nil, retryableStatus(resp.StatusCode), parseRetryAfter(resp.Header.Get("Retry-After")), apiError(resp.StatusCode, b)
}

// apiError builds an APIError from Google's error body
// {"error":{"code":403,"message":"…","status":"PERMISSION_DENIED"}}.
func apiError(code int, body []byte) *APIError {
	e := &APIError{StatusCode: code}
	var g struct {
		Error struct {
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &g) == nil && (g.Error.Message != "" || g.Error.Status != "") {
		e.Status, e.Message = g.Error.Status, g.Error.Message
		return e
	}
	if msg := bytes.TrimSpace(body); len(msg) > 0 {
		if len(msg) > 200 {
			msg = append(msg[:200:200], "…"...)
		}
		e.Message = string(msg)
	}
	return e
}

// parseRetryAfter reads a Retry-After header in seconds; 0 if absent or not seconds.
func parseRetryAfter(v string) time.Duration {
	s, err := strconv.Atoi(v)
	if err != nil || s <= 0 {
		return 0
	}
	return min(time.Duration(s)*time.Second, maxRetryAfter)
}

// backoff is the wait before retry number attempt: exponential from
// Options.BaseBackoff, capped at Options.MaxBackoff, with jitter in [d/2, d];
// at least the server's Retry-After.
func (l *Launcher) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := l.o.BaseBackoff
	for i := 1; i < attempt && d < l.o.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, l.o.MaxBackoff)
	if d > 1 {
		d = d/2 + rand.N(d/2+1)
	}
	return max(d, retryAfter)
}

// sleepCtx waits for d or the end of ctx.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
