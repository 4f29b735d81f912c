package executor

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/mayfly-dev/mayfly/runner/job"
)

// App is a runner config "apps" entry (path and arguments of an app).
type App = job.App

// Host-key policies for git over ssh (Options.SSHStrictHostKeyChecking).
const (
	HostKeyAcceptNew = "accept-new"
	HostKeyYes       = "yes"
	HostKeyNo        = "no"
)

// Options configure an Executor. The zero value of every field but TmpPath
// is usable; the CLI fills them from the runner config.
type Options struct {
	// TmpPath is Semaphore's tmp_path: working copies live below it.
	TmpPath string
	// WebHost is the server URL, used for task links in task details.
	WebHost string
	// Grace is the SIGTERM -> SIGKILL delay when a task is stopped.
	Grace time.Duration
	// Logger is the runner log (never the task log).
	Logger *slog.Logger

	// EnvVars is the config's env_vars: set for every app and git.
	EnvVars map[string]string
	// ForwardedEnvVars is the config's forwarded_env_vars: runner variables
	// passed on when set, in addition to the built-in list (proxies,
	// certificates, locale, TZ, TMPDIR …).
	ForwardedEnvVars []string
	// Apps is the config's apps: apps.<app>.path replaces an app's command,
	// apps.<app>.args its interpreter arguments.
	Apps map[string]App
	// SSHConfigPath is the config's ssh_config_path, given to git's ssh as -F.
	SSHConfigPath string
	// SSHStrictHostKeyChecking is git's ssh host-key policy: accept-new
	// (default: trust on first use, pinned in SSHKnownHostsFile), yes, or no.
	SSHStrictHostKeyChecking string
	// SSHKnownHostsFile defaults to <TmpPath>/known_hosts.
	SSHKnownHostsFile string

	// Now is time.Now, injectable for tests of the timing line.
	Now func() time.Time
}

// Executor runs tasks. It is safe for concurrent use by several jobs.
type Executor struct {
	opts Options
}

// New returns an Executor.
func New(o Options) *Executor {
	if o.TmpPath == "" {
		o.TmpPath = filepath.Join(os.TempDir(), "semaphore")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.SSHStrictHostKeyChecking == "" {
		o.SSHStrictHostKeyChecking = HostKeyAcceptNew
	}
	if o.SSHKnownHostsFile == "" {
		o.SSHKnownHostsFile = filepath.Join(o.TmpPath, "known_hosts")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Executor{opts: o}
}

// Execute prepares and runs j, writing its output to t. It returns nil when
// the task succeeded. Whatever happens, everything the task created outside
// the cached working copy is removed before Execute returns, and the task
// log ends with the timing line.
func (e *Executor) Execute(ctx context.Context, j *job.Job, t Task) (err error) {
	r := &run{ctx: ctx, e: e, j: j, t: t, clock: newClock(e.opts.Now)}
	defer func() {
		r.cleanup.run()
		if err != nil {
			if line := exitLine(err); line != "" {
				t.Logf("%s", line)
			}
		}
		t.Logf("%s", r.clock.line(t.Times()))
	}()
	return r.execute()
}
