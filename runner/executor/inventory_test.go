package executor_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// git over ssh uses GIT_SSH_COMMAND with the host-key policy, and the
// repository's key is served by an agent: a fake ssh first on PATH lists
// the agent's keys into the task log.
func TestGitSSHUsesAgent(t *testing.T) {
	needTool(t, "ssh-add", "apt-get install openssh-client")
	dir := t.TempDir()
	fake := "#!/bin/sh\necho \"fake ssh: $*\" >&2\nssh-add -l >&2\nexit 1\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ssh"), []byte(fake), 0o755))
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	key, err := fixture.NewSSHKey("c", "")
	require.NoError(t, err)
	h := newHarness(t)
	data := fixture.ShellJob("bash", "git@example.invalid:org/app.git", "run.sh")
	data.Repository.SSHKeyID = 3
	ft, err := h.execute(t.Context(), data, api.AccessKey{ID: 3, Name: "git key", Type: api.KeySSH, SSH: api.SSHKey{PrivateKey: key.PrivateKey}})
	require.Error(t, err)
	log := ft.log()
	assert.Contains(t, log, "fake ssh: -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="+h.opts.TmpPath+"/known_hosts")
	assert.Contains(t, log, key.Fingerprint+" git key (ED25519)")
	h.noLeftovers()
}

// A file inventory kept in its own repository is cloned with that
// repository's branch and removed after the task (B8).
func TestInventoryFromRepository(t *testing.T) {
	needAnsible(t)
	h := newHarness(t)
	invRepo := h.repo(map[string]string{"envs/prod.ini": "[prod]\nlocalhost ansible_connection=local\n"})
	_, err := fixture.Git(invRepo, "checkout", "-q", "-b", "inv")
	require.NoError(t, err)
	_, err = fixture.Commit(invRepo, map[string]string{"envs/prod.ini": "[prod]\nlocalhost ansible_connection=local marker=from-inv-branch\n"}, "branch")
	require.NoError(t, err)
	repo := h.repo(map[string]string{"site.yml": "- hosts: prod\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: \"inventory {{ marker }}\"\n"})
	data := fixture.AnsibleJob("file://"+repo, "site.yml", "")
	invRepoID := 9
	data.Inventory = api.Inventory{ID: 3, ProjectID: 1, Type: "file", Inventory: "envs/prod.ini", RepositoryID: &invRepoID}
	data.InventoryRepository = &api.Repository{ID: invRepoID, ProjectID: 1, Name: "inv", GitURL: "file://" + invRepo, GitBranch: "inv", SSHKeyID: 1}
	_, st, log := h.run(data, fixture.NoneKey())
	require.Equal(t, api.StatusSuccess, st, log)
	assert.Contains(t, log, "cloning inventory repository")
	assert.Contains(t, plain(log), "inventory from-inv-branch")
	h.noLeftovers()
}
