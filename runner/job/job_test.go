package job_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/job"
)

func loadState(t *testing.T) *api.RunnerState {
	t.Helper()
	b, err := os.ReadFile("testdata/job_2026.json")
	require.NoError(t, err)
	var st api.RunnerState
	require.NoError(t, json.Unmarshal(b, &st))
	return &st
}

func TestNewHydratesKeys(t *testing.T) {
	st := loadState(t)
	j, err := job.New(st.NewJobs[0], st.AccessKeys)
	require.NoError(t, err)
	assert.Equal(t, 41, j.ID())
	assert.Equal(t, "admin", j.Username)
	assert.Equal(t, "git-s3cret", j.RepositoryKey.LoginPassword.Password)
	require.NotNil(t, j.InventoryKey)
	assert.Equal(t, api.KeySSH, j.InventoryKey.Type)
	require.NotNil(t, j.BecomeKey)
	assert.Equal(t, "root", j.BecomeKey.LoginPassword.Login)
	require.NotNil(t, j.InventoryRepositoryKey)
	assert.Equal(t, 5, j.InventoryRepositoryKey.ID)
	require.Len(t, j.Vaults, 2)
	assert.Equal(t, "default", j.Vaults[0].Name)
	assert.Equal(t, "vault-s3cret", j.Vaults[0].Key.LoginPassword.Password)
	assert.Equal(t, job.Vault{Name: "prod", Type: "script", Script: "vault.sh"}, j.Vaults[1])
	assert.Equal(t, api.StringList{"web1", "web2"}, j.Task.Params.Limit)
	assert.Equal(t, api.StringList{"all"}, j.Template.TaskParams.Limit, "a string limit is split like the server does")
}

func TestSecrets(t *testing.T) {
	st := loadState(t)
	j, err := job.New(st.NewJobs[0], st.AccessKeys)
	require.NoError(t, err)
	secrets := j.Secrets()
	for _, want := range []string{"git-s3cret", "become-s3cret", "vault-s3cret", "env-s3cret", "survey-s3cret"} {
		assert.Contains(t, secrets, want)
	}
	assert.NotContains(t, secrets, "")
}

func TestNewErrors(t *testing.T) {
	st := loadState(t)
	data := st.NewJobs[0]

	keys := map[string]api.AccessKey{}
	for k, v := range st.AccessKeys {
		keys[k] = v
	}
	bad := keys["6"]
	bad.Type = "kerberos"
	keys["6"] = bad
	_, err := job.New(data, keys)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `task 41: become key 6: unknown access key type "kerberos"`)

	// A missing key behaves like no authentication, as in the stock runner.
	delete(keys, "6")
	j, err := job.New(data, keys)
	require.NoError(t, err)
	assert.Equal(t, "", j.BecomeKey.Type)

	// A file inventory without its repository object is not dereferenced.
	data.InventoryRepository = nil
	j, err = job.New(data, st.AccessKeys)
	require.NoError(t, err)
	assert.Nil(t, j.InventoryRepositoryKey)
}
