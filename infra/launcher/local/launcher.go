package local

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/mayfly-dev/mayfly/runner/webhook"
)

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
