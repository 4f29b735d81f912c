package job_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mayfly-dev/mayfly/runner/api"
	"github.com/mayfly-dev/mayfly/runner/job"
)

// FuzzPollJobs feeds arbitrary poll bodies through the decoder, job
// hydration and the ansible/terraform/shell argv builders: hostile input must
// give errors, never panics.
func FuzzPollJobs(f *testing.F) {
	for _, path := range []string{"testdata/job_2026.json", "../api/testdata/poll_2026.json"} {
		if b, err := os.ReadFile(path); err == nil {
			f.Add(b)
		}
	}
	// The captured poll bodies of the golden plan tests.
	plans, _ := filepath.Glob("testdata/plans/*.json")
	for _, path := range plans {
		if b, err := os.ReadFile(path); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"new_jobs":[{"task":{"id":1},"inventory":{"ssh_key_id":3,"repository_id":1},"inventory_repository":null}],"access_keys":{"3":{"type":"bogus"}}}`))
	f.Add([]byte(`{"new_jobs":[{"task":{"params":{"limit":"a, b,,c"}},"template":{"vaults":[{"vault_key_id":null,"name":null}]}}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		state, err := api.DecodeRunnerState(body)
		if err != nil {
			return
		}
		for _, data := range state.NewJobs {
			j, err := job.New(data, state.AccessKeys)
			if err != nil {
				continue
			}
			_ = j.Secrets()
			// The argv/env builders: errors are fine, panics are not.
			rt := job.Runtime{Dir: "/repo", Home: "/home", InventoryFile: "/p/inv", ExtraVarsFile: "/p/ev.json",
				SecretVarsFile: "/p/s.tfvars.json", WebHost: "https://semaphore.example"}
			_, _ = j.AnsiblePlan(rt)
			_, _ = j.TerraformPlan(rt)
			_, _ = j.ShellPlan(rt)
		}
	})
}
