package main

import (
	"io"
	"log/slog"
	"strings"
)

// newLogger returns the runner log: JSON for Cloud Logging unless format is
// "text"; level is debug, info (default), warn or error.
func newLogger(w io.Writer, format, level string) *slog.Logger {
	lv := slog.LevelInfo
	if level != "" {
		_ = lv.UnmarshalText([]byte(level))
	}
	if strings.EqualFold(format, "text") {
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv}))
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv, ReplaceAttr: cloudLogging}))
}

// cloudLogging renames slog's keys to those Cloud Logging reads from a JSON
// line: "severity" (DEBUG, INFO, WARNING, ERROR) and "message".
func cloudLogging(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.LevelKey:
		lv, _ := a.Value.Any().(slog.Level)
		return slog.String("severity", severity(lv))
	case slog.MessageKey:
		a.Key = "message"
	}
	return a
}

func severity(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	case l >= slog.LevelInfo:
		return "INFO"
	}
	return "DEBUG"
}
