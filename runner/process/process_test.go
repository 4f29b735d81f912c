package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunExit(t *testing.T) {
	tests := []struct {
		name   string
		script string
		code   int
		signal syscall.Signal
		msg    string
	}{
		{name: "success", script: "exit 0"},
		{name: "exit code", script: "exit 2", code: 2, msg: "exit code 2"},
		{name: "signal", script: "kill -TERM $$", code: -1, signal: syscall.SIGTERM, msg: "killed by signal terminated"},
		{name: "sigkill", script: "kill -KILL $$", code: -1, signal: syscall.SIGKILL, msg: "killed by signal killed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Run(t.Context(), bash(tt.script))
			if tt.msg == "" {
				require.NoError(t, err)
				return
			}
			var ee *ExitError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, tt.code, ee.Code)
			assert.Equal(t, tt.signal, ee.Signal)
			assert.Equal(t, tt.msg, ee.Error())
			assert.Equal(t, "process: bash: "+tt.msg, err.Error())
			var se *StoppedError
			assert.False(t, errors.As(err, &se), "not stopped")
		})
	}
}

func TestRunStartFailure(t *testing.T) {
	err := Run(t.Context(), Cmd{Path: "/nonexistent/mayfly-test"})
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "process: mayfly-test: start:")
	var ee *ExitError
	assert.False(t, errors.As(err, &ee))
}

func TestRunOutputAndEnv(t *testing.T) {
	var stdout, stderr syncBuffer
	dir := t.TempDir()
	c := bash(`echo "out $FOO $PWD"; echo err >&2; cat`)
	c.Env = []string{"FOO=bar", "PATH=" + os.Getenv("PATH")}
	c.Dir = dir
	c.Stdin = strings.NewReader("from stdin\n")
	c.Stdout, c.Stderr = &stdout, &stderr
	require.NoError(t, Run(t.Context(), c))
	assert.Equal(t, "out bar "+dir+"\nfrom stdin\n", stdout.String())
	assert.Equal(t, "err\n", stderr.String())
}

func TestRunSameWriterForBothStreams(t *testing.T) {
	// One writer for both streams is written by one goroutine (race detector).
	var out syncBuffer
	c := bash(`for i in $(seq 100); do echo o$i; echo e$i >&2; done`)
	c.Stdout, c.Stderr = &out, &out
	require.NoError(t, Run(t.Context(), c))
	assert.Equal(t, 200, strings.Count(out.String(), "\n"))
}

func TestRunKeepsTrailingOutput(t *testing.T) {
	// B14: the last lines written before exit must not be lost.
	for i := range 20 {
		var out syncBuffer
		c := Cmd{Path: "seq", Args: []string{"10000"}, Stdout: &out}
		require.NoError(t, Run(t.Context(), c))
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		require.Len(t, lines, 10000, "run %d", i)
		require.Equal(t, "10000", lines[len(lines)-1])
	}
}

func TestRunCancelKillsGrandchildren(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pids")
	out := newSyncBuffer("ready")
	c := bash(fmt.Sprintf(`sleep 300 & echo $! >> %[1]s; sleep 300 & echo $! >> %[1]s; echo ready; wait`, pidFile))
	c.Stdout = out // the sleeps inherit the pipe: Run returns once they are dead
	c.Grace = 200 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, c) }()
	<-out.seen
	cancel()
	err := <-errc

	var se *StoppedError
	require.ErrorAs(t, err, &se)
	assert.ErrorIs(t, err, context.Canceled)
	var ee *ExitError
	require.ErrorAs(t, err, &ee, "a stopped run still says how the child ended")
	assert.Equal(t, syscall.SIGTERM, ee.Signal)
	data, rerr := os.ReadFile(pidFile)
	require.NoError(t, rerr)
	grandchildren := pids(t, string(data))
	require.Len(t, grandchildren, 2)
	for _, pid := range grandchildren {
		assert.False(t, running(t, pid), "grandchild %d survived", pid)
	}
}

func TestRunTrappedTermGetsTheGrace(t *testing.T) {
	out := newSyncBuffer("ready")
	c := bash(`trap 'echo cleaned up; exit 7' TERM; echo ready; while :; do sleep 0.05; done`)
	c.Stdout = out
	c.Grace = time.Hour // the child must exit on its own
	ctx, cancel := context.WithCancelCause(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, c) }()
	<-out.seen
	stop := errors.New("stopped by user")
	cancel(stop)
	err := <-errc

	assert.ErrorIs(t, err, stop)
	var ee *ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 7, ee.Code)
	assert.Contains(t, out.String(), "cleaned up")
	assert.Equal(t, "process: bash: stopped: stopped by user (exit code 7)", err.Error())
}

func TestRunIgnoredTermGetsKilledAfterGrace(t *testing.T) {
	out := newSyncBuffer("ready")
	c := bash(`trap '' TERM; echo ready; while :; do sleep 0.05; done`)
	c.Stdout = out
	c.Grace = 200 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, c) }()
	<-out.seen
	cancel()
	err := <-errc

	assert.ErrorIs(t, err, context.Canceled)
	var ee *ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, syscall.SIGKILL, ee.Signal)
}

