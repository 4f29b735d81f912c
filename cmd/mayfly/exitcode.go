package main

import (
	"errors"
	"fmt"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/oneoff"
)

// Exit codes. Each failure class has its own so that scripts and supervisors
// can tell them apart.
const (
	exitOK          = 0
	exitFailed      = 1 // the task did not succeed, or an unclassified error
	exitUsage       = 2 // bad flags or arguments
	exitConfig      = 3 // the config file or environment is invalid
	exitRejected    = 4 // the server rejected the runner or registration token
	exitUnreachable = 5 // the server could not be reached
	exitNotListed   = 6 // `run`: the task was not offered in time
	exitInterrupted = 7 // `run`: stopped by a signal before its task was taken
	exitUnreported  = 8 // `run`: gave up (server kept refusing) before its task's final status was reported
)

// exitError carries an exit code with the message printed for it.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, format string, args ...any) error {
	return &exitError{code: code, err: fmt.Errorf(format, args...)}
}

// classify maps an error to an exit code and a message a user can act on.
func classify(err error) (int, string) {
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return ee.code, ee.Error()
	case errors.Is(err, api.ErrUnauthorized):
		return exitRejected, fmt.Sprintf("%v\nThe server does not accept this runner token: register again (mayfly register) or check runner.token / runner.token_file.", err)
	case errors.Is(err, api.ErrRegistrationRejected):
		return exitRejected, fmt.Sprintf("%v\nCheck the registration token (runners.registration_token on the server, or a one-time smrs_ token from the UI).", err)
	case errors.Is(err, api.ErrUnreachable):
		return exitUnreachable, fmt.Sprintf("%v\nCheck web_host, the network, and the server's TLS certificate (runner.connection.server_ca_cert_file).", err)
	case errors.Is(err, oneoff.ErrTaskNotListed):
		return exitNotListed, err.Error()
	}
	return exitFailed, err.Error()
}
