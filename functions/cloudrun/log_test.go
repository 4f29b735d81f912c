package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Log lines carry Cloud Logging's severity and message keys.
func TestLoggerCloudLoggingKeys(t *testing.T) {
	var buf bytes.Buffer
	log := newLogger(&buf, "json", "debug")
	log.Debug("d")
	log.Info("i", "task", 7)
	log.Warn("w")
	log.Error("e")
	log.WithGroup("g").Info("grouped", "level", "kept")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 5)
	want := []struct{ severity, message string }{
		{"DEBUG", "d"}, {"INFO", "i"}, {"WARNING", "w"}, {"ERROR", "e"}, {"INFO", "grouped"},
	}
	for i, line := range lines {
		var r map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &r), line)
		assert.Equal(t, want[i].severity, r["severity"], line)
		assert.Equal(t, want[i].message, r["message"], line)
		assert.NotContains(t, r, "level")
		assert.NotContains(t, r, "msg")
		assert.Contains(t, r, "time")
	}
	assert.Contains(t, lines[1], `"task":7`)
	assert.Contains(t, lines[4], `"g":{"level":"kept"}`)
}

// The level filters; text is available for local use.
func TestLoggerLevelAndText(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf, "", "warn").Info("hidden")
	assert.Empty(t, buf.String())

	newLogger(&buf, "text", "").Info("plain")
	assert.Contains(t, buf.String(), "level=INFO msg=plain")
}
