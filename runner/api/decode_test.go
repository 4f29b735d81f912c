package api_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
)

func TestDecodeCapturedPoll2026(t *testing.T) {
	raw, err := os.ReadFile("testdata/poll_2026.json")
	require.NoError(t, err)
	var st api.RunnerState
	require.NoError(t, json.Unmarshal(raw, &st))

	assert.Equal(t, []api.CurrentJob{{ID: 41, Status: api.StatusStopping}}, st.CurrentJobs)
	assert.True(t, st.ClearCache)
	require.NotNil(t, st.CacheCleanProjectID)
	assert.Equal(t, 1, *st.CacheCleanProjectID)

	require.Len(t, st.NewJobs, 1)
	job := st.NewJobs[0]
	assert.Equal(t, "admin", job.Username)
	assert.Nil(t, job.IncomingVersion)
	assert.Equal(t, 57, job.Task.ID)
	assert.Equal(t, api.StatusWaiting, job.Task.Status)
	assert.Equal(t, `{"db_password":"s3cret"}`, job.Task.Secret)
	require.NotNil(t, job.Task.RunnerID)
	assert.Equal(t, 7, *job.Task.RunnerID)
	assert.Equal(t, 2, job.Task.Params.DebugLevel)
	assert.Equal(t, api.StringList{"web1", "web2"}, job.Task.Params.Limit)
	assert.Equal(t, api.StringList{"deploy", "db"}, job.Task.Params.Tags, "comma string form")
	assert.Equal(t, "site.yml", job.Template.Playbook)
	assert.Equal(t, "ansible", job.Template.App)
	require.Len(t, job.Template.Vaults, 1)
	assert.Equal(t, 9, *job.Template.Vaults[0].VaultKeyID)
	require.NotNil(t, job.InventoryRepository)
	assert.Equal(t, "https://git.example.com/inv.git", job.InventoryRepository.GitURL)
	assert.Equal(t, 6, job.Repository.SSHKeyID)
	assert.Equal(t, "eyJhbGciOiJIUzI1NiJ9.e30.sig", job.JWT)
	require.Len(t, job.Environment.Secrets, 1)
	assert.Equal(t, "TOKEN", job.Environment.Secrets[0].Name)

	require.Len(t, st.AccessKeys, 3)
	assert.Equal(t, api.KeySSH, st.AccessKeys["6"].Type)
	assert.Equal(t, "git", st.AccessKeys["6"].SSH.Login)
	assert.Equal(t, "vaultpw", st.AccessKeys["9"].LoginPassword.Password)
	assert.Equal(t, api.KeyNone, st.AccessKeys["10"].Type)
}

func TestProgressRequestWireKeys(t *testing.T) {
	raw, err := json.Marshal(api.ProgressRequest{Jobs: []api.JobProgress{{ID: 1, Status: api.StatusRunning,
		LogRecords: []api.LogRecord{{Message: "x"}}}}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"Jobs":[{"ID":1,"Status":"running","Commit":null,
		"LogRecords":[{"time":"0001-01-01T00:00:00Z","message":"x"}]}]}`, string(raw))
}
