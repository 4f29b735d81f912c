package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
)

func TestDoctorAllGood(t *testing.T) {
	ctx := testCtx(t)
	e := newServeEnv(t, semaphoretest.V2026, "", hookSecret)
	setConfig(t, e.config, "runner", fmt.Sprintf(`"webhook": %q`, hookURL(e.base)))
	s := e.start(t)

	r := mayfly(t, ctx, "", "doctor", "--config", e.config)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	for _, want := range []string{
		"[ok  ] config",
		"[ok  ] server   " + e.srv.URL() + " is reachable",
		"[ok  ] token    the runner token is accepted",
		"[info] runner",
		"is_default",
		"[ok  ] webhook  " + e.base + "/hook/**** answers as mayfly serve with the right secret",
		"[ok  ] tmp_path",
		"0 problem(s)",
	} {
		assert.Contains(t, r.stdout, want)
	}
	assert.NotContains(t, r.stdout+r.stderr, hookSecret)
	info, _ := e.srv.Runner(e.runner)
	assert.True(t, info.StartedAt.IsZero(), "doctor must not send X-Runner-Started-At")
	assert.Equal(t, -1.0, s.metric(t, `mayfly_launches_total{result="started"}`), "doctor launches nothing")
}

func TestDoctorTokenRejected(t *testing.T) {
	ctx := testCtx(t)
	e := newEnv(t, semaphoretest.V2026, "")
	require.NoError(t, os.WriteFile(e.tokenFile, []byte("not-a-token"), 0o600))
	r := mayfly(t, ctx, "", "doctor", "--config", e.config)
	assert.Equal(t, exitRejected, r.code, r.stdout)
	assert.Contains(t, r.stdout, "[FAIL] token    the server is reachable but rejects the runner token")
	assert.Contains(t, r.stdout, "404 Runner not found")
	assert.Contains(t, r.stdout, "[warn] webhook  runner.webhook is not set")
	assert.NotContains(t, r.stdout, "not-a-token")
}

func TestDoctorServerUnreachable(t *testing.T) {
	ctx := testCtx(t)
	e := newEnv(t, semaphoretest.V2026, "")
	e.useRunner(t, semaphoretest.RunnerSpec{Active: true})
	e.srv.Close()
	r := mayfly(t, ctx, "", "doctor", "--config", e.config, "--timeout", "20s")
	assert.Equal(t, exitUnreachable, r.code, r.stdout)
	assert.Contains(t, r.stdout, "[FAIL] server   cannot reach")
}

func TestDoctorNoToken(t *testing.T) {
	ctx := testCtx(t)
	e := newEnv(t, semaphoretest.V2026, "")
	r := mayfly(t, ctx, "", "doctor", "--config", e.config)
	assert.Equal(t, exitConfig, r.code, r.stdout)
	assert.Contains(t, r.stdout, "[FAIL] token")
}

func TestDoctorBadConfig(t *testing.T) {
	ctx := testCtx(t)
	e := newEnv(t, semaphoretest.V2026, `, "max_concurrent": 0, "queue_size": -1`)
	r := mayfly(t, ctx, "", "doctor", "--config", e.config)
	assert.Equal(t, exitConfig, r.code, r.stdout)
	assert.Contains(t, r.stdout, "[FAIL] config")
	assert.Contains(t, r.stdout, "mayfly.queue_size")
	assert.Contains(t, r.stderr, "the configuration is not usable")
}

func TestDoctorWebhookProblems(t *testing.T) {
	t.Run("serve not running", func(t *testing.T) {
		ctx := testCtx(t)
		e := newServeEnv(t, semaphoretest.V2026, "", hookSecret)
		require.NoError(t, e.sock.Close())
		setConfig(t, e.config, "runner", fmt.Sprintf(`"webhook": %q`, hookURL(e.base)))
		r := mayfly(t, ctx, "", "doctor", "--config", e.config)
		assert.Equal(t, exitFailed, r.code, r.stdout)
		assert.Contains(t, r.stdout, "[FAIL] webhook  "+e.base+"/hook/**** does not answer from this machine")
		assert.Contains(t, r.stdout, "is `mayfly serve --config FILE` running")
		assert.NotContains(t, r.stdout+r.stderr, hookSecret)
	})
	t.Run("URL with another secret", func(t *testing.T) {
		ctx := testCtx(t)
		e := newServeEnv(t, semaphoretest.V2026, "", hookSecret)
		other := e.base + "/hook/another-secret-0123456789abcdef"
		setConfig(t, e.config, "runner", fmt.Sprintf(`"webhook": %q`, other))
		e.start(t)
		r := mayfly(t, ctx, "", "doctor", "--config", e.config)
		assert.Equal(t, exitFailed, r.code, r.stdout)
		assert.Contains(t, r.stdout, "does not carry mayfly's webhook secret")
		assert.Contains(t, r.stdout, "is mayfly serve, but it refuses the secret in the URL (401)")
		assert.NotContains(t, r.stdout, "another-secret")
	})
	t.Run("something else answers", func(t *testing.T) {
		ctx := testCtx(t)
		e := newEnv(t, semaphoretest.V2026, fmt.Sprintf(`, "webhook_secret": %q`, hookSecret))
		e.useRunner(t, semaphoretest.RunnerSpec{Active: true})
		// The Semaphore stand-in answers 404 on every other path.
		setConfig(t, e.config, "runner", fmt.Sprintf(`"webhook": %q`, e.srv.URL()+"/hook/"+hookSecret))
		r := mayfly(t, ctx, "", "doctor", "--config", e.config)
		assert.Equal(t, exitFailed, r.code, r.stdout)
		assert.Contains(t, r.stdout, "answers 404")
	})
}
