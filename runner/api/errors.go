package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode"
)

// Operation names used in errors.
const (
	opRegister   = "register"
	opPoll       = "poll"
	opProgress   = "progress"
	opUnregister = "unregister"
)

var (
	// ErrUnauthorized matches an *Error with status 401 or 404 on an
	// authenticated call (poll, progress, unregister): the runner token is
	// missing, wrong or unknown to the server.
	ErrUnauthorized = errors.New("api: runner token rejected")
	// ErrRegistrationRejected matches a registration answered 400, 401 or 403.
	ErrRegistrationRejected = errors.New("api: registration token rejected")
	// ErrUnreachable matches transport failures: dial refused, DNS, TLS
	// handshake, connection reset, per-request timeout.
	ErrUnreachable = errors.New("api: server unreachable")
)

// Error is a non-success HTTP answer from the server.
type Error struct {
	Op         string // register, poll, progress, unregister
	StatusCode int
	// Message is the server's {"error":"..."} text, or a trimmed snippet of
	// the body when it is not such an object.
	Message string
}

// Error implements error, e.g. "api: poll: 401 Invalid token".
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return "api: " + e.Op + ": " + strconv.Itoa(e.StatusCode) + " " + msg
}

// Is makes errors.Is(err, ErrUnauthorized) and
// errors.Is(err, ErrRegistrationRejected) work on *Error values.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Op != opRegister && (e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusNotFound)
	case ErrRegistrationRejected:
		return e.Op == opRegister && (e.StatusCode == http.StatusBadRequest ||
			e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden)
	}
	return false
}

// transportError wraps a transport failure. Only ErrUnreachable is in its
// chain: a per-request timeout must not look like the caller's own
// context.DeadlineExceeded.
type transportError struct {
	op    string
	cause error
}

func (e *transportError) Error() string {
	return "api: " + e.op + ": server unreachable: " + e.cause.Error()
}

func (e *transportError) Unwrap() error { return ErrUnreachable }

// Retryable reports whether a call that failed with err may succeed when
// repeated: transport failures, 5xx, 429 and 408. Rejected tokens, other
// 4xx, decode errors and the caller's own context errors are not.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnreachable) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests ||
			e.StatusCode == http.StatusRequestTimeout
	}
	return false
}

const maxSnippet = 200

// newError builds an *Error from a non-success answer.
func newError(op string, status int, body []byte) *Error {
	return &Error{Op: op, StatusCode: status, Message: errorMessage(body)}
}

// errorMessage extracts {"error":"..."} or returns a printable, trimmed
// snippet of body.
func errorMessage(body []byte) string {
	var obj struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &obj) == nil && obj.Error != "" {
		return snippet(obj.Error)
	}
	return snippet(string(body))
}

func snippet(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > maxSnippet {
		s = string(r[:maxSnippet]) + "…"
	}
	return s
}
