package executor_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/executor"
	"github.com/mayfly-dev/mayfly/runner/job"
	"github.com/mayfly-dev/mayfly/runner/oneoff"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// needTool skips the test when a tool is missing, saying how to install it.
func needTool(t *testing.T, name, install string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed: %s", name, install)
	}
}

var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

// plain removes terminal colours.
func plain(s string) string { return ansiRE.ReplaceAllString(s, "") }

// harness is an in-memory Semaphore server with a runner, and executor
// options whose tmp_path is private to the test.
type harness struct {
	t      *testing.T
	srv    *semaphoretest.Server
	runner int
	client *api.Client
	dir    string
	opts   executor.Options
	repos  int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	srv := semaphoretest.New(semaphoretest.Options{Variant: semaphoretest.V2026})
	t.Cleanup(srv.Close)
	id, token := srv.AddRunner(semaphoretest.RunnerSpec{Name: "test", Active: true})
	client, err := api.New(api.Options{ServerURL: srv.URL(), Token: token})
	require.NoError(t, err)
	dir := t.TempDir()
	return &harness{
		t: t, srv: srv, runner: id, client: client, dir: dir,
		opts: executor.Options{TmpPath: filepath.Join(dir, "tmp"), WebHost: srv.URL(), Grace: 5 * time.Second},
	}
}

// repo creates a git repository with files and returns its path.
func (h *harness) repo(files map[string]string) string {
	h.t.Helper()
	h.repos++
	path := filepath.Join(h.dir, "repos", "r"+strconv.Itoa(h.repos))
	_, err := fixture.GitRepo(path, files)
	require.NoError(h.t, err)
	return path
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// start runs a loop bound to task id in the background.
func (h *harness) start(id int) <-chan oneoff.Result {
	done := make(chan oneoff.Result, 1)
	ctx := ctxFor(h.t)
	go func() {
		res, err := oneoff.Run(ctx, oneoff.Options{
			Client:       h.client,
			Executor:     executor.New(h.opts),
			PollInterval: 50 * time.Millisecond,
			TaskID:       id,
			WaitTimeout:  time.Minute,
		})
		if err != nil || len(res) != 1 {
			done <- oneoff.Result{TaskID: id, Status: "loop failed: " + api.Status(errString(err))}
			return
		}
		done <- res[0]
	}()
	return done
}

func errString(err error) string {
	if err == nil {
		return "no result"
	}
	return err.Error()
}

// run queues a task, runs it to the end and returns its final status and log.
func (h *harness) run(data api.JobData, keys ...api.AccessKey) (int, api.Status, string) {
	h.t.Helper()
	id := h.srv.AddTask(h.runner, data, keys...)
	res := <-h.start(id)
	return id, res.Status, h.log(id)
}

// log is the task's delivered log, one line per record.
func (h *harness) log(id int) string { return strings.Join(h.srv.Messages(id), "\n") }

// waitLog waits until the task's log contains s.
func (h *harness) waitLog(id int, s string) {
	h.t.Helper()
	_, err := h.srv.WaitTask(ctxFor(h.t), id, func(ti semaphoretest.TaskInfo) bool {
		for _, r := range ti.Log {
			if strings.Contains(plain(r.Message), s) {
				return true
			}
		}
		return ti.Status.Finished()
	})
	require.NoError(h.t, err)
	require.Contains(h.t, plain(h.log(id)), s)
}

// waitStatus waits until the task has status st (or finished).
func (h *harness) waitStatus(id int, st api.Status) {
	h.t.Helper()
	info, err := h.srv.WaitTask(ctxFor(h.t), id, func(ti semaphoretest.TaskInfo) bool {
		return ti.Status == st || ti.Status.Finished()
	})
	require.NoError(h.t, err)
	require.Equal(h.t, st, info.Status, "log:\n%s", h.log(id))
}

// fakeTask is an executor.Task that records everything, for tests that call
// Execute directly.
type fakeTask struct {
	mu       sync.Mutex
	lines    []string
	secrets  []string
	statuses []api.Status
	commit   *api.Commit
	times    executor.Times
	killed   chan struct{}
	confirm  chan bool
}

func newFakeTask() *fakeTask {
	return &fakeTask{killed: make(chan struct{}), confirm: make(chan bool, 1)}
}

var _ executor.Task = (*fakeTask)(nil)

func (f *fakeTask) Output() io.WriteCloser { return &fakeOutput{f: f} }
func (f *fakeTask) Logf(format string, args ...any) {
	f.add(strings.TrimSuffix(fmt.Sprintf(format, args...), "\n"))
}
func (f *fakeTask) AddSecret(s string) { f.mu.Lock(); f.secrets = append(f.secrets, s); f.mu.Unlock() }
func (f *fakeTask) SetStatus(s api.Status) {
	f.mu.Lock()
	f.statuses = append(f.statuses, s)
	f.mu.Unlock()
}
func (f *fakeTask) SetCommit(c api.Commit)  { f.mu.Lock(); f.commit = &c; f.mu.Unlock() }
func (f *fakeTask) Killed() <-chan struct{} { return f.killed }
func (f *fakeTask) Times() executor.Times   { return f.times }
func (f *fakeTask) AwaitConfirmation(ctx context.Context) (bool, error) {
	select {
	case ok := <-f.confirm:
		return ok, nil
	case <-ctx.Done():
		return false, context.Cause(ctx)
	}
}

func (f *fakeTask) add(line string) { f.mu.Lock(); f.lines = append(f.lines, line); f.mu.Unlock() }

// log is everything written so far.
func (f *fakeTask) log() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.lines, "\n")
}

type fakeOutput struct {
	f   *fakeTask
	buf []byte
}

func (o *fakeOutput) Write(p []byte) (int, error) {
	o.buf = append(o.buf, p...)
	for {
		i := strings.IndexByte(string(o.buf), '\n')
		if i < 0 {
			return len(p), nil
		}
		o.f.add(string(o.buf[:i]))
		o.buf = o.buf[i+1:]
	}
}

func (o *fakeOutput) Close() error {
	if len(o.buf) > 0 {
		o.f.add(string(o.buf))
		o.buf = nil
	}
	return nil
}

// execute runs data directly with a fakeTask.
func (h *harness) execute(ctx context.Context, data api.JobData, keys ...api.AccessKey) (*fakeTask, error) {
	h.t.Helper()
	m := map[string]api.AccessKey{}
	for _, k := range keys {
		m[strconv.Itoa(k.ID)] = k
	}
	if data.Task.ID == 0 {
		data.Task.ID = 1
	}
	j, err := job.New(data, m)
	require.NoError(h.t, err)
	ft := newFakeTask()
	return ft, executor.New(h.opts).Execute(ctx, j, ft)
}

// noLeftovers checks that nothing of a finished task is left in tmp_path
// but the cached working copies, their lock and hash files, and HOME.
func (h *harness) noLeftovers() {
	h.t.Helper()
	entries, err := os.ReadDir(h.opts.TmpPath)
	require.NoError(h.t, err)
	for _, e := range entries {
		require.False(h.t, strings.HasPrefix(e.Name(), "task_"), "private task dir %s left behind", e.Name())
		require.NotContains(h.t, e.Name(), ".sock")
	}
	_ = filepath.WalkDir(h.opts.TmpPath, func(path string, d os.DirEntry, err error) error {
		require.NoError(h.t, err)
		require.False(h.t, d.Type()&os.ModeSocket != 0, "socket %s left behind", path)
		require.NotContains(h.t, filepath.Base(path), "_task_", "private working copy %s left behind", path)
		return nil
	})
}

type executorApp = executor.App
