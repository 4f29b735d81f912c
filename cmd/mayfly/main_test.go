package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// The test binary doubles as the mayfly binary: with MAYFLY_TEST_MAIN set it
// runs main, so the CLI is tested as a real subprocess without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("MAYFLY_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// result is what one mayfly invocation did.
type result struct {
	code           int
	stdout, stderr string
}

// mayfly runs the CLI as a subprocess with stdin as its standard input.
func mayfly(t *testing.T, ctx context.Context, stdin string, args ...string) result {
	t.Helper()
	cmd := mayflyCmd(ctx, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "mayfly %v: %v", args, err)
		code = ee.ExitCode()
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func mayflyCmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(cleanEnv(), "MAYFLY_TEST_MAIN=1")
	return cmd
}

// cleanEnv drops SEMAPHORE_* and MAYFLY_* so the developer's environment
// cannot change what a test sees.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SEMAPHORE_") && !strings.HasPrefix(kv, "MAYFLY_") {
			env = append(env, kv)
		}
	}
	return env
}

// testEnv is one server, one repository and a config file pointing at both.
type testEnv struct {
	srv       *semaphoretest.Server
	dir       string
	repo      string
	config    string
	tokenFile string
}

func newEnv(t *testing.T, variant semaphoretest.Variant, extraConfig string) *testEnv {
	t.Helper()
	srv := semaphoretest.New(semaphoretest.Options{Variant: variant, RegistrationToken: "reg-secret-1234"})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	e := &testEnv{srv: srv, dir: dir, repo: filepath.Join(dir, "repo"),
		config: filepath.Join(dir, "mayfly.json"), tokenFile: filepath.Join(dir, "runner.token")}
	_, err := fixture.GitRepo(e.repo, map[string]string{
		"hello.sh": "echo hello from task $SEMAPHORE_TEST_MARK\necho \"args: $*\"\n",
		"fail.sh":  "echo failing; exit 3\n",
		"mark.sh":  "touch \"$1\"\n",
		"sleep.sh": "sleep 1; echo slept\n",
	})
	require.NoError(t, err)
	cfg := fmt.Sprintf(`{
  // a Semaphore runner config with mayfly's own block
  "web_host": %q,
  "tmp_path": %q,
  "runner": {"token_file": %q},
  "mayfly": {"poll_interval": "100ms", "task_wait_timeout": "20s", "stop_grace": "2s"%s},
}`, srv.URL(), filepath.Join(dir, "tmp"), e.tokenFile, extraConfig)
	require.NoError(t, os.WriteFile(e.config, []byte(cfg), 0o600))
	return e
}

// useRunner writes the token of a runner created in the "UI".
func (e *testEnv) useRunner(t *testing.T, spec semaphoretest.RunnerSpec) int {
	id, token := e.srv.AddRunner(spec)
	require.NoError(t, os.WriteFile(e.tokenFile, []byte(token), 0o600))
	return id
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var variants = map[string]semaphoretest.Variant{
	"2024": semaphoretest.V2024,
	"2026": semaphoretest.V2026,
}
