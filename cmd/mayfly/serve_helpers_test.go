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
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// hookSecret is the webhook secret of the serve tests.
const hookSecret = "e2e-webhook-secret-0123456789abcdef"

// serveProc is a `mayfly serve` subprocess.
type serveProc struct {
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:PORT
	stdout *fixture.SyncBuffer
	stderr *fixture.SyncBuffer
	done   chan struct{}
	code   int
}

// serveListener reserves the serve port: the socket is bound now and handed
// to the subprocess (LISTEN_FDS=1), so there is no port race, and calls made
// before serve accepts wait in the backlog.
func serveListener(t *testing.T) (*os.File, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f, err := ln.(*net.TCPListener).File()
	require.NoError(t, err)
	require.NoError(t, ln.Close()) // f is a dup and keeps the socket open
	return f, "http://" + ln.Addr().String()
}

// hookURL is the webhook URL of a serve at base.
func hookURL(base string) string { return base + "/hook/" + hookSecret }

// startServe runs `mayfly serve --config e.config` on the socket f.
func startServe(t *testing.T, ctx context.Context, config string, f *os.File, base string, args ...string) *serveProc {
	t.Helper()
	cmd := mayflyCmd(ctx, append([]string{"serve", "--config", config}, args...)...)
	// GORACE: race-enabled children would sleep 1s before exiting.
	cmd.Env = append(cmd.Env, "LISTEN_FDS=1", "GORACE=atexit_sleep_ms=0")
	cmd.ExtraFiles = []*os.File{f}
	s := &serveProc{cmd: cmd, base: base, stdout: &fixture.SyncBuffer{}, stderr: &fixture.SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
	require.NoError(t, cmd.Start())
	require.NoError(t, f.Close())
	go func() {
		defer close(s.done)
		_ = cmd.Wait()
		s.code = cmd.ProcessState.ExitCode()
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
			return
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("serve stderr:\n%s", s.stderr.String())
		}
	})
	return s
}

// stop sends SIGTERM and waits for the exit code.
func (s *serveProc) stop(t *testing.T) int {
	t.Helper()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-s.done:
	case <-time.After(2 * time.Minute):
		t.Fatal("serve did not stop")
	}
	return s.code
}

// get fetches base+path and returns the status and body.
func (s *serveProc) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(s.base + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metric returns the value of one exposition line (name{labels}), or -1.
func (s *serveProc) metric(t *testing.T, series string) float64 {
	t.Helper()
	_, body := s.get(t, "/metrics")
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			require.NoError(t, err)
			return f
		}
	}
	return -1
}

// waitMetric waits until series has value want (safety-net timeout only).
func (s *serveProc) waitMetric(t *testing.T, series string, want float64) {
	t.Helper()
	waitUntil(t, series, func() bool { return s.metric(t, series) == want })
}

// waitUntil polls cond; the timeout is a safety net, not an assertion.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// httpDo sends body to url and returns the status and body.
func httpDo(t *testing.T, url, method, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// procStat returns the ppid and session of pid from /proc.
func procStat(pid int) (ppid, session int, ok bool) {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, 0, false
	}
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(f) < 4 || f[0] == "Z" || f[0] == "X" {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	session, _ = strconv.Atoi(f[3])
	return ppid, session, true
}

// processes lists live pids for which match(ppid, session) holds.
func processes(match func(ppid, session int) bool) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, sid, ok := procStat(pid); ok && match(ppid, sid) {
			out = append(out, pid)
		}
	}
	return out
}

// setConfig inserts a raw JSON member at the start of the given block of the
// test config ("runner" or "mayfly").
func setConfig(t *testing.T, path, block, member string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	from := fmt.Sprintf(`"%s": {`, block)
	require.Contains(t, string(b), from)
	out := strings.Replace(string(b), from, from+member+", ", 1)
	require.NoError(t, os.WriteFile(path, []byte(out), 0o600))
}
