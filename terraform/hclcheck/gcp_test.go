package hclcheck

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/mayfly-dev/mayfly/terraform/contract"
)

// Cloud Run retries a failed task 3 times by default; a retry would re-run a playbook.
func TestGCPJobRunsEachTaskAtMostOnce(t *testing.T) {
	m := loadModule(t, gcpModule)
	job := m.resource(t, "google_cloud_run_v2_job.worker")
	execution := child(t, job, "template")
	task := child(t, execution, "template")

	if v := literal(t, attr(t, task, "max_retries")); !v.Equals(cty.NumberIntVal(0)).True() {
		t.Errorf("job max_retries = %s, want 0", v.GoString())
	}
	for _, name := range []string{"task_count", "parallelism"} {
		if v := literal(t, attr(t, execution, name)); !v.Equals(cty.NumberIntVal(1)).True() {
			t.Errorf("job %s = %s, want 1 (one task per execution)", name, v.GoString())
		}
	}
	if refs := references(attr(t, task, "timeout")); !slices.Equal(refs, []string{"var.worker.task_timeout_seconds"}) {
		t.Errorf("job timeout refers to %v, want var.worker.task_timeout_seconds", refs)
	}
	if refs := references(attr(t, task, "service_account")); !slices.Equal(refs, []string{"google_service_account.worker.email"}) {
		t.Errorf("job runs as %v, want the worker service account", refs)
	}
}

func TestGCPServiceAndJobShareTheImage(t *testing.T) {
	m := loadModule(t, gcpModule)
	for addr, path := range map[string][]string{
		"google_cloud_run_v2_service.receiver": {"template", "containers"},
		"google_cloud_run_v2_job.worker":       {"template", "template", "containers"},
	} {
		c := child(t, m.resource(t, addr), path...)
		if refs := references(attr(t, c, "image")); !slices.Equal(refs, []string{"var.image"}) {
			t.Errorf("%s image refers to %v, want var.image", addr, refs)
		}
	}
	svc := child(t, m.resource(t, "google_cloud_run_v2_service.receiver"), "template")
	if refs := references(attr(t, svc, "service_account")); !slices.Equal(refs, []string{"google_service_account.receiver.email"}) {
		t.Errorf("service runs as %v, want the receiver service account", refs)
	}
}

// binding is one IAM grant as the module declares it.
type binding struct {
	resourceType string
	role         string
	member       string // literal member, or the service account resource it refers to
	target       string // what the grant is on (a reference prefix)
}

func TestGCPIAMIsLeastPrivilege(t *testing.T) {
	m := loadModule(t, gcpModule)
	want := []binding{
		// Receiver: start (with overrides) and cancel executions of the worker job only...
		{"google_cloud_run_v2_job_iam_member", "roles/run.jobsExecutorWithOverrides", "google_service_account.receiver", "google_cloud_run_v2_job.worker"},
		// ...read that job's executions...
		{"google_cloud_run_v2_job_iam_member", "roles/run.viewer", "google_service_account.receiver", "google_cloud_run_v2_job.worker"},
		// ...let those executions run as the worker (actAs on that one account)...
		{"google_service_account_iam_member", "roles/iam.serviceAccountUser", "google_service_account.receiver", "google_service_account.worker"},
		// ...and read the webhook secret.
		{"google_secret_manager_secret_iam_member", "roles/secretmanager.secretAccessor", "google_service_account.receiver", "local.webhook_secret_id"},
		// Worker: read the runner token, nothing else.
		{"google_secret_manager_secret_iam_member", "roles/secretmanager.secretAccessor", "google_service_account.worker", "local.token_secret_id"},
		// Semaphore sends no credentials: the receiver is public, the URL secret authenticates.
		{"google_cloud_run_v2_service_iam_member", "roles/run.invoker", "allUsers", "google_cloud_run_v2_service.receiver"},
	}

	var got []binding
	for addr, r := range m.resources {
		typ := r.Labels[0]
		if strings.HasPrefix(typ, "google_project_") || strings.HasPrefix(typ, "google_organization_") || strings.HasPrefix(typ, "google_folder_") {
			t.Errorf("%s: no grants above resource level are allowed", addr)
		}
		if !strings.Contains(typ, "_iam_") {
			continue
		}
		if !strings.HasSuffix(typ, "_iam_member") {
			t.Errorf("%s: use *_iam_member (additive), not %s, so the module never replaces policies it does not own", addr, typ)
			continue
		}
		b := binding{resourceType: typ, role: literalString(t, attr(t, r, "role"))}
		member := attr(t, r, "member")
		if refs := references(member); len(refs) == 0 {
			b.member = literalString(t, member)
		} else {
			b.member = strings.TrimSuffix(refs[0], ".email")
		}
		targetAttr := map[string]string{
			"google_cloud_run_v2_job_iam_member":      "name",
			"google_cloud_run_v2_service_iam_member":  "name",
			"google_service_account_iam_member":       "service_account_id",
			"google_secret_manager_secret_iam_member": "secret_id",
		}[typ]
		if targetAttr == "" {
			t.Errorf("%s: unexpected IAM resource type %s", addr, typ)
			continue
		}
		b.target = targetOf(t, attr(t, r, targetAttr), want)
		got = append(got, b)
	}

	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing grant %+v", w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("unexpected grant %+v: every grant must be listed in this test with its reason", g)
		}
	}
}

