package local

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
	"github.com/mayfly-dev/mayfly/runner/webhook"
)

// The test binary doubles as a fake `mayfly run`: with LOCAL_TEST_CHILD=1
// it behaves as FAKE_MODE_<task id> says (see fakeChild).
func TestMain(m *testing.M) {
	if os.Getenv("LOCAL_TEST_CHILD") == "1" {
		fakeChild()
		return
	}
	os.Exit(m.Run())
}

// fakeChild modes:
//
//	exit:N   print a line to stdout and stderr, exit N
//	wait:N   create ready-<id>, wait for SIGTERM, exit N
//	ignore   ignore SIGTERM, create ready-<id>, block until killed
//	orphan   start `sleep 1000` in the session, write its pid to orphan-<id>,
//	         create ready-<id>, block until killed
//	panic    panic (exit 2)
//	json     write a JSON log line to stderr, exit 0
func fakeChild() {
	args := os.Args[1:]
	dir := os.Getenv("FAKE_DIR")
	id := ""
	for i, a := range args {
		if a == "--task-id" && i+1 < len(args) {
			id = args[i+1]
		}
	}
	_ = os.WriteFile(filepath.Join(dir, "args-"+id), []byte(strings.Join(args, " ")), 0o600)
	ready := func() { _ = os.WriteFile(filepath.Join(dir, "ready-"+id), nil, 0o600) }
	mode := os.Getenv("FAKE_MODE_" + id)
	kind, arg, _ := strings.Cut(mode, ":")
	code, _ := strconv.Atoi(arg)
	switch kind {
	case "exit":
		fmt.Println("fake runner for task", id)
		fmt.Fprintln(os.Stderr, "level=ERROR msg=\"fatal: something broke\"")
		os.Exit(code)
	case "wait":
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM)
		ready()
		<-ch
		fmt.Fprintln(os.Stderr, "got SIGTERM")
		os.Exit(code)
	case "ignore":
		signal.Ignore(syscall.SIGTERM)
		ready()
		select {}
	case "orphan":
		cmd := exec.Command("sleep", "1000")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // like a task's process group
		if err := cmd.Start(); err != nil {
			os.Exit(9)
		}
		_ = os.WriteFile(filepath.Join(dir, "orphan-"+id), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
		fmt.Fprintln(os.Stderr, "task is running")
		ready()
		select {}
	case "panic":
		panic("boom")
	case "json":
		fmt.Fprintln(os.Stderr, `{"level":"INFO","msg":"from child","n":1}`)
		fmt.Fprintln(os.Stderr, "plain text")
		os.Exit(0)
	}
	os.Exit(8)
}

// fakeReporter records error reports; the first failN Progress calls fail
// with failErr.
type fakeReporter struct {
	mu      sync.Mutex
	calls   int
	reports []api.JobProgress
	failN   int
	failErr error
	state   api.RunnerState
	polls   int
}

func (f *fakeReporter) Poll(context.Context) (*api.RunnerState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls++
	s := f.state
	return &s, nil
}

func (f *fakeReporter) Progress(_ context.Context, req api.ProgressRequest) (*api.ProgressResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.failN {
		return nil, f.failErr
	}
	f.reports = append(f.reports, req.Jobs...)
	return &api.ProgressResponse{}, nil
}

func (f *fakeReporter) get() []api.JobProgress {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]api.JobProgress(nil), f.reports...)
}

// byTask returns the report for id, if any.
func (f *fakeReporter) byTask(id int) (api.JobProgress, bool) {
	for _, j := range f.get() {
		if j.ID == id {
			return j, true
		}
	}
	return api.JobProgress{}, false
}

// fakeObserver counts events.
type fakeObserver struct {
	mu      sync.Mutex
	events  []string
	started int
}

func (o *fakeObserver) add(e string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, e)
}
func (o *fakeObserver) Launch(r string) { o.add("launch/" + r) }
func (o *fakeObserver) ProcessStarted(time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.started++
}
func (o *fakeObserver) Exit(r string) { o.add("exit/" + r) }
func (o *fakeObserver) Report(ok bool) {
	o.add(fmt.Sprintf("report/%v", ok))
}

func (o *fakeObserver) count(e string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, v := range o.events {
		if v == e {
			n++
		}
	}
	return n
}

// testbed is a launcher running fake children.
type testbed struct {
	l    *Launcher
	dir  string
	rep  *fakeReporter
	obs  *fakeObserver
	logs *fixture.SyncBuffer
}

func newFixture(t *testing.T, modes map[int]string, tweak func(*Options)) *testbed {
	t.Helper()
	f := &testbed{dir: t.TempDir(), rep: &fakeReporter{}, obs: &fakeObserver{}, logs: &fixture.SyncBuffer{}}
	// GORACE: a race-enabled binary otherwise sleeps 1s before exiting.
	env := []string{"LOCAL_TEST_CHILD=1", "FAKE_DIR=" + f.dir, "GORACE=atexit_sleep_ms=0"}
	for id, mode := range modes {
		env = append(env, fmt.Sprintf("FAKE_MODE_%d=%s", id, mode))
	}
	o := Options{
		Executable:    os.Args[0],
		ConfigPath:    "/etc/mayfly/test.json",
		Env:           env,
		MaxConcurrent: 4,
		FinishGrace:   10 * time.Millisecond,
		QueueSize:     4,
		Reporter:      f.rep,
		Observer:      f.obs,
		Logger:        slog.New(slog.NewJSONHandler(f.logs, nil)),
	}
	if tweak != nil {
		tweak(&o)
	}
	l, err := New(o)
	require.NoError(t, err)
	f.l = l
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = l.Shutdown(ctx)
	})
	return f
}

func (f *testbed) launch(t *testing.T, id int) error {
	t.Helper()
	return f.l.Launch(context.Background(), webhook.Request{TaskID: id, ReceivedAt: time.Now()})
}

// waitFor polls cond; the timeout is a safety net, never an assertion on speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *testbed) waitFile(t *testing.T, name string) {
	t.Helper()
	waitFor(t, name, func() bool {
		_, err := os.Stat(filepath.Join(f.dir, name))
		return err == nil
	})
}

func (f *testbed) waitIdle(t *testing.T) {
	t.Helper()
	waitFor(t, "no runner left", func() bool {
		running, queued := f.l.Stats()
		return running == 0 && queued == 0
	})
	// The supervisor handles the exit after freeing the slot: wait for it too.
	f.l.bg.Wait()
}

func (f *testbed) pid(t *testing.T, id int) int {
	t.Helper()
	f.l.mu.Lock()
	defer f.l.mu.Unlock()
	c := f.l.running[id]
	require.NotNil(t, c, "task %d is not running", id)
	return c.pid
}

func messages(j api.JobProgress) string {
	var b strings.Builder
	for _, r := range j.LogRecords {
		b.WriteString(r.Message + "\n")
	}
	return b.String()
}
