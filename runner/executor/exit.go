package executor

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/mayfly-dev/mayfly/runner/process"
)

// cmdError is the failure of a command the task ran.
type cmdError struct {
	name string
	err  error
}

func (e *cmdError) Error() string { return e.err.Error() }
func (e *cmdError) Unwrap() error { return e.err }

// wrapCmd marks err as the failure of the command name (nil stays nil).
func wrapCmd(name string, err error) error {
	if err == nil {
		return nil
	}
	return &cmdError{name: name, err: err}
}

// exitLine is the final log line of a failed task that names how its last
// command ended, or "" when the failure was not a command's.
func exitLine(err error) string {
	var ce *cmdError
	if !errors.As(err, &ce) {
		return ""
	}
	var se *process.StoppedError
	if errors.As(err, &se) {
		if se.Exit == nil {
			return fmt.Sprintf("mayfly: %s was not started: the task was stopped", ce.name)
		}
		return fmt.Sprintf("mayfly: %s stopped (%s)", ce.name, describe(se.Exit))
	}
	var ee *process.ExitError
	if errors.As(err, &ee) {
		return fmt.Sprintf("mayfly: %s %s", ce.name, describe(ee))
	}
	return fmt.Sprintf("mayfly: %s failed: %v", ce.name, err)
}

func describe(ee *process.ExitError) string {
	if ee.Signal != 0 {
		return "was killed by signal " + unix.SignalName(ee.Signal)
	}
	return fmt.Sprintf("exited with code %d", ee.Code)
}
