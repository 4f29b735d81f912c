package job_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/job"
)

// ansibleJob is a minimal ansible job with a static inventory.
func ansibleJob() *job.Job {
	return &job.Job{JobData: api.JobData{
		Username:    "u",
		Task:        api.Task{ID: 1, ProjectID: 1},
		Template:    api.Template{ID: 1, App: "ansible", Playbook: "site.yml"},
		Inventory:   api.Inventory{ID: 2, Type: "static"},
		Environment: api.Environment{JSON: "{}"},
	}}
}

func rt() job.Runtime {
	return job.Runtime{Dir: "/repo", Home: "/home", InventoryFile: "/priv/inv", ExtraVarsFile: "/priv/ev.json",
		SecretVarsFile: "/priv/s.tfvars.json", Environ: []string{"PATH=/bin"}}
}

func args(t *testing.T, j *job.Job) []string {
	t.Helper()
	p, err := j.AnsiblePlan(rt())
	require.NoError(t, err)
	return p.Playbook.Args
}

func TestAnsibleDebugLevel(t *testing.T) {
	for level, want := range map[int]string{0: "-vvvv", 1: "-v", 6: "-vvvvvv", 9: "-vvvvvv"} {
		j := ansibleJob()
		j.Template.TaskParams.AllowDebug = true
		j.Task.Params = api.TaskParams{Debug: true, DebugLevel: level}
		assert.Contains(t, args(t, j), want, "level %d", level)
	}
	j := ansibleJob()
	j.Task.Params = api.TaskParams{Debug: true, DebugLevel: 3}
	assert.NotContains(t, args(t, j), "-vvv", "debug needs allow_debug")
}

func TestAnsibleSelectOverrides(t *testing.T) {
	j := ansibleJob()
	j.Template.TaskParams = api.TemplateParams{Limit: api.StringList{"a", "b"}, Tags: api.StringList{"t"}}
	j.Task.Params = api.TaskParams{Limit: api.StringList{"x"}, Tags: api.StringList{"y"}, SkipTags: api.StringList{"z"}}
	a := strings.Join(args(t, j), " ")
	assert.Contains(t, a, "--limit=a,b --tags=t site.yml", "the task cannot override without allow_override_*")

	j.Template.TaskParams.AllowOverrideLimit, j.Template.TaskParams.AllowOverrideSkipTags = true, true
	a = strings.Join(args(t, j), " ")
	assert.Contains(t, a, "--limit=x --tags=t --skip-tags=z site.yml")
}

func TestAnsibleKeyErrors(t *testing.T) {
	j := ansibleJob()
	j.InventoryKey = &api.AccessKey{ID: 3, Type: api.KeyString}
	_, err := j.AnsiblePlan(rt())
	assert.ErrorContains(t, err, "access key 3 (string) does not suit the inventory's user credentials")

	j = ansibleJob()
	j.BecomeKey = &api.AccessKey{ID: 4, Type: api.KeySSH}
	_, err = j.AnsiblePlan(rt())
	assert.ErrorContains(t, err, "access key 4 (ssh) does not suit the inventory's become credentials")

	j = ansibleJob()
	j.Vaults = []job.Vault{{Name: "v", Type: "password", Key: &api.AccessKey{ID: 5, Type: api.KeySSH}}}
	_, err = j.AnsiblePlan(rt())
	assert.ErrorContains(t, err, `vault "v": access key 5 is ssh, want login_password`)

	j = ansibleJob()
	j.Inventory.Type = "terraform-workspace"
	_, err = j.AnsiblePlan(rt())
	assert.ErrorContains(t, err, `invalid inventory type "terraform-workspace"`)
}

func TestAnsibleVaultsOnePerName(t *testing.T) {
	j := ansibleJob()
	pw := func(p string) *api.AccessKey {
		return &api.AccessKey{Type: api.KeyLoginPassword, LoginPassword: api.LoginPassword{Password: p}}
	}
	j.Vaults = []job.Vault{
		{Name: "a", Type: "password", Key: pw("first")},
		{Name: "b", Type: "password", Key: &api.AccessKey{Type: api.KeyNone}},
		{Name: "a", Type: "script", Script: "get-a.sh"},
		{Name: "c", Type: "password", Key: pw("third")},
	}
	p, err := j.AnsiblePlan(rt())
	require.NoError(t, err)
	assert.Equal(t, []string{"-i", "/priv/inv", "--vault-id=a@get-a.sh", "--vault-id=c@prompt"}, p.Playbook.Args[:4])
	assert.Equal(t, []job.Prompt{{Prefix: "Vault password (c):", Answer: "third"}}, p.Prompts)
}

