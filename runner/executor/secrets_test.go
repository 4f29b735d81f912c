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

const leakPlaybook = `- hosts: all
  gather_facts: false
  vars_files: [vault.yml]
  tasks:
    - debug:
        msg: "survey={{ survey_secret }} var={{ var_secret }} vault={{ vault_secret | length }}"
    - command: ssh-add -l
      changed_when: false
`

// No password, private key or vault password reaches the delivered log or
// the argv of any command the task ran (git, ansible-playbook,
// ansible-galaxy), and no file under tmp_path holds one after the task.
func TestSecretsStayOutOfLogsAndArgv(t *testing.T) {
	needAnsible(t)
	needTool(t, "ssh-add", "apt-get install openssh-client")
	const (
		gitPass    = "git-http-pa55word"
		keyPass    = "private-key-passphrase"
		becomePass = "become-pa55word"
		vaultPass  = "vault-pa55word"
		surveyPass = "survey-pa55word"
		varPass    = "var-secret-pa55word"
		envPass    = "env-secret-pa55word"
	)
	argv := logArgv(t, "git", "ansible-playbook", "ansible-galaxy")
	key, err := fixture.NewSSHKey("k", keyPass)
	require.NoError(t, err)
	h := newHarness(t)
	src := h.repo(map[string]string{
		"site.yml":  leakPlaybook,
		"vault.yml": encryptString(t, "default", vaultPass, "vault_secret", "vaulted"),
	})
	root := filepath.Join(h.dir, "served")
	require.NoError(t, fixture.BareClone(src, filepath.Join(root, "app.git")))
	gs, err := fixture.NewGitHTTPServer(root, "bot", gitPass)
	require.NoError(t, err)
	t.Cleanup(gs.Close)

	data := fixture.AnsibleJob(gs.URL+"/app.git", "site.yml", "")
	gitKey, inv, become, vault := 2, 5, 6, 7
	data.Repository.SSHKeyID = gitKey
	data.Inventory.SSHKeyID, data.Inventory.BecomeKeyID = &inv, &become
	data.Template.Vaults = []api.TemplateVault{{ID: 1, VaultKeyID: &vault}}
	data.Task.Secret = `{"survey_secret":"` + surveyPass + `"}`
	data.Environment.Secrets = []api.EnvironmentSecret{
		{ID: 1, Type: "var", Name: "var_secret", Secret: varPass},
		{ID: 2, Type: "env", Name: "ENV_SECRET", Secret: envPass},
	}
	keys := []api.AccessKey{
		{ID: gitKey, Type: api.KeyLoginPassword, LoginPassword: api.LoginPassword{Login: "bot", Password: gitPass}},
		{ID: inv, Type: api.KeySSH, SSH: api.SSHKey{Login: "deploy", Passphrase: keyPass, PrivateKey: key.PrivateKey}},
		{ID: become, Type: api.KeyLoginPassword, LoginPassword: api.LoginPassword{Password: becomePass}},
		{ID: vault, Type: api.KeyLoginPassword, LoginPassword: api.LoginPassword{Password: vaultPass}},
	}
	_, st, log := h.run(data, keys...)
	require.Equal(t, api.StatusSuccess, st, log)
	assert.Contains(t, plain(log), "survey=******** var=******** vault=7", "printed secrets are redacted")

	secrets := []string{gitPass, keyPass, becomePass, vaultPass, surveyPass, varPass, envPass}
	for line := range strings.Lines(key.PrivateKey) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "-----") {
			secrets = append(secrets, line)
		}
	}
	calls := readFile(t, argv)
	require.Contains(t, calls, "ansible-playbook -i ")
	require.Contains(t, calls, "git -c credential.helper= clone")
	for _, s := range secrets {
		assert.NotContains(t, log, s, "delivered log")
		assert.NotContains(t, calls, s, "argv")
	}
	h.noLeftovers()
	require.NoError(t, filepath.WalkDir(h.opts.TmpPath, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			assert.NotContains(t, string(b), s, "file %s", path)
		}
		return nil
	}))
}