// targetOf returns the wanted target that the expression refers to, or its references.
func targetOf(t *testing.T, e hclsyntax.Expression, want []binding) string {
	t.Helper()
	for _, w := range want {
		if refersTo(e, w.target) {
			return w.target
		}
	}
	// The webhook secret IAM member refers to the created secret or to the given one.
	if refersTo(e, "google_secret_manager_secret.webhook") && refersTo(e, "local.webhook_secret_id") {
		return "local.webhook_secret_id"
	}
	return strings.Join(references(e), ",")
}

func TestGCPEnvironmentMatchesContract(t *testing.T) {
	m := loadModule(t, gcpModule)
	for _, tc := range []struct {
		addr     string
		path     []string
		want     []string
		optional []string
		secrets  []string
	}{
		{"google_cloud_run_v2_service.receiver", []string{"template", "containers"}, contract.CloudRunServiceEnv, contract.CloudRunEnvOptional, []string{contract.WebhookSecret}},
		{"google_cloud_run_v2_job.worker", []string{"template", "template", "containers"}, contract.CloudRunJobEnv, contract.CloudRunEnvOptional, []string{contract.SemaphoreRunnerToken}},
	} {
		container := child(t, m.resource(t, tc.addr), tc.path...)
		always, optional, secrets := m.containerEnv(t, container)

		if !slices.Equal(always, sorted(tc.want)) {
			t.Errorf("%s sets %v, contract wants %v", tc.addr, always, sorted(tc.want))
		}
		if !slices.Equal(optional, sorted(tc.optional)) {
			t.Errorf("%s sets %v only on request, contract wants %v", tc.addr, optional, sorted(tc.optional))
		}
		if !slices.Equal(secrets, sorted(tc.secrets)) {
			t.Errorf("%s reads %v from Secret Manager, want %v", tc.addr, secrets, sorted(tc.secrets))
		}
		for _, name := range contract.CloudRunJobOverrideEnv {
			if slices.Contains(always, name) || slices.Contains(optional, name) {
				t.Errorf("%s sets %s, which the receiver sets per execution", tc.addr, name)
			}
		}
	}
}

// containerEnv returns the variables a container always gets, those it gets only in some
// configurations (inside a conditional), and those that come from Secret Manager.
func (m *module) containerEnv(t *testing.T, container *hclsyntax.Block) (always, optional, secrets []string) {
	t.Helper()
	for _, env := range children(container, "env") {
		name := literalString(t, attr(t, env, "name"))
		always = append(always, name)
		if _, plain := env.Body.Attributes["value"]; plain {
			if slices.Contains(contract.CloudRunSecretEnv, name) {
				t.Errorf("%s must come from Secret Manager, not a plain value", name)
			}
			continue
		}
		ref := child(t, env, "value_source", "secret_key_ref")
		attr(t, ref, "secret")
		attr(t, ref, "version")
		secrets = append(secrets, name)
	}
	for _, d := range children(container, "dynamic") {
		if d.Labels[0] != "env" {
			continue
		}
		content := child(t, d, "content")
		if _, ok := content.Body.Attributes["value_source"]; ok || len(children(content, "value_source")) > 0 {
			t.Errorf("%s: dynamic env must only carry plain values", d.DefRange())
		}
		for key, conditional := range m.objectKeys(t, attr(t, d, "for_each")) {
			if slices.Contains(contract.CloudRunSecretEnv, key) {
				t.Errorf("%s must come from Secret Manager, not a plain value", key)
			}
			if conditional {
				optional = append(optional, key)
			} else {
				always = append(always, key)
			}
		}
	}
	return sorted(always), sorted(optional), sorted(secrets)
}

func TestGCPWebhookURLFormat(t *testing.T) {
	m := loadModule(t, gcpModule)
	out := m.outputs["webhook_url"]
	if out == nil {
		t.Fatal("no webhook_url output")
	}
	if v := literal(t, attr(t, out, "sensitive")); !v.True() {
		t.Error("webhook_url must be sensitive: it contains the secret")
	}
	src := string(outputSource(t, m, "webhook_url"))
	if !strings.Contains(src, "google_cloud_run_v2_service.receiver.uri}"+contract.WebhookPathPrefix+"${var.webhook_secret}") {
		t.Errorf("webhook_url must be <service uri>%s<secret>, got %s", contract.WebhookPathPrefix, src)
	}
}
