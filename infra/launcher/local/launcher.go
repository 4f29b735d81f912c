package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/webhook"
)

// Reporter is the part of the runner API the launcher uses: Progress to
// report a task it had to give up as `error`, Poll once at shutdown to see
// which tasks are still unfinished. *api.Client implements it.
type Reporter interface {
	Poll(ctx context.Context) (*api.RunnerState, error)
	Progress(ctx context.Context, req api.ProgressRequest) (*api.ProgressResponse, error)
}

var _ Reporter = (*api.Client)(nil)

// Launch results passed to Observer.Launch.
const (
	LaunchStarted   = "started"   // a child process was started at once
	LaunchQueued    = "queued"    // all slots busy: the task waits in the queue
	LaunchDuplicate = "duplicate" // the task is already running or queued
	LaunchBusy      = "busy"      // slots and queue full (503)
	LaunchRefused   = "refused"   // shutting down (503)
	LaunchFailed    = "failed"    // the process could not be started (502, or reported when dequeued)
)

// Exit outcomes passed to Observer.Exit.
const (
	ExitSuccess   = "success"   // exit 0: the task succeeded and was reported
	ExitFailed    = "failed"    // exit 1: the task did not succeed and was reported
	ExitLost      = "lost"      // any other end: the launcher reported error
	ExitFinished  = "finished"  // ended after the server's finish: nothing to report
	ExitAbandoned = "abandoned" // killed at the shutdown deadline: reported error
	ExitDropped   = "dropped"   // a queued task the server finished: nothing to report
	ExitUnstarted = "unstarted" // a queued task given up at shutdown: reported error
)

// Observer receives what the launcher does, e.g. for metrics. Methods are
// called without locks held and may be called concurrently.
type Observer interface {
	Launch(result string)
	// ProcessStarted is the time from the webhook's arrival
	// (Request.ReceivedAt) to the child process having been started,
	// queueing included.
	ProcessStarted(sinceWebhook time.Duration)
	Exit(outcome string)
	// Report is the result of one error report to the server.
	Report(ok bool)
}

type nopObserver struct{}

func (nopObserver) Launch(string)                {}
func (nopObserver) ProcessStarted(time.Duration) {}
func (nopObserver) Exit(string)                  {}
func (nopObserver) Report(bool)                  {}

// Options configure a Launcher.
type Options struct {
	// Executable is the mayfly binary to run; default os.Executable().
	Executable string
	// Args returns the child's arguments for a request; default
	// RunArgs(ConfigPath).
	Args func(r webhook.Request) []string
	// ConfigPath is passed to the child as --config; "" passes --no-config.
	ConfigPath string
	// Env is appended to this process's environment for the child.
	Env []string
	// MaxConcurrent caps running children; default 1.
	MaxConcurrent int
	// QueueSize is how many tasks may wait for a slot; 0 means none.
	QueueSize int
	// Reporter reports tasks the launcher gives up; nil only logs them.
	Reporter Reporter
	// Logger is the serve log; the children's output goes there too.
	Logger *slog.Logger
	// ShutdownTimeout bounds how long Shutdown waits for children; default 30s.
	ShutdownTimeout time.Duration
	// FinishGrace is how long a child may keep running after the server's
	// finish before it gets SIGTERM (it normally exits by itself right after
	// its final report, or stops a task the server stopped); default 5s.
	FinishGrace time.Duration
	// KillAfter is how long a child may run after that SIGTERM before it
	// gets SIGKILL; default 1m.
	KillAfter time.Duration
	// ReportTimeout bounds one error report, retries included; default 30s.
	ReportTimeout time.Duration
	// TailLines is how many trailing stderr lines go into an error report;
	// default 20.
	TailLines int
	// Observer is optional.
	Observer Observer
	// Now is time.Now, injectable.
	Now func() time.Time
}

// Launcher starts and supervises `mayfly run` children. It is safe for
// concurrent use.
type Launcher struct {
	o   Options
	log *slog.Logger
	obs Observer

	mu       sync.Mutex
	closing  bool
	running  map[int]*child
	queue    []webhook.Request
	recheck  []int // tasks whose child ended 0/1 after the shutdown SIGTERM
	bg       sync.WaitGroup
	shutdown chan struct{} // closed when Shutdown has finished
}

var (
	_ webhook.Launcher = (*Launcher)(nil)
	_ webhook.Finisher = (*Launcher)(nil)
)

// busyError is a refusal that the webhook answers with 503.
type busyError struct{ msg string }

func (e *busyError) Error() string        { return e.msg }
func (e *busyError) Is(target error) bool { return target == webhook.ErrBusy }

