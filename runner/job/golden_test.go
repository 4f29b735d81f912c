package job_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/job"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current plans")

// goldenRuntime is a fixed machine: paths, runner environment and config.
func goldenRuntime(j *job.Job) job.Runtime {
	priv := "/tmp/semaphore/task_41_x"
	rt := job.Runtime{
		WebHost: "https://semaphore.example.com/",
		Environ: []string{
			"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "HTTPS_PROXY=http://proxy:3128",
			"LANG=C.UTF-8", "RUNNER_ONLY=not forwarded", "CUSTOM_FWD=yes", "TZ=",
		},
		ForwardedEnvVars: []string{"CUSTOM_FWD", "UNSET_FWD"},
		EnvVars:          map[string]string{"ANSIBLE_STDOUT_CALLBACK": "yaml", "TF_IN_AUTOMATION": "1"},
		Apps: map[string]job.App{
			"pulumi":    {Path: "/opt/pulumi/bin/pulumi", Args: []string{"up", "--yes"}},
			"tofu":      {Path: "/opt/tofu/tofu"},
			"terraform": {Args: nil},
		},
		Home:             "/tmp/semaphore/project_1",
		Dir:              "/tmp/semaphore/project_1/repository_3_template_2",
		Commit:           &api.Commit{Hash: "0123456789abcdef0123456789abcdef01234567", Message: "Fix the deploy"},
		InventoryFile:    priv + "/" + j.StaticInventoryName(),
		InventoryRepoDir: priv + "/inventory_repo",
		ExtraVarsFile:    priv + "/extra_vars.json",
		SecretVarsFile:   priv + "/secret.tfvars.json",
		HasCommand:       func(name string) bool { return name != "powershell" },
	}
	if k := j.InventoryKey; k != nil && k.Type == api.KeySSH {
		rt.AgentSocket = priv + "/agent/ssh-agent-" + "5.sock"
		rt.GitEnv = []string{"GIT_TERMINAL_PROMPT=0", "SSH_AUTH_SOCK=" + priv + "/agent/git.sock",
			"GIT_SSH_COMMAND=ssh -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile='/tmp/semaphore/known_hosts'"}
	}
	return rt
}

func loadJob(t *testing.T, path string) *job.Job {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var st api.RunnerState
	require.NoError(t, json.Unmarshal(b, &st))
	require.Len(t, st.NewJobs, 1)
	j, err := job.New(st.NewJobs[0], st.AccessKeys)
	require.NoError(t, err)
	return j
}

// plan builds the plan the executor would run for j.
func plan(j *job.Job, rt job.Runtime) (any, error) {
	switch app := j.AppName(); {
	case app == job.AppAnsible:
		return j.AnsiblePlan(rt)
	case job.IsTerraform(app):
		return j.TerraformPlan(rt)
	default:
		return j.ShellPlan(rt)
	}
}

// TestGoldenPlans compares the argv, environment, prompts and files built
// for every captured job in testdata/plans with testdata/golden.
func TestGoldenPlans(t *testing.T) {
	inputs, err := filepath.Glob("testdata/plans/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			j := loadJob(t, in)
			p, err := plan(j, goldenRuntime(j))
			require.NoError(t, err)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			require.NoError(t, enc.Encode(map[string]any{"app": j.AppName(), "plan": p}))
			golden := filepath.Join("testdata", "golden", name+".json")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
				require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./runner/job -run TestGoldenPlans -update")
			assert.Equal(t, string(want), buf.String())
		})
	}
}
