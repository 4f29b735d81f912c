package awslambda_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/infra/launcher/awslambda"
	"github.com/mayfly-dev/mayfly/infra/launcher/awslambda/lambdatest"
	"github.com/mayfly-dev/mayfly/runner/webhook"
)

func newLauncher(t *testing.T, srv *lambdatest.Server, sleeps *[]time.Duration) *awslambda.Launcher {
	t.Helper()
	client := lambda.NewFromConfig(aws.Config{
		Region:       "eu-west-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint: aws.String(srv.URL()),
	})
	l, err := awslambda.New(t.Context(), awslambda.Options{
		FunctionName: "mayfly-runner",
		Client:       client,
		Sleep: func(_ context.Context, d time.Duration) error {
			if sleeps != nil {
				*sleeps = append(*sleeps, d)
			}
			return nil
		},
	})
	require.NoError(t, err)
	return l
}

func newServer(t *testing.T) *lambdatest.Server {
	srv := lambdatest.New()
	t.Cleanup(srv.Close)
	return srv
}

func TestLaunchInvokesAsynchronously(t *testing.T) {
	srv := newServer(t)
	l := newLauncher(t, srv, nil)
	at := time.Date(2026, 3, 4, 5, 6, 7, 8000, time.UTC)
	require.NoError(t, l.Launch(t.Context(), webhook.Request{TaskID: 42, ProjectID: 1, ReceivedAt: at}))

	calls := srv.Invocations()
	require.Len(t, calls, 1)
	assert.Equal(t, "mayfly-runner", calls[0].FunctionName)
	assert.Equal(t, "Event", calls[0].InvocationType)
	assert.Empty(t, calls[0].Qualifier)
	assert.JSONEq(t, `{"mayfly_worker":{"task_id":42,"received_at":"2026-03-04T05:06:07.000008Z"}}`, string(calls[0].Payload))

	id, got, warn, err := awslambda.DecodeWorkerEvent(calls[0].Payload)
	require.NoError(t, err)
	assert.NoError(t, warn)
	assert.Equal(t, 42, id)
	assert.True(t, at.Equal(got))
}

func TestLaunchRetriesOnlyThrottling(t *testing.T) {
	t.Run("throttled then accepted", func(t *testing.T) {
		srv := newServer(t)
		n := 0
		srv.SetResponder(func(lambdatest.Invocation) lambdatest.Response {
			n++
			if n <= 2 {
				return lambdatest.Response{Status: http.StatusTooManyRequests, ErrorType: "TooManyRequestsException", Message: "Rate exceeded"}
			}
			return lambdatest.Response{}
		})
		var sleeps []time.Duration
		require.NoError(t, newLauncher(t, srv, &sleeps).Launch(t.Context(), webhook.Request{TaskID: 1}))
		assert.Len(t, srv.Invocations(), 3)
		require.Len(t, sleeps, 2)
		for _, d := range sleeps {
			assert.LessOrEqual(t, d, awslambda.DefaultMaxBackoff)
		}
	})
	t.Run("throttled until busy", func(t *testing.T) {
		srv := newServer(t)
		srv.Fail(http.StatusTooManyRequests, "TooManyRequestsException")
		err := newLauncher(t, srv, nil).Launch(t.Context(), webhook.Request{TaskID: 1})
		require.Error(t, err)
		assert.ErrorIs(t, err, webhook.ErrBusy)
		assert.Contains(t, err.Error(), "reserved concurrency")
		assert.Len(t, srv.Invocations(), awslambda.DefaultMaxAttempts)
	})
	for _, tc := range []struct {
		status int
		typ    string
	}{
		{http.StatusInternalServerError, "ServiceException"},
		{http.StatusForbidden, "AccessDeniedException"},
		{http.StatusNotFound, "ResourceNotFoundException"},
		{http.StatusBadGateway, ""},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			srv := newServer(t)
			srv.Fail(tc.status, tc.typ)
			err := newLauncher(t, srv, nil).Launch(t.Context(), webhook.Request{TaskID: 1})
			require.Error(t, err)
			assert.False(t, errors.Is(err, webhook.ErrBusy))
			assert.Contains(t, err.Error(), "mayfly-runner")
			assert.Len(t, srv.Invocations(), 1, "not retried: the event may have been queued")
		})
	}
}

func TestLaunchThrottledStopsWithContext(t *testing.T) {
	srv := newServer(t)
	srv.Fail(http.StatusTooManyRequests, "TooManyRequestsException")
	client := lambda.NewFromConfig(aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	ctx, cancel := context.WithCancel(t.Context())
	l, err := awslambda.New(ctx, awslambda.Options{FunctionName: "f", Client: client,
		Sleep: func(ctx context.Context, _ time.Duration) error { cancel(); <-ctx.Done(); return ctx.Err() }})
	require.NoError(t, err)
	err = l.Launch(ctx, webhook.Request{TaskID: 1})
	require.ErrorIs(t, err, context.Canceled)
	assert.Len(t, srv.Invocations(), 1)
}

func TestThroughWebhookHandler(t *testing.T) {
	srv := newServer(t)
	h, err := webhook.New(webhook.Options{Secret: "0123456789abcdef0123", Launcher: newLauncher(t, srv, nil)})
	require.NoError(t, err)
	srv.Fail(http.StatusInternalServerError, "ServiceException")
	resp := h.Handle(t.Context(), call(t, "/hook/0123456789abcdef0123", `{"action":"start","task_id":7}`))
	assert.Equal(t, http.StatusBadGateway, resp.Status)
	srv.SetResponder(nil)
	resp = h.Handle(t.Context(), call(t, "/hook/0123456789abcdef0123", `{"action":"start","task_id":7}`))
	assert.Equal(t, http.StatusNoContent, resp.Status)
	assert.Len(t, srv.Invocations(), 2)
}

func TestNewNeedsFunctionName(t *testing.T) {
	_, err := awslambda.New(t.Context(), awslambda.Options{})
	require.Error(t, err)
}

func TestDecodeWorkerEvent(t *testing.T) {
	tests := []struct {
		raw     string
		id      int
		warn    bool
		errText string
	}{
		{`{"mayfly_worker":{"task_id":3}}`, 3, false, ""},
		{`{"mayfly_worker":{"task_id":3,"received_at":"yesterday"}}`, 3, true, ""},
		{`{"mayfly_worker":{"task_id":0}}`, 0, false, "positive"},
		{`{"mayfly_worker":{"task_id":"3"}}`, 0, false, "malformed"},
		{`{"other":1}`, 0, false, "not a worker event"},
		{`[`, 0, false, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			id, _, warn, err := awslambda.DecodeWorkerEvent([]byte(tt.raw))
			if tt.errText != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.errText)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.id, id)
			assert.Equal(t, tt.warn, warn != nil)
		})
	}
	b, err := json.Marshal(awslambda.NewWorkerEvent(9, time.Time{}))
	require.NoError(t, err)
	assert.JSONEq(t, `{"mayfly_worker":{"task_id":9}}`, string(b))
}