// ErrShuttingDown is returned by Launch after Shutdown began; it matches
// webhook.ErrBusy.
var ErrShuttingDown error = &busyError{msg: "mayfly serve is shutting down"}

// New returns a Launcher.
func New(o Options) (*Launcher, error) {
	if o.Executable == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("local: find the mayfly executable: %w", err)
		}
		o.Executable = exe
	}
	if o.Args == nil {
		o.Args = RunArgs(o.ConfigPath)
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 1
	}
	o.QueueSize = max(o.QueueSize, 0)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
	if o.FinishGrace <= 0 {
		o.FinishGrace = 5 * time.Second
	}
	if o.KillAfter <= 0 {
		o.KillAfter = time.Minute
	}
	if o.ReportTimeout <= 0 {
		o.ReportTimeout = 30 * time.Second
	}
	if o.TailLines <= 0 {
		o.TailLines = 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	obs := o.Observer
	if obs == nil {
		obs = nopObserver{}
	}
	return &Launcher{o: o, log: o.Logger, obs: obs, running: map[int]*child{}, shutdown: make(chan struct{})}, nil
}

// RunArgs returns the default argument builder:
// run --config F --task-id N --received-at T (--no-config when F is "").
func RunArgs(configPath string) func(webhook.Request) []string {
	return func(r webhook.Request) []string {
		args := []string{"run"}
		if configPath == "" {
			args = append(args, "--no-config")
		} else {
			args = append(args, "--config", configPath)
		}
		args = append(args, "--task-id", strconv.Itoa(r.TaskID))
		if !r.ReceivedAt.IsZero() {
			args = append(args, "--received-at", r.ReceivedAt.UTC().Format(time.RFC3339Nano))
		}
		return args
	}
}

// Stats returns the number of running children and of queued tasks.
func (l *Launcher) Stats() (running, queued int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.running), len(l.queue)
}

// Launch starts a child for r, or queues r when every slot is taken. It
// returns an error matching webhook.ErrBusy when the queue is full or the
// launcher is shutting down.
func (l *Launcher) Launch(_ context.Context, r webhook.Request) error {
	result, err := l.launch(r)
	l.obs.Launch(result)
	return err
}

func (l *Launcher) launch(r webhook.Request) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closing:
		return LaunchRefused, ErrShuttingDown
	case l.running[r.TaskID] != nil || l.queuedLocked(r.TaskID) >= 0:
		return LaunchDuplicate, nil
	case len(l.running) < l.o.MaxConcurrent:
		if err := l.startLocked(r); err != nil {
			return LaunchFailed, err
		}
		return LaunchStarted, nil
	case len(l.queue) < l.o.QueueSize:
		l.queue = append(l.queue, r)
		l.log.Info("all runner slots busy; task queued", "task", r.TaskID,
			"running", len(l.running), "queued", len(l.queue))
		return LaunchQueued, nil
	}
	return LaunchBusy, &busyError{msg: fmt.Sprintf(
		"%d runners are running (mayfly.max_concurrent) and %d tasks are queued (mayfly.queue_size); try again later",
		len(l.running), len(l.queue))}
}

func (l *Launcher) queuedLocked(taskID int) int {
	return slices.IndexFunc(l.queue, func(r webhook.Request) bool { return r.TaskID == taskID })
}

// startQueuedLocked fills free slots from the queue. A task whose child
// cannot be started is reported as error (its webhook was already answered).
func (l *Launcher) startQueuedLocked() {
	for !l.closing && len(l.queue) > 0 && len(l.running) < l.o.MaxConcurrent {
		r := l.queue[0]
		l.queue = slices.Delete(l.queue, 0, 1)
		if err := l.startLocked(r); err != nil {
			l.log.Error("could not start the runner for a queued task", "task", r.TaskID, "err", err)
			l.goLocked(func() {
				l.obs.Launch(LaunchFailed)
				l.report(r.TaskID, "[mayfly] could not start a runner process for this task: "+err.Error())
			})
		}
	}
}

// goLocked runs f in a goroutine that Shutdown waits for. l.mu must be held.
func (l *Launcher) goLocked(f func()) {
	l.bg.Add(1)
	go func() {
		defer l.bg.Done()
		f()
	}()
}

