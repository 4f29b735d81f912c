package awslambda_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/webhook"
)

func call(t *testing.T, path, body string) webhook.Call {
	t.Helper()
	u, err := url.Parse(path)
	require.NoError(t, err)
	return webhook.Call{Method: "POST", URL: u, Body: strings.NewReader(body)}
}
