package executor_test

import (
	"crypto/sha1"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

func needAnsible(t *testing.T) {
	needTool(t, "ansible-playbook", "apt-get install ansible-core")
}

// encryptString returns "name: !vault |…" for value encrypted with the
// vault id label@password.
func encryptString(t *testing.T, label, password, name, value string) string {
	t.Helper()
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(pwFile, []byte(password), 0o600))
	cmd := exec.Command("ansible-vault", "encrypt_string", "--vault-id", label+"@"+pwFile,
		"--encrypt-vault-id", label, "--name", name, value)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	out, err := cmd.Output()
	require.NoError(t, err)
	return string(out)
}

const sitePlaybook = `- hosts: all
  gather_facts: false
  vars_files: [vault.yml]
  tasks:
    - name: greeting
      debug:
        msg: "greeting={{ greeting }} survey-len={{ survey_secret | length }} task={{ semaphore_vars.task_details.id }} by={{ semaphore_vars.task_details.username }}"
      tags: [deploy]
    - name: check mode
      debug:
        msg: "check_mode={{ ansible_check_mode }}"
      tags: [deploy]
    - name: vault
      debug:
        msg: "vault_sha={{ vault_secret | hash('sha1') }}"
      tags: [deploy]
    - name: agent
      command: ssh-add -l
      check_mode: false
      changed_when: false
      register: agent
      tags: [deploy]
    - name: agent keys
      debug:
        msg: "agent: {{ agent.stdout }}"
      tags: [deploy]
    - name: not selected
      debug:
        msg: other-tag-ran
      tags: [other]
    - name: write a file
      copy:
        content: x
        dest: "{{ marker }}"
      tags: [deploy]
`

// ansible-playbook runs with the inventory, extra vars, --limit, --tags,
// --check, a vault unlocked through its prompt, a become password prompt
// and the inventory's ssh key served by the in-process agent (its
// passphrase-protected key decrypted in memory).
func TestAnsiblePlaybook(t *testing.T) {
	needAnsible(t)
	needTool(t, "ssh-add", "apt-get install openssh-client")
	const vaultPass, vaultValue, becomePass = "vault-pa55-word", "the vaulted value", "become-pa55-word"
	key, err := fixture.NewSSHKey("mayfly-test-key", "key-passphrase")
	require.NoError(t, err)
	h := newHarness(t)
	repo := h.repo(map[string]string{
		"site.yml":  sitePlaybook,
		"vault.yml": encryptString(t, "prod", vaultPass, "vault_secret", vaultValue),
	})
	marker := filepath.Join(h.dir, "marker")
	data := fixture.AnsibleJob("file://"+repo, "site.yml",
		"[web]\nlocalhost ansible_connection=local\n[db]\ndbhost ansible_connection=local\n")
	data.Environment.JSON = `{"greeting":"hello","marker":"` + marker + `"}`
	data.Task.Secret = `{"survey_secret":"survey-s3cret"}`
	data.Template.TaskParams = api.TemplateParams{AllowOverrideLimit: true, AllowOverrideTags: true, Tags: api.StringList{"all"}}
	data.Task.Params = api.TaskParams{Limit: api.StringList{"web"}, Tags: api.StringList{"deploy"}, DryRun: true}
	inv, become, vault := 5, 6, 7
	data.Inventory.SSHKeyID, data.Inventory.BecomeKeyID = &inv, &become
	prod := "prod"
	data.Template.Vaults = []api.TemplateVault{{ID: 1, VaultKeyID: &vault, Name: &prod}}
	keys := []api.AccessKey{
		fixture.NoneKey(),
		{ID: inv, Name: "deploy", Type: api.KeySSH, SSH: api.SSHKey{Login: "deploy", Passphrase: "key-passphrase", PrivateKey: key.PrivateKey}},
		{ID: become, Name: "sudo", Type: api.KeyLoginPassword, LoginPassword: api.LoginPassword{Login: "root", Password: becomePass}},
		{ID: vault, Name: "vault", Type: api.KeyLoginPassword, LoginPassword: api.LoginPassword{Password: vaultPass}},
	}
	id, st, log := h.run(data, keys...)
	log = plain(log)
	require.Equal(t, api.StatusSuccess, st, log)
	sum := sha1.Sum([]byte(vaultValue))
	assert.Contains(t, log, "greeting=hello survey-len=13 task="+strconv.Itoa(id)+" by=admin")
	assert.Contains(t, log, "check_mode=True")
	assert.Contains(t, log, "vault_sha="+hex.EncodeToString(sum[:]))
	assert.Contains(t, log, key.Fingerprint+" deploy (ED25519)", "the agent serves the inventory key, named after it")
	assert.NotContains(t, log, "other-tag-ran", "--tags")
	assert.NotContains(t, log, "dbhost", "--limit")
	assert.NoFileExists(t, marker, "--check")
	assert.Contains(t, log, "localhost                  : ok=6")
	for _, s := range []string{vaultPass, becomePass, "survey-s3cret", "key-passphrase"} {
		assert.NotContains(t, log, s)
	}
	h.noLeftovers()
}

