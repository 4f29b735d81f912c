package executor

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/mayfly-dev/mayfly/runner/job"
)

// workingCopy is the cached working copy directory of a template, as the
// 2026 stock runner names it.
func (e *Executor) workingCopy(j *job.Job) string {
	return filepath.Join(e.opts.TmpPath, "project_"+strconv.Itoa(j.Task.ProjectID),
		fmt.Sprintf("repository_%d_template_%d", j.Repository.ID, j.Template.ID))
}

// acquireWorkingCopy returns the directory j runs in. The template's cached
// working copy is used when no other task on this machine holds it (an
// exclusive flock on "<dir>.lock" for the whole task); when it is busy, as
// with several one-off runners of one template in parallel, the task gets a
// private copy "<dir>_task_<id>" that release removes. The stock runner shares
// one working copy between parallel tasks of a template.
func (e *Executor) acquireWorkingCopy(j *job.Job) (dir string, private bool, release func(), err error) {
	cache := e.workingCopy(j)
	if err := os.MkdirAll(filepath.Dir(cache), 0o700); err != nil {
		return "", false, nil, fmt.Errorf("executor: create project dir: %w", err)
	}
	lock, err := os.OpenFile(cache+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", false, nil, fmt.Errorf("executor: lock working copy: %w", err)
	}
	if syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
		return cache, false, func() { _ = lock.Close() }, nil // closing releases the flock
	}
	_ = lock.Close()
	dir = fmt.Sprintf("%s_task_%d", cache, j.ID())
	return dir, true, func() { _ = os.RemoveAll(dir) }, nil
}