// Finish ends what the launcher holds for taskID after the server finished
// the task: a queued task is dropped; a running child still alive after
// FinishGrace gets SIGTERM, and SIGKILL after KillAfter more. Unknown tasks
// are fine.
func (l *Launcher) Finish(_ context.Context, taskID int) error {
	l.mu.Lock()
	if i := l.queuedLocked(taskID); i >= 0 {
		l.queue = slices.Delete(l.queue, i, i+1)
		l.mu.Unlock()
		l.log.Info("task finished on the server while queued; dropped", "task", taskID)
		l.obs.Exit(ExitDropped)
		return nil
	}
	c := l.running[taskID]
	if c == nil || c.finished {
		l.mu.Unlock()
		return nil
	}
	c.finished = true
	l.mu.Unlock()
	l.log.Debug("task finished on the server; its runner gets a moment to exit by itself", "task", taskID, "pid", c.pid)
	c.stopAfter(l.o.FinishGrace, l.o.KillAfter, func() {
		l.log.Info("task finished on the server but its runner is still running; stopping it (SIGTERM)", "task", taskID, "pid", c.pid)
	})
	return nil
}

// Shutdown stops accepting, gives up the queue, stops the children and
// waits for them up to ShutdownTimeout (or ctx), kills what is left, and
// reports everything it abandoned (see the package doc). It returns an error
// listing the abandoned tasks, nil when every child ended by itself. Calling
// it again waits for the first call.
func (l *Launcher) Shutdown(ctx context.Context) error {
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		<-l.shutdown
		return nil
	}
	l.closing = true
	queued := l.queue
	l.queue = nil
	children := make([]*child, 0, len(l.running))
	for _, c := range l.running {
		c.stopping = true
		children = append(children, c)
	}
	l.mu.Unlock()
	defer close(l.shutdown)

	l.log.Info("shutting down the launcher", "running", len(children), "queued", len(queued), "timeout", l.o.ShutdownTimeout)
	var unstarted []int
	for _, r := range queued {
		unstarted = append(unstarted, r.TaskID)
		l.obs.Exit(ExitUnstarted)
		l.mu.Lock()
		l.goLocked(func() {
			l.report(r.TaskID, "[mayfly] mayfly serve shut down before a runner could start for this task (it was queued: all mayfly.max_concurrent slots were busy)")
		})
		l.mu.Unlock()
	}
	for _, c := range children {
		if err := c.terminate(); err != nil {
			l.log.Debug("SIGTERM", "task", c.req.TaskID, "err", err)
		}
	}

	wait, cancel := context.WithTimeout(ctx, l.o.ShutdownTimeout)
	defer cancel()
	var killed []int
	select {
	case <-allDone(children):
	case <-wait.Done():
		for _, c := range children {
			if c.kill() {
				killed = append(killed, c.req.TaskID)
			}
		}
	}
	for _, c := range children {
		<-c.done // SIGKILL ends a child at once; its supervisor then reports
	}

	l.mu.Lock()
	recheck := l.recheck
	l.recheck = nil
	l.mu.Unlock()
	l.reconcile(recheck)
	l.bg.Wait()

	if len(unstarted) == 0 && len(killed) == 0 {
		l.log.Info("launcher stopped; every runner ended by itself")
		return nil
	}
	l.log.Warn("launcher stopped; abandoned tasks were reported as error",
		"queued_not_started", unstarted, "killed_at_deadline", killed)
	return fmt.Errorf("local: shutdown abandoned %d queued and killed %d running task(s)", len(unstarted), len(killed))
}

// allDone returns a channel closed once every child is done.
func allDone(children []*child) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		for _, c := range children {
			<-c.done
		}
	}()
	return ch
}

// reconcile reports error for each task in ids that the server still shows
// unfinished: their children were stopped at shutdown and ended 0 or 1, yet
// a child stopped before it took its task may not have reported anything.
func (l *Launcher) reconcile(ids []int) {
	if len(ids) == 0 || l.o.Reporter == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.o.ReportTimeout)
	defer cancel()
	state, err := l.o.Reporter.Poll(ctx)
	if err != nil {
		l.log.Warn("shutdown: could not check the stopped tasks with the server", "tasks", ids, "err", err)
		return
	}
	open := map[int]bool{}
	for _, j := range state.NewJobs {
		open[j.Task.ID] = true
	}
	for _, j := range state.CurrentJobs {
		if !j.Status.Finished() {
			open[j.ID] = true
		}
	}
	for _, id := range ids {
		if open[id] {
			l.mu.Lock()
			l.goLocked(func() {
				l.report(id, "[mayfly] mayfly serve shut down before the runner reported this task; it was stopped")
			})
			l.mu.Unlock()
		}
	}
}

// errNoReporter is logged when there is nobody to report to.
var errNoReporter = errors.New("no reporter configured")
