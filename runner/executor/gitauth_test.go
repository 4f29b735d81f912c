package executor_test

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// https credentials reach git through GIT_ASKPASS: the clone and the pull
// authenticate against a real git http-backend with basic auth, and the
// password is in no argv and no log line.
func TestGitHTTPSCredentials(t *testing.T) {
	const user, password = "deploy-bot", "p@ss/w0rd:with%chars"
	argv := logArgv(t, "git")
	h := newHarness(t)
	src := h.repo(map[string]string{"run.sh": "echo over https\n"})
	root := filepath.Join(h.dir, "served")
	require.NoError(t, fixture.BareClone(src, filepath.Join(root, "app.git")))
	gs, err := fixture.NewGitHTTPServer(root, user, password)
	require.NoError(t, err)
	t.Cleanup(gs.Close)

	key := api.AccessKey{ID: 2, Name: "https", Type: api.KeyLoginPassword,
		LoginPassword: api.LoginPassword{Login: user, Password: password}}
	data := fixture.ShellJob("bash", gs.URL+"/app.git", "run.sh")
	data.Repository.SSHKeyID = key.ID
	for range 2 { // clone, then fetch + pull
		_, st, log := h.run(data, key)
		require.Equal(t, api.StatusSuccess, st, log)
		assert.Contains(t, log, "over https")
		assert.NotContains(t, log, password)
		assert.NotContains(t, log, url.QueryEscape(password))
	}
	assert.Positive(t, gs.Denied.Load(), "git asked for the credentials after a 401")
	calls := readFile(t, argv)
	assert.Contains(t, calls, "git -c credential.helper= clone")
	assert.Contains(t, calls, "git -c credential.helper= pull")
	assert.NotContains(t, calls, password)
	assert.NotContains(t, calls, url.PathEscape(password))
	assert.False(t, strings.Contains(calls, user+":"), "no credentials in a URL")
	h.noLeftovers()

	// The wrong password fails the clone: the credentials are really used.
	bad := key
	bad.LoginPassword.Password = "wrong-password"
	data.Template.ID = 2 // another working copy
	_, st, log := h.run(data, bad)
	require.Equal(t, api.StatusError, st)
	assert.Contains(t, log, "Failed updating repository")
}
