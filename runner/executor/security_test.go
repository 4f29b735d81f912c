package executor_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// A git URL, branch, commit hash or inventory repository URL that starts
// with "-" never reaches git as an option (B15, GHSA-xp7j-h7jc-4w8p): the
// task fails with a line saying why, the payload never runs (no marker
// file), and every user-supplied value git got follows --end-of-options.
// Real git, through the one-off loop and the in-memory server.
func TestGitOptionInjectionIsRefused(t *testing.T) {
	argv := logArgv(t, "git")
	h := newHarness(t)
	repo := h.repo(map[string]string{"run.sh": "echo task-script-ran\n"})
	good := "file://" + repo

	type tc struct {
		name    string
		job     func(payload string) api.JobData
		logLine string // a line of the task log saying why it failed
		inArgv  string // how the payload must appear in git's argv ("" = git never sees it)
	}
	cases := []tc{
		{
			name:    "git url --upload-pack",
			job:     func(p string) api.JobData { return fixture.ShellJob("bash", p, "run.sh") },
			logLine: "Failed updating repository:",
			inArgv:  "--end-of-options %s ",
		},
		{
			name: "git url -u (short form)",
			job: func(p string) api.JobData {
				return fixture.ShellJob("bash", "-u"+strings.TrimPrefix(p, "--upload-pack="), "run.sh")
			},
			logLine: "Failed updating repository:",
			inArgv:  "--end-of-options -u",
		},
		{
			name: "branch",
			job: func(p string) api.JobData {
				d := fixture.ShellJob("bash", good, "run.sh")
				d.Repository.GitBranch = p
				return d
			},
			logLine: "Failed updating repository:",
			inArgv:  "--branch %s --end-of-options ",
		},
		{
			name: "commit hash",
			job: func(p string) api.JobData {
				d := fixture.ShellJob("bash", good, "run.sh")
				d.Task.CommitHash = &p
				return d
			},
			logLine: `Failed to checkout repository to required commit: invalid commit "--upload-pack=`,
		},
		{
			name: "inventory repository url",
			job: func(p string) api.JobData {
				d := fixture.ShellJob("bash", good, "run.sh")
				invRepo := 9
				d.Inventory = api.Inventory{ID: 1, ProjectID: 1, Type: "file", Inventory: "hosts", RepositoryID: &invRepo}
				d.InventoryRepository = &api.Repository{ID: invRepo, ProjectID: 1, GitURL: p, GitBranch: "main", SSHKeyID: 1}
				return d
			},
			logLine: "Failed to install inventory:",
			inArgv:  "--end-of-options %s ",
		},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			marker := filepath.Join(h.dir, "pwned-"+string(rune('a'+i)))
			payload := "--upload-pack=touch " + marker
			data := c.job(payload)
			data.Template.ID = 100 + i // a working copy of its own
			id, st, log := h.run(data, fixture.NoneKey())
			assert.Equal(t, api.StatusError, st, log)
			assert.Contains(t, plain(log), c.logLine)
			assert.NotContains(t, log, "task-script-ran", "the task's script must not run")
			assert.NoFileExists(t, marker, "the injected command ran")
			assert.Equal(t, api.StatusError, h.srv.Task(id).Status)
			if c.inArgv != "" {
				want := c.inArgv
				if strings.Contains(want, "%s") {
					want = strings.ReplaceAll(want, "%s", payload)
				}
				assert.Contains(t, readFile(t, argv), want, "git argv")
			}
		})
	}
	h.noLeftovers()
}

// A hostile branch on the pull path: a template whose working copy exists
// (a first task cloned it) gets a branch that is an option. The pull is
// never attempted with it as an option; the task fails and nothing runs.
func TestGitHostileBranchOnExistingWorkingCopy(t *testing.T) {
	argv := logArgv(t, "git")
	h := newHarness(t)
	repo := h.repo(map[string]string{"run.sh": "echo task-script-ran\n"})
	_, st, log := h.run(fixture.ShellJob("bash", "file://"+repo, "run.sh"), fixture.NoneKey())
	require.Equal(t, api.StatusSuccess, st, log)

	marker := filepath.Join(h.dir, "pwned-pull")
	payload := "--upload-pack=touch " + marker
	data := fixture.ShellJob("bash", "file://"+repo, "run.sh")
	data.Repository.GitBranch = payload
	_, st, log = h.run(data, fixture.NoneKey())
	assert.Equal(t, api.StatusError, st, log)
	assert.Contains(t, log, "Failed updating repository:")
	assert.NotContains(t, log, "task-script-ran")
	assert.NoFileExists(t, marker)
	for line := range strings.Lines(readFile(t, argv)) {
		if strings.Contains(line, payload) {
			assert.Regexp(t, `--is-ancestor HEAD origin/--upload-pack|--end-of-options origin --upload-pack|--branch --upload-pack`, line,
				"every git call that got the branch got it as a value, never as an option")
		}
	}
	h.noLeftovers()
}

// The files a task writes for its tools (static inventory, ansible extra
// vars) are 0600 in a 0700 private task directory under a 0700 tmp_path, and
// the ssh agent's socket sits in a 0700 directory, while the tool runs; all
// of it is gone afterwards. A stand-in ansible-playbook records the modes.
func TestTaskFilesArePrivate(t *testing.T) {
	bin := t.TempDir()
	modes := filepath.Join(t.TempDir(), "modes")
	script := `#!/bin/sh
out='` + modes + `'
prev=
for a in "$@"; do
  case "$a" in @*) f="${a#@}"; stat -c 'extra_vars %a' "$f" >> "$out" ;; esac
  if [ "$prev" = "-i" ]; then
    stat -c 'inventory %a' "$a" >> "$out"
    stat -c 'task_dir %a' "$(dirname "$a")" >> "$out"
    stat -c 'tmp_path %a' "$(dirname "$(dirname "$a")")" >> "$out"
  fi
  prev="$a"
done
if [ -n "$SSH_AUTH_SOCK" ]; then stat -c 'agent_dir %a' "$(dirname "$SSH_AUTH_SOCK")" >> "$out"; fi
echo fake-playbook-ran
`
	require.NoError(t, os.WriteFile(filepath.Join(bin, "ansible-playbook"), []byte(script), 0o755))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	h := newHarness(t)
	repo := h.repo(map[string]string{"site.yml": "- hosts: all\n"})
	key, err := fixture.NewSSHKey("k", "")
	require.NoError(t, err)
	data := fixture.AnsibleJob("file://"+repo, "site.yml", "")
	data.Template.TaskParams.SkipGalaxyInstall = true
	inv := 5
	data.Inventory.SSHKeyID = &inv
	data.Environment.Secrets = []api.EnvironmentSecret{{ID: 1, Type: "var", Name: "v", Secret: "extra-vars-secret"}}
	_, st, log := h.run(data, fixture.NoneKey(),
		api.AccessKey{ID: inv, Type: api.KeySSH, SSH: api.SSHKey{Login: "deploy", PrivateKey: key.PrivateKey}})
	require.Equal(t, api.StatusSuccess, st, log)
	require.Contains(t, log, "fake-playbook-ran")

	got := readFile(t, modes)
	for _, want := range []string{"inventory 600", "extra_vars 600", "task_dir 700", "tmp_path 700", "agent_dir 700"} {
		assert.Contains(t, got, want+"\n", "modes seen by ansible-playbook:\n%s", got)
	}
	h.noLeftovers()
}
