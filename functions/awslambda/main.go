package main

import (
	"log/slog"
	"os"
	"strings"
	"syscall"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/mayfly-dev/mayfly/terraform/contract"
)

// version is set with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ensureHome()
	env := environ()
	log := newLogger(env[contract.LogLevel])
	f := newFunction(env, log)
	lambda.Start(f.Handle)
}

// environ is the process environment as a map.
func environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// newLogger returns the runner log: JSON on stderr, which Lambda ships to
// CloudWatch. level is MAYFLY_LOG_LEVEL (info when unset or unknown).
func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// ensureHome points HOME at /tmp when it is unset or not writable (Lambda's
// file system is read-only outside /tmp), so that git, ansible and terraform
// started by the runner can write their dot-files.
func ensureHome() {
	if home := os.Getenv("HOME"); home != "" && syscall.Access(home, 2 /* W_OK */) == nil {
		return
	}
	_ = os.Setenv("HOME", os.TempDir())
}