func TestRunErrKillSkipsTheGrace(t *testing.T) {
	out := newSyncBuffer("ready")
	c := bash(`trap '' TERM; echo ready; while :; do sleep 0.05; done`)
	c.Stdout = out
	c.Grace = time.Hour // never reached: the test would time out
	ctx, cancel := context.WithCancelCause(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, c) }()
	<-out.seen
	cancel(fmt.Errorf("force stop: %w", ErrKill))
	err := <-errc

	assert.ErrorIs(t, err, ErrKill)
	var ee *ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, syscall.SIGKILL, ee.Signal)
}

func TestRunForceKillEscalatesAStop(t *testing.T) {
	out := newSyncBuffer("ready")
	force := make(chan struct{})
	c := bash(`trap '' TERM; echo ready; while :; do sleep 0.05; done`)
	c.Stdout, c.Grace, c.ForceKill = out, time.Hour, force
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, c) }()
	<-out.seen
	cancel()
	close(force)
	err := <-errc

	var ee *ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, syscall.SIGKILL, ee.Signal)
}

func TestRunBackgroundChildHoldingStdout(t *testing.T) {
	// The leader exits at once; its background child keeps stdout open.
	var out syncBuffer
	c := bash(`sleep 300 & echo $!`)
	c.Stdout = &out
	require.NoError(t, Run(t.Context(), c))
	p := pids(t, out.String())
	require.Len(t, p, 1)
	assert.False(t, running(t, p[0]), "background child survived")
}

func TestRunEscapedHolderCannotHang(t *testing.T) {
	// A process that left the group (setsid) cannot be killed by Run; its
	// copy of stdout must not make Run wait for it.
	var out syncBuffer
	pidFile := filepath.Join(t.TempDir(), "pid")
	c := bash(fmt.Sprintf(`setsid bash -c 'echo $$ > %[1]s; exec sleep 300' &
		while [ ! -s %[1]s ]; do sleep 0.01; done`, pidFile))
	c.Stdout = &out
	c.drain = 100 * time.Millisecond
	require.NoError(t, Run(t.Context(), c))
	data, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	p := pids(t, string(data))
	require.Len(t, p, 1)
	t.Cleanup(func() { _ = syscall.Kill(p[0], syscall.SIGKILL) })
	assert.True(t, running(t, p[0]), "setsid escaped the group: Run cannot kill it")
}

func TestRunBlockingStdinCannotHang(t *testing.T) {
	r, w := io.Pipe() // never written: the stdin copy never ends by itself
	defer w.Close()
	c := Cmd{Path: "true", Stdin: r, drain: 100 * time.Millisecond}
	require.NoError(t, Run(t.Context(), c))
}

func TestRunCancelledBeforeStart(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "started")
	ctx, cancel := context.WithCancelCause(t.Context())
	cause := errors.New("stop before start")
	cancel(cause)
	for name, run := range map[string]func(context.Context, Cmd) error{
		"Run":    Run,
		"RunPTY": func(ctx context.Context, c Cmd) error { return RunPTY(ctx, c, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			err := run(ctx, Cmd{Path: "touch", Args: []string{marker}})
			assert.ErrorIs(t, err, cause)
			var se *StoppedError
			require.ErrorAs(t, err, &se)
			assert.Nil(t, se.Exit)
			assert.NoFileExists(t, marker)
		})
	}
}

func TestRunCancelAfterSuccessIsStopped(t *testing.T) {
	// B12: a child that exits 0 after being asked to stop is still "stopped".
	out := newSyncBuffer("ready")
	c := bash(`trap 'exit 0' TERM; echo ready; while :; do sleep 0.05; done`)
	c.Stdout, c.Grace = out, time.Hour
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, c) }()
	<-out.seen
	cancel()
	err := <-errc
	var se *StoppedError
	require.ErrorAs(t, err, &se)
	assert.Nil(t, se.Exit)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestRunOutputWriterError(t *testing.T) {
	broken := errors.New("disk full")
	c := Cmd{Path: "seq", Args: []string{"100000"}, Stdout: failingWriter{broken}}
	err := Run(t.Context(), c) // the child is not blocked by the failing writer
	assert.ErrorIs(t, err, broken)
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

func TestRunManyConcurrent(t *testing.T) {
	errc := make(chan error, 8)
	for i := range 8 {
		go func() {
			var out syncBuffer
			c := bash("echo " + strconv.Itoa(i) + "; exit " + strconv.Itoa(i%2))
			c.Stdout = &out
			err := Run(t.Context(), c)
			if (err == nil) != (i%2 == 0) || strings.TrimSpace(out.String()) != strconv.Itoa(i) {
				errc <- fmt.Errorf("run %d: err=%v out=%q", i, err, out.String())
				return
			}
			errc <- nil
		}()
	}
	for range 8 {
		assert.NoError(t, <-errc)
	}
}
