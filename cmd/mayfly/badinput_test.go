package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// Bad input gives a clear message and a distinct exit code, never a panic.
func TestBadInput(t *testing.T) {
	ctx := testCtx(t)
	e := newEnv(t, semaphoretest.V2026, "")
	write := func(name, content string) string {
		p := filepath.Join(e.dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	closedPort := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		require.NoError(t, l.Close())
		return "http://" + addr
	}()
	emptyToken := write("empty.token", "\n")
	wrongToken := write("wrong.token", "not-a-runner-token")

	cases := []struct {
		name     string
		stdin    string
		args     []string
		code     int
		contains string
	}{
		{"malformed config", "", []string{"run", "--task-id", "1", "--config", write("bad.json", `{"web_host": `)}, exitConfig, "config"},
		{"unknown key", "", []string{"run", "--task-id", "1", "--config", write("unknown.json", `{"web_host":"http://127.0.0.1:1","runner":{"tokn":"x"}}`)}, exitConfig, "runner.tokn"},
		{"missing config flag", "", []string{"start"}, exitConfig, "--config"},
		{"no token", "", []string{"start", "--config", write("notoken.json", fmt.Sprintf(`{"web_host":%q}`, e.srv.URL()))}, exitConfig, "no runner token"},
		{"empty token file", "", []string{"start", "--config", write("emptytoken.json", fmt.Sprintf(`{"web_host":%q,"runner":{"token_file":%q}}`, e.srv.URL(), emptyToken))}, exitConfig, "empty"},
		{"wrong token", "", []string{"run", "--task-id", "1", "--config", write("wrong.json", fmt.Sprintf(`{"web_host":%q,"runner":{"token_file":%q}}`, e.srv.URL(), wrongToken))}, exitRejected, "runner token"},
		{"unreachable server", "", []string{"run", "--task-id", "1", "--config", write("down.json", fmt.Sprintf(`{"web_host":%q,"runner":{"token":"t0ken"},"mayfly":{"task_wait_timeout":"1s"}}`, closedPort))}, exitUnreachable, "unreachable"},
		{"plain http to a remote host", "", []string{"start", "--config", write("http.json", `{"web_host":"http://semaphore.example.com","runner":{"token":"t0ken"}}`)}, exitConfig, "https"},
		{"empty registration token", "\n", []string{"register", "--stdin-registration-token", "--config", write("reg.json", fmt.Sprintf(`{"web_host":%q,"runner":{"token_file":%q}}`, e.srv.URL(), filepath.Join(e.dir, "new.token")))}, exitConfig, "empty"},
		{"wrong registration token", "nope\n", []string{"register", "--stdin-registration-token", "--config", write("reg2.json", fmt.Sprintf(`{"web_host":%q,"runner":{"token_file":%q}}`, e.srv.URL(), filepath.Join(e.dir, "new2.token")))}, exitRejected, "registration token"},
		{"bad task id", "", []string{"run", "--task-id", "0", "--config", e.config}, exitUsage, "--task-id"},
		{"unknown flag", "", []string{"run", "--bogus"}, exitUsage, "bogus"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := mayfly(t, ctx, tc.stdin, tc.args...)
			assert.Equal(t, tc.code, r.code, "stderr: %s", r.stderr)
			assert.Contains(t, r.stderr, tc.contains)
			assert.NotContains(t, r.stderr, "panic")
			assert.NotContains(t, r.stderr, "not-a-runner-token")
		})
	}
}

// A task that the server never offers ends `run` with its own exit code.
func TestRunTaskNotListed(t *testing.T) {
	ctx := testCtx(t)
	e := newEnv(t, semaphoretest.V2026, "")
	e.useRunner(t, semaphoretest.RunnerSpec{Active: true})
	cfg, err := os.ReadFile(e.config)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(e.config, bytes.Replace(cfg, []byte(`"20s"`), []byte(`"1s"`), 1), 0o600))
	r := mayfly(t, ctx, "", "run", "--config", e.config, "--task-id", "999")
	assert.Equal(t, exitNotListed, r.code, r.stderr)
	assert.Contains(t, r.stderr, "999")
}

// The long-lived runner keeps taking tasks and shuts down cleanly on SIGTERM.
func TestStartLongLivedSIGTERM(t *testing.T) {
	ctx := testCtx(t)
	e := newEnv(t, semaphoretest.V2026, "")
	runner := e.useRunner(t, semaphoretest.RunnerSpec{Active: true})
	cmd := mayflyCmd(ctx, "start", "--config", e.config)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())

	for _, script := range []string{"fail.sh", "hello.sh"} { // an earlier failure must not change the exit code
		id := e.srv.AddTask(runner, fixture.ShellJob("bash", "file://"+e.repo, script), fixture.NoneKey())
		info, err := e.srv.WaitFinished(ctx, id)
		require.NoError(t, err)
		if script == "hello.sh" {
			assert.Equal(t, api.StatusSuccess, info.Status)
		}
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), stderr.String())
}

// SIGTERM before the bound task was taken: a distinct exit code, so that the
// launcher knows nothing was reported and reports the task itself.
func TestRunInterruptedBeforePickup(t *testing.T) {
	ctx := testCtx(t)
	e := newEnv(t, semaphoretest.V2026, "")
	runner := e.useRunner(t, semaphoretest.RunnerSpec{Active: true})
	cmd := mayflyCmd(ctx, "run", "--config", e.config, "--task-id", "999")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool {
		info, _ := e.srv.Runner(runner)
		return info.Polls > 0
	}, 30e9, 10e6, "the runner polls")
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	err := cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, stderr.String())
	assert.Equal(t, exitInterrupted, ee.ExitCode(), stderr.String())
	assert.Contains(t, stderr.String(), "nothing was reported")
}
