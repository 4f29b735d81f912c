package api

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Task logs full of <, > and & must not grow sixfold on the wire.
func TestEncodeProgressKeepsHTMLCharacters(t *testing.T) {
	body, err := encodeProgress(ProgressRequest{Jobs: []JobProgress{{ID: 1, Status: StatusRunning,
		LogRecords: []LogRecord{{Message: "ok: [host] => <a & b>"}}}}})
	require.NoError(t, err)
	assert.Contains(t, string(body), `"message":"ok: [host] => <a & b>"`)
	assert.Contains(t, string(body), `"LogRecords"`)
}