func TestPathsStayInRepository(t *testing.T) {
	j := ansibleJob()
	j.Task.Playbook = "../../etc/evil.yml"
	_, err := j.AnsiblePlan(rt())
	assert.ErrorContains(t, err, `playbook: path "../../etc/evil.yml" is outside the repository`)

	j = ansibleJob()
	j.Template.Playbook = "/etc/evil.yml"
	_, err = j.AnsiblePlan(rt())
	assert.ErrorContains(t, err, "outside the repository")

	j = ansibleJob()
	j.Template.WorkingDirectory = "../x"
	_, err = j.AnsiblePlan(rt())
	assert.ErrorContains(t, err, "working directory")

	j = ansibleJob()
	j.Template.App, j.Template.Playbook = "terraform", "/../../x"
	_, err = j.TerraformPlan(rt())
	assert.ErrorContains(t, err, "terraform directory")

	j = ansibleJob()
	j.Template.App, j.Template.Playbook = "bash", "../x.sh"
	_, err = j.ShellPlan(rt())
	assert.ErrorContains(t, err, "script")

	j.Template.App = "pulumi" // other commands take any first argument
	_, err = j.ShellPlan(rt())
	assert.NoError(t, err)
}

func TestBadArguments(t *testing.T) {
	bad := `{"not":"a list"}`
	j := ansibleJob()
	j.Template.Arguments = &bad
	_, err := j.AnsiblePlan(rt())
	assert.ErrorContains(t, err, "invalid format of the template extra arguments, must be valid JSON")

	j = ansibleJob()
	j.Template.AllowOverrideArgsInTask = true
	j.Task.Arguments = &bad
	j.Template.App = "bash"
	_, err = j.ShellPlan(rt())
	assert.ErrorContains(t, err, "invalid format of the task extra arguments")

	worse := `[1,2]`
	j = ansibleJob()
	j.Template.App, j.Template.Arguments = "terraform", &worse
	_, err = j.TerraformPlan(rt())
	assert.ErrorContains(t, err, "template arguments: invalid format of arguments")

	env := `not json`
	j = ansibleJob()
	j.Template.App = "bash"
	j.Environment.ENV = &env
	_, err = j.ShellPlan(rt())
	assert.ErrorContains(t, err, "environment variables")
}

// Stage arguments: a stage without its own arguments takes "default", and
// every non-init stage gets the variables even when "default" is absent.
func TestTerraformStages(t *testing.T) {
	j := ansibleJob()
	stages := `{"plan":["-p"]}`
	j.Template.App, j.Template.Arguments = "terraform", &stages
	j.Environment.JSON = `{"n":1}`
	p, err := j.TerraformPlan(rt())
	require.NoError(t, err)
	assert.Equal(t, []string{"plan", "-lock=false", "-p", "-var", "n=1"}, p.Plan.Args)
	assert.Equal(t, []string{"apply", "-auto-approve", "-lock=false", "-var", "n=1"}, p.Apply.Args)
	assert.Equal(t, []string{"init", "-lock=false", "-migrate-state"}, p.Init.Args)
	assert.Nil(t, p.SecretVars)

	// -destroy only where the template allows it.
	j.Task.Params.Destroy = true
	p, err = j.TerraformPlan(rt())
	require.NoError(t, err)
	assert.NotContains(t, p.Plan.Args, "-destroy")
	j.Template.TaskParams.AllowDestroy = true
	p, err = j.TerraformPlan(rt())
	require.NoError(t, err)
	assert.Equal(t, "-destroy", p.Plan.Args[2])
}

func TestEnvLastWins(t *testing.T) {
	j := ansibleJob()
	j.Template.App = "bash"
	env := `{"PATH":"/custom","HOME":"/elsewhere"}`
	j.Environment.ENV = &env
	p, err := j.ShellPlan(rt())
	require.NoError(t, err)
	assert.Contains(t, p.Env, "PATH=/custom")
	assert.Contains(t, p.Env, "HOME=/elsewhere")
	assert.NotContains(t, p.Env, "PATH=/bin")
	assert.NotContains(t, p.Env, "HOME=/home")
}

func TestSecretsIncludeEscapedForms(t *testing.T) {
	j := ansibleJob()
	j.RepositoryKey = api.AccessKey{Type: api.KeyLoginPassword, LoginPassword: api.LoginPassword{Password: "p@ss/w rd"}}
	s := j.Secrets()
	for _, want := range []string{"p@ss/w rd", "p@ss%2Fw%20rd", "p%40ss%2Fw+rd", "p%40ss%2Fw%20rd"} {
		assert.Contains(t, s, want)
	}
}
