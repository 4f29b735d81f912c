package executor_test

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

const showScript = `echo "args: $*"
echo "home=$HOME id=$SEMAPHORE_TASK_DETAILS_ID user=$SEMAPHORE_TASK_DETAILS_USERNAME"
echo "mode=$MODE token=$TOKEN target=$TARGET type=$SEMAPHORE_TASK_TYPE"
echo "path-set=${PATH:+yes} runner-only=${MAYFLY_RUNNER_ONLY:-unset}"
`

// bash gets the argv and environment of execution.md §6 with the fixes:
// PATH set (B4), JSON values instead of %!s(...) (B5), secrets redacted.
func TestBashArgsAndEnv(t *testing.T) {
	t.Setenv("MAYFLY_RUNNER_ONLY", "leaked")
	h := newHarness(t)
	repo := h.repo(map[string]string{"show.sh": showScript})
	data := fixture.ShellJob("bash", "file://"+repo, "show.sh")
	data.Template.Type = "build"
	args := `["--tpl"]`
	data.Template.Arguments = &args
	data.Template.SurveyVars = []api.SurveyVar{{Name: "TARGET", Target: "env"}}
	data.Environment.JSON = `{"count":5,"on":true,"list":["a"],"name":"x","TARGET":"blue"}`
	env := `{"MODE":"fast"}`
	data.Environment.ENV = &env
	data.Environment.Secrets = []api.EnvironmentSecret{
		{Type: "var", Name: "DB_PASS", Secret: "var-s3cret-1"},
		{Type: "env", Name: "TOKEN", Secret: "env-s3cret-2"},
	}
	data.Task.Secret = `{"survey":"survey-s3cret-3"}`
	id, st, log := h.run(data, fixture.NoneKey())
	require.Equal(t, api.StatusSuccess, st, log)
	assert.Contains(t, log, `args: DB_PASS=******** --tpl count=5 list=["a"] name=x on=true survey=********`)
	assert.Contains(t, log, "id="+strconv.Itoa(id)+" user=admin")
	assert.Contains(t, log, "home="+h.opts.TmpPath+"/project_1")
	assert.Contains(t, log, "mode=fast token=******** target=blue type=build")
	assert.Contains(t, log, "path-set=yes runner-only=unset")
	for _, s := range []string{"var-s3cret-1", "env-s3cret-2", "survey-s3cret-3"} {
		assert.NotContains(t, log, s)
	}
}

// python runs with python3, and any other app name is a command.
func TestPythonAndOtherApps(t *testing.T) {
	needTool(t, "python3", "apt-get install python3")
	h := newHarness(t)
	repo := h.repo(map[string]string{
		"show.py": "import sys\nprint('python', sys.argv[1:])\n",
		"show.sh": "echo \"sh says $1\"\n",
	})
	data := fixture.ShellJob("python", "file://"+repo, "show.py")
	data.Environment.JSON = `{"days":7}`
	_, st, log := h.run(data, fixture.NoneKey())
	require.Equal(t, api.StatusSuccess, st, log)
	assert.Contains(t, log, "python ['days=7']")

	data = fixture.ShellJob("sh", "file://"+repo, "show.sh")
	data.Environment.JSON = `{"x":"y"}`
	_, st, log = h.run(data, fixture.NoneKey())
	require.Equal(t, api.StatusSuccess, st, log)
	assert.Contains(t, log, "sh says x=y")

	// apps.<app>.path and args override the command.
	h.opts.Apps = map[string]executorApp{"python": {Path: "bash", Args: []string{"-c", `echo "overridden $0 $1"`}}}
	data = fixture.ShellJob("python", "file://"+repo, "show.py")
	_, st, log = h.run(data, fixture.NoneKey())
	require.Equal(t, api.StatusSuccess, st, log)
	assert.Contains(t, log, "overridden show.py")
}

// PowerShell runs with powershell, or pwsh where only PowerShell 7 is
// installed.
func TestPowerShell(t *testing.T) {
	if _, err := exec.LookPath("pwsh"); err != nil {
		if _, err := exec.LookPath("powershell"); err != nil {
			t.Skip("pwsh not installed: https://learn.microsoft.com/powershell/scripting/install/install-debian")
		}
	}
	h := newHarness(t)
	repo := h.repo(map[string]string{"show.ps1": "Write-Output \"ps $($args -join ',')\"\n"})
	data := fixture.ShellJob("powershell", "file://"+repo, "show.ps1")
	data.Environment.JSON = `{"a":"b"}`
	_, st, log := h.run(data, fixture.NoneKey())
	require.Equal(t, api.StatusSuccess, st, log)
	assert.Contains(t, log, "ps a=b")
}

// A failing script ends the log with its exit code and the timing line.
func TestExitCodeLine(t *testing.T) {
	h := newHarness(t)
	repo := h.repo(map[string]string{"fail.sh": "echo failing\nexit 3\n"})
	ft, err := h.execute(t.Context(), fixture.ShellJob("bash", "file://"+repo, "fail.sh"), fixture.NoneKey())
	require.Error(t, err)
	lines := strings.Split(ft.log(), "\n")
	require.GreaterOrEqual(t, len(lines), 2)
	assert.Equal(t, "mayfly: bash exited with code 3", lines[len(lines)-2])
	assert.Regexp(t, `^mayfly: timing: clone \d+\.\ds, run \d+\.\ds, total \d+\.\ds$`, lines[len(lines)-1])
	h.noLeftovers()
}