// A login_password inventory key gives --user and --ask-pass, answered on
// the "SSH password:" prompt.
func TestAnsibleAskPass(t *testing.T) {
	needAnsible(t)
	h := newHarness(t)
	repo := h.repo(map[string]string{"site.yml": "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: \"user={{ ansible_user | default('none') }}\"\n"})
	data := fixture.AnsibleJob("file://"+repo, "site.yml", "")
	inv := 5
	data.Inventory.SSHKeyID = &inv
	pw := api.AccessKey{ID: inv, Type: api.KeyLoginPassword, LoginPassword: api.LoginPassword{Login: "operator", Password: "ssh-pa55-word"}}
	_, st, log := h.run(data, fixture.NoneKey(), pw)
	require.Equal(t, api.StatusSuccess, st, log)
	assert.Contains(t, plain(log), "user=operator")
	assert.NotContains(t, log, "ssh-pa55-word")
}

// Galaxy roles from every requirements location are installed, the top-level
// requirements.yml included (B6), and skipped while unchanged.
func TestAnsibleGalaxy(t *testing.T) {
	needAnsible(t)
	h := newHarness(t)
	role := h.repo(map[string]string{
		"tasks/main.yml": "- debug:\n    msg: role-ran\n",
		"meta/main.yml":  "galaxy_info:\n  author: t\n  description: t\n  license: MIT\n  min_ansible_version: '2.9'\n  platforms: []\ndependencies: []\n",
	})
	repo := h.repo(map[string]string{
		"requirements.yml": "roles:\n  - src: git+file://" + role + "\n    name: myrole\n",
		"site.yml":         "- hosts: all\n  gather_facts: false\n  roles: [myrole]\n",
	})
	data := fixture.AnsibleJob("file://"+repo, "site.yml", "")
	_, st, log := h.run(data, fixture.NoneKey())
	log = plain(log)
	require.Equal(t, api.StatusSuccess, st, log)
	assert.Contains(t, log, "myrole was installed successfully")
	assert.Contains(t, log, "role-ran")
	assert.Contains(t, log, "collections/requirements.yml file found. Skip galaxy install process.")
	assert.Regexp(t, `mayfly: timing: pickup→start \d+\.\ds, clone \d+\.\ds, requirements \d+\.\ds, run \d+\.\ds, total`, log)

	_, st, log = h.run(data, fixture.NoneKey())
	log = plain(log)
	require.Equal(t, api.StatusSuccess, st, log)
	assert.NotContains(t, log, "myrole was installed successfully")
	assert.Contains(t, log, "requirements.yml has no changes. Skip galaxy install process.")
	assert.Contains(t, log, "role-ran")

	data.Template.TaskParams.SkipGalaxyInstall = true
	data.Template.ID = 2 // a fresh working copy: galaxy would run
	_, st, log = h.run(data, fixture.NoneKey())
	require.Equal(t, api.StatusSuccess, st, log)
	assert.False(t, strings.Contains(log, "galaxy install process"), "skip_galaxy_install")
}
