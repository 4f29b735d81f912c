package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The test binary doubles as the cloudrun binary: with MAYFLY_TEST_MAIN set
// it runs main, so both modes are tested as real subprocesses.
func TestMain(m *testing.M) {
	if os.Getenv("MAYFLY_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// proc is one cloudrun subprocess and its runner log.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	log  *logSink
	done chan struct{}
	code int
}

// start runs the binary with a clean environment plus env.
func start(t *testing.T, env map[string]string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(cleanEnv(), "MAYFLY_TEST_MAIN=1")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &proc{t: t, cmd: cmd, log: newLogSink(), done: make(chan struct{})}
	cmd.Stderr = p.log
	cmd.WaitDelay = 10 * time.Second
	require.NoError(t, cmd.Start())
	go func() {
		defer close(p.done)
		err := cmd.Wait()
		p.code = cmd.ProcessState.ExitCode()
		if err != nil && p.code == 0 {
			p.code = -1
		}
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("cloudrun log:\n%s", p.log.String())
		}
	})
	return p
}

// wait returns the exit code once the process ended.
func (p *proc) wait(ctx context.Context) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-ctx.Done():
		p.t.Fatalf("cloudrun did not exit: %v", ctx.Err())
		return -1
	}
}

func (p *proc) signal(s syscall.Signal) {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(s))
}

// cleanEnv drops every variable that could change what the binary does.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "SEMAPHORE_"), strings.HasPrefix(name, "MAYFLY_"),
			strings.HasPrefix(name, "CLOUD_RUN_"), strings.HasPrefix(name, "K_"),
			strings.HasPrefix(name, "GCE_"), strings.HasPrefix(name, "GOOGLE_"),
			strings.HasPrefix(name, "GIT_"), name == "PORT", name == "HOME":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// record is one line of the runner log.
type record map[string]any

func (r record) str(key string) string { s, _ := r[key].(string); return s }

// logSink collects the subprocess's stderr as JSON lines.
type logSink struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	partial []byte
	records []record
	changed chan struct{}
}

func newLogSink() *logSink { return &logSink{changed: make(chan struct{})} }

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	s.partial = append(s.partial, p...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		line := s.partial[:i]
		s.partial = s.partial[i+1:]
		var r record
		if json.Unmarshal(line, &r) != nil {
			r = record{"raw": string(line)}
		}
		s.records = append(s.records, r)
	}
	close(s.changed)
	s.changed = make(chan struct{})
	return len(p), nil
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func (s *logSink) all() []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]record(nil), s.records...)
}

// waitFor blocks until a record whose message contains text was logged.
func (s *logSink) waitFor(ctx context.Context, text string) (record, error) {
	for {
		s.mu.Lock()
		ch := s.changed
		for _, r := range s.records {
			if strings.Contains(r.str("message"), text) {
				s.mu.Unlock()
				return r, nil
			}
		}
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("no log line containing %q: %w", text, ctx.Err())
		}
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
