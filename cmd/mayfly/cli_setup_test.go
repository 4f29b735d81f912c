package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// Interactive setup without a runner token: it asks for the server and a
// registration token, writes a 0600 config and token file, and registers.
func TestSetupInteractiveRegisters(t *testing.T) {
	ctx := testCtx(t)
	e := newEnv(t, semaphoretest.V2026, "")
	cfgPath := filepath.Join(e.dir, "setup", "config.runner.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(cfgPath), 0o700))

	answers := strings.Join([]string{e.srv.URL(), "n", "reg-secret-1234"}, "\n") + "\n"
	// No webhook: this runner is used by `run` directly, and nothing listens at the default webhook URL.
	r := mayfly(t, ctx, answers, "setup", "--config", cfgPath, "--tmp-path", filepath.Join(e.dir, "tmp"), "--webhook-base-url", "none")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "Semaphore server URL")
	assert.Contains(t, r.stdout, "Registration token")
	assert.NotContains(t, r.stdout+r.stderr, "reg-secret-1234")

	for _, p := range []string{cfgPath, filepath.Join(filepath.Dir(cfgPath), "runner.token")} {
		st, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), p)
	}
	runners := e.srv.Runners()
	require.Len(t, runners, 1)
	token, err := os.ReadFile(filepath.Join(filepath.Dir(cfgPath), "runner.token"))
	require.NoError(t, err)
	assert.Equal(t, runners[0].Token, strings.TrimSpace(string(token)))

	// The written config runs a task as it is.
	id := e.srv.AddTask(runners[0].ID, fixture.ShellJob("bash", "file://"+e.repo, "hello.sh"), fixture.NoneKey())
	r = mayfly(t, ctx, "", "run", "--config", cfgPath, "--task-id", fmt.Sprint(id))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, api.StatusSuccess, e.srv.Task(id).Status)
}

// Setup with an existing runner token stores it (the 2024 stock setup
// discarded it) and does not register.
func TestSetupExistingToken(t *testing.T) {
	ctx := testCtx(t)
	e := newEnv(t, semaphoretest.V2026, "")
	_, token := e.srv.AddRunner(semaphoretest.RunnerSpec{Active: true})
	cfgPath := filepath.Join(e.dir, "existing.json")
	r := mayfly(t, ctx, token+"\n", "setup", "--config", cfgPath, "--server", e.srv.URL(), "--stdin-token",
		"--token-file", filepath.Join(e.dir, "existing.token"))
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	stored, err := os.ReadFile(filepath.Join(e.dir, "existing.token"))
	require.NoError(t, err)
	assert.Equal(t, token, strings.TrimSpace(string(stored)))
	assert.Len(t, e.srv.Runners(), 1, "no new registration")

	// A second setup refuses to overwrite the config without --force.
	r = mayfly(t, ctx, token+"\n", "setup", "--config", cfgPath, "--server", e.srv.URL(), "--stdin-token")
	assert.Equal(t, exitConfig, r.code)
	assert.Contains(t, r.stderr, "--force")
}

// A 2025 server encrypts poll bodies for a runner that registered a public
// key: register creates the key pair, and run decrypts the polls.
func TestRegisterRun2025Encrypted(t *testing.T) {
	ctx := testCtx(t)
	e := newEnv(t, semaphoretest.V2025, "")
	keyFile := filepath.Join(e.dir, "runner.key")
	cfg, err := os.ReadFile(e.config)
	require.NoError(t, err)
	cfg = []byte(strings.Replace(string(cfg), `"runner": {`, fmt.Sprintf(`"runner": {"private_key_file": %q, `, keyFile), 1))
	require.NoError(t, os.WriteFile(e.config, cfg, 0o600))

	r := mayfly(t, ctx, "reg-secret-1234\n", "register", "--config", e.config, "--stdin-registration-token")
	require.Equal(t, 0, r.code, r.stderr)
	st, err := os.Stat(keyFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	runners := e.srv.Runners()
	require.Len(t, runners, 1)
	require.NotEmpty(t, runners[0].PublicKey, "the public key was registered")
	e.srv.SetActive(runners[0].ID, true)

	id := e.srv.AddTask(runners[0].ID, fixture.ShellJob("bash", "file://"+e.repo, "hello.sh"), fixture.NoneKey())
	r = mayfly(t, ctx, "", "run", "--config", e.config, "--task-id", fmt.Sprint(id))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, api.StatusSuccess, e.srv.Task(id).Status)
}

// register --webhook records the URL in the config, so serve and doctor see
// what the server has.
func TestRegisterRecordsWebhook(t *testing.T) {
	ctx := testCtx(t)
	e := newEnv(t, semaphoretest.V2026, "")
	url := "http://127.0.0.1:8080/hook/0123456789abcdef0123"
	r := mayfly(t, ctx, "reg-secret-1234\n", "register", "--config", e.config, "--stdin-registration-token", "--webhook", url)
	require.Equal(t, 0, r.code, r.stderr)
	require.Len(t, e.srv.Runners(), 1)
	assert.Equal(t, url, e.srv.Runners()[0].Webhook)
	cfg, err := os.ReadFile(e.config)
	require.NoError(t, err)
	assert.Contains(t, string(cfg), url)
	assert.Contains(t, string(cfg), "// a Semaphore runner config with mayfly's own block", "comments kept")
}
