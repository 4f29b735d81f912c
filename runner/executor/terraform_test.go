package executor_test

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/semaphoretest/fixture"
)

// Built-in resources only: no provider download, works offline.
const mainTF = `variable "name" { type = string }
variable "db_password" {
  type    = string
  default = ""
}
resource "terraform_data" "x" { input = var.name }
output "name" { value = var.name }
output "password_sha" { value = sha256(var.db_password) }
`

const tfSecret = "tf-s3cret-password"

func needTerraform(t *testing.T) {
	needTool(t, "terraform", "install terraform (https://developer.hashicorp.com/terraform/install)")
}

// tfJob is a terraform task of template 1 setting var.name; the password
// comes from a var-type environment secret.
func tfJob(repo, name string) api.JobData {
	data := fixture.TerraformJob("terraform", "file://"+repo, "/infra")
	data.Environment.JSON = `{"name":"` + name + `"}`
	data.Environment.Secrets = []api.EnvironmentSecret{{ID: 1, Type: "var", Name: "db_password", Secret: tfSecret}}
	return data
}

// The terraform flow of execution.md §5 against a real terraform: a plan
// with changes waits for a confirmation and applies; the same plan again
// has no changes and succeeds at once; a rejection fails; a stop while
// waiting ends the task (B11); plan-only and auto-approve need no
// confirmation.
func TestTerraformFlow(t *testing.T) {
	needTerraform(t)
	argv := logArgv(t, "terraform")
	h := newHarness(t)
	repo := h.repo(map[string]string{"infra/main.tf": mainTF})
	sum := sha256.Sum256([]byte(tfSecret))

	t.Run("confirm", func(t *testing.T) {
		id := h.srv.AddTask(h.runner, tfJob(repo, "one"), fixture.NoneKey())
		done := h.start(id)
		h.waitStatus(id, api.StatusWaitingConfirmation)
		h.srv.Confirm(id)
		res := <-done
		log := plain(h.log(id))
		require.Equal(t, api.StatusSuccess, res.Status, log)
		assert.Contains(t, log, "Terraform has been successfully initialized!")
		assert.Contains(t, log, "Plan: 1 to add")
		assert.Contains(t, log, "Apply complete! Resources: 1 added")
		assert.Contains(t, log, `name = "one"`)
		assert.Contains(t, log, hex.EncodeToString(sum[:]), "the secret reached terraform through the var file")
		assert.NotContains(t, log, tfSecret)
		assert.Regexp(t, `mayfly: timing: pickup→start \d+\.\ds, clone \d+\.\ds, requirements \d+\.\ds, run \d+\.\ds, confirmation \d+\.\ds, total`, log)
		hist := h.srv.Task(id).History
		assert.Equal(t, []api.Status{api.StatusRunning, api.StatusWaitingConfirmation, api.StatusConfirmed, api.StatusRunning, api.StatusSuccess},
			hist[slices.Index(hist, api.StatusRunning):])
	})
	t.Run("no changes", func(t *testing.T) {
		id, st, log := h.run(tfJob(repo, "one"))
		require.Equal(t, api.StatusSuccess, st, log)
		assert.Contains(t, plain(log), "No changes.")
		assert.NotContains(t, h.srv.Task(id).History, api.StatusWaitingConfirmation)
	})
	t.Run("reject", func(t *testing.T) {
		id := h.srv.AddTask(h.runner, tfJob(repo, "two"), fixture.NoneKey())
		done := h.start(id)
		h.waitStatus(id, api.StatusWaitingConfirmation)
		h.srv.Reject(id)
		res := <-done
		assert.Equal(t, api.StatusError, res.Status)
		assert.Contains(t, h.log(id), "Task rejected")
		assert.NotContains(t, plain(h.log(id)), "Apply complete!")
	})
	t.Run("stop while waiting", func(t *testing.T) {
		id := h.srv.AddTask(h.runner, tfJob(repo, "three"), fixture.NoneKey())
		done := h.start(id)
		h.waitStatus(id, api.StatusWaitingConfirmation)
		h.srv.Stop(id, false)
		res := <-done
		assert.Equal(t, api.StatusStopped, res.Status)
		assert.Equal(t, api.StatusStopped, h.srv.Task(id).Status)
		assert.Contains(t, h.log(id), "mayfly: stopped while waiting for confirmation")
	})
	t.Run("plan only", func(t *testing.T) {
		data := tfJob(repo, "four")
		data.Task.Params.Plan = true
		id, st, log := h.run(data, fixture.NoneKey())
		require.Equal(t, api.StatusSuccess, st, log)
		assert.Contains(t, plain(log), "Plan: 0 to add, 1 to change")
		assert.NotContains(t, h.srv.Task(id).History, api.StatusWaitingConfirmation)
		assert.NotContains(t, plain(log), "Apply complete!")
	})
	t.Run("auto approve", func(t *testing.T) {
		data := tfJob(repo, "five")
		data.Template.TaskParams.AllowAutoApprove = true
		data.Task.Params.AutoApprove = true
		id, st, log := h.run(data, fixture.NoneKey())
		require.Equal(t, api.StatusSuccess, st, log)
		assert.Contains(t, plain(log), "Apply complete! Resources: 0 added, 1 changed")
		assert.NotContains(t, h.srv.Task(id).History, api.StatusWaitingConfirmation)
	})
	calls := readFile(t, argv)
	assert.Contains(t, calls, "terraform init -lock=false -migrate-state")
	assert.Contains(t, calls, "terraform workspace select -or-create=true default")
	assert.Contains(t, calls, "terraform plan -lock=false -var name=one -var-file=")
	assert.Contains(t, calls, "terraform apply -auto-approve -lock=false -var name=one -var-file=")
	assert.NotContains(t, calls, tfSecret)
	h.noLeftovers()
}
