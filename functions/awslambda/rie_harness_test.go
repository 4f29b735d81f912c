package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// The RIE tests run the real bootstrap under the AWS Lambda Runtime Interface
// Emulator. TestMain builds both once per test binary run into a temporary
// directory; a build failure fails those tests (not the in-process ones).
var (
	binDir   string
	buildErr error
)

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "mayfly-rie-")
		if err != nil {
			buildErr = err
			return m.Run()
		}
		defer os.RemoveAll(dir)
		binDir = dir
		buildErr = buildBinaries(dir)
		return m.Run()
	}()
	os.Exit(code)
}

// buildBinaries builds DIR/bootstrap (as `make build-lambda` does, for this
// machine's architecture) and DIR/rie from the module's tool dependency.
func buildBinaries(dir string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	builds := [][]string{
		{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(dir, "bootstrap"), "."},
		{"build", "-o", filepath.Join(dir, "rie"), "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"},
	}
	for _, args := range builds {
		cmd := exec.Command(goBin, args...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// emulator is one running aws-lambda-rie with the bootstrap. It serves one
// invocation at a time (it crashes on two concurrent ones), so every
// invocation goes through invoke, which serialises them.
type emulator struct {
	url  string
	out  *fixture.SyncBuffer
	mu   sync.Mutex
	stop func() // kills the emulator and the bootstrap; idempotent
}

// startEmulator starts the emulator on 127.0.0.1 with env as the whole
// environment of the emulator and therefore of the bootstrap.
func startEmulator(t testing.TB, env map[string]string) *emulator {
	t.Helper()
	if buildErr != nil {
		t.Fatalf("cannot build the bootstrap or the emulator: %v", buildErr)
	}
	addr, apiAddr := freeAddr(t), freeAddr(t)
	args := []string{
		"--runtime-interface-emulator-address", addr, // never the default 0.0.0.0:8080
		"--runtime-api-address", apiAddr, // never the default :9001
		"--log-level", "info",
		filepath.Join(binDir, "bootstrap"),
	}
	cmd := exec.Command(filepath.Join(binDir, "rie"), args...)
	cmd.Dir = t.TempDir()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := &fixture.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the emulator: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := sync.OnceFunc(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the emulator and the bootstrap
		<-exited
	})
	t.Cleanup(func() {
		stop()
		if t.Failed() || os.Getenv("MAYFLY_RIE_LOG") != "" {
			t.Logf("emulator output:\n%s", out.String())
		}
	})
	e := &emulator{url: "http://" + addr + "/2015-03-31/functions/function/invocations", out: out, stop: stop}
	for deadline := time.Now().Add(60 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			return e
		}
		select {
		case <-exited:
			t.Fatalf("the emulator exited at start:\n%s", out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator does not listen on %s:\n%s", addr, out.String())
		}
	}
}

// invoke sends one synchronous invocation and returns the emulator's HTTP
// status and body (the handler's JSON result, or its error object).
func (e *emulator) invoke(ctx context.Context, payload []byte) (int, []byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// freeAddr returns a free 127.0.0.1 address.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// baseEnv is what every emulator gets: PATH, a temporary directory, fake
// AWS credentials, and nothing from the developer's SEMAPHORE_*, MAYFLY_*,
// AWS_* or HOME (the bootstrap must cope without HOME, as on Lambda).
func baseEnv(t testing.TB) map[string]string {
	tmp := t.TempDir()
	return map[string]string{
		"PATH":                        os.Getenv("PATH"),
		"TMPDIR":                      tmp,
		"AWS_REGION":                  "eu-west-1",
		"AWS_ACCESS_KEY_ID":           "AKIDMAYFLYTEST",
		"AWS_SECRET_ACCESS_KEY":       "fake-secret-key",
		"AWS_CONFIG_FILE":             filepath.Join(tmp, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(tmp, "no-aws-credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_LAMBDA_FUNCTION_NAME":    "mayfly-test",
		"AWS_LAMBDA_FUNCTION_TIMEOUT": "120",
		"SEMAPHORE_TMP_PATH":          filepath.Join(tmp, "semaphore"),
		"MAYFLY_LOG_FORMAT":           "json",
		"MAYFLY_LOG_LEVEL":            "debug",
	}
}
