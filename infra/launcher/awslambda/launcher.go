package awslambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/mayfly-dev/mayfly/runner/webhook"
)

// InvokeAPI is the part of the Lambda client the launcher uses.
type InvokeAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

var (
	_ InvokeAPI        = (*lambda.Client)(nil)
	_ webhook.Launcher = (*Launcher)(nil)
)

// Defaults of Options.
const (
	DefaultMaxAttempts    = 4
	DefaultBackoff        = 200 * time.Millisecond
	DefaultMaxBackoff     = 2 * time.Second
	DefaultAttemptTimeout = 10 * time.Second
)

// Options configure a Launcher.
type Options struct {
	// FunctionName is the function to invoke: a name, an ARN, or a partial
	// ARN, unqualified (so that $LATEST runs) or with a version or alias.
	FunctionName string
	// Client is the Lambda client; nil builds one from the default AWS
	// configuration (environment, shared files, instance or Lambda role).
	Client InvokeAPI
	Logger *slog.Logger
	// MaxAttempts bounds the invocations tried for one launch when Lambda
	// throttles (TooManyRequestsException); default 4.
	MaxAttempts int
	// Backoff is the first delay after a throttled attempt, doubled (with
	// jitter) up to MaxBackoff; defaults 200ms and 2s.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// AttemptTimeout bounds one Invoke call; default 10s.
	AttemptTimeout time.Duration
	// Sleep waits d or until ctx ends; injectable for tests.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Launcher starts a worker with an asynchronous invocation per task.
type Launcher struct {
	o Options
}

// New returns a Launcher. Without Options.Client it loads the default AWS
// configuration (which does no network I/O).
func New(ctx context.Context, o Options) (*Launcher, error) {
	o.FunctionName = strings.TrimSpace(o.FunctionName)
	if o.FunctionName == "" {
		return nil, errors.New("awslambda: no function name")
	}
	if o.Client == nil {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("awslambda: load AWS configuration: %w", err)
		}
		o.Client = lambda.NewFromConfig(cfg)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = DefaultAttemptTimeout
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	return &Launcher{o: o}, nil
}

// Launch queues one asynchronous invocation with r's task id and arrival
// time. It returns webhook.ErrBusy (wrapped) when Lambda still throttles
// after MaxAttempts, and any other failure at once.
func (l *Launcher) Launch(ctx context.Context, r webhook.Request) error {
	payload, err := json.Marshal(NewWorkerEvent(r.TaskID, r.ReceivedAt))
	if err != nil {
		return fmt.Errorf("awslambda: encode worker event: %w", err)
	}
	delay := l.o.Backoff
	for attempt := 1; ; attempt++ {
		err := l.invoke(ctx, payload)
		if err == nil {
			l.o.Logger.Info("worker invocation queued", "task", r.TaskID, "function", l.o.FunctionName, "attempt", attempt)
			return nil
		}
		if !isThrottle(err) {
			return fmt.Errorf("awslambda: invoke %s: %w", l.o.FunctionName, err)
		}
		if attempt >= l.o.MaxAttempts {
			return fmt.Errorf("%w: awslambda: invoke %s: still throttled after %d attempts (raise the function's reserved concurrency or the account's limit): %w",
				webhook.ErrBusy, l.o.FunctionName, attempt, err)
		}
		wait := delay/2 + rand.N(delay/2+1) // jitter in [delay/2, delay]
		l.o.Logger.Warn("Lambda throttled the worker invocation; retrying", "task", r.TaskID, "attempt", attempt, "wait", wait)
		if err := l.o.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("awslambda: invoke %s: throttled, and %w", l.o.FunctionName, err)
		}
		delay = min(2*delay, l.o.MaxBackoff)
	}
}

// invoke makes one attempt, with the SDK's own retries off: only throttling
// is known not to have queued the event.
func (l *Launcher) invoke(ctx context.Context, payload []byte) error {
	ctx, cancel := context.WithTimeout(ctx, l.o.AttemptTimeout)
	defer cancel()
	out, err := l.o.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(l.o.FunctionName),
		InvocationType: types.InvocationTypeEvent,
		Payload:        payload,
	}, func(o *lambda.Options) { o.Retryer = aws.NopRetryer{} })
	if err != nil {
		return err
	}
	if out.StatusCode != http.StatusAccepted {
		return fmt.Errorf("unexpected status %d for an asynchronous invocation (want 202)", out.StatusCode)
	}
	return nil
}

func isThrottle(err error) bool {
	var tmr *types.TooManyRequestsException
	if errors.As(err, &tmr) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "TooManyRequestsException"
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
