package job

import (
	"encoding/json"
	"maps"
	"strings"
)

// ansibleExtraVars is the JSON object ansible-playbook reads with
// --extra-vars @file: the environment's extra vars, the survey secrets, the
// var-type environment secrets and semaphore_vars.task_details.
//
// The stock runner passes the JSON as one argv element and each var-type
// secret as a separate "--extra-vars NAME=value"; both are visible in the
// process list there. Later --extra-vars win in ansible, so the secrets are
// laid over the JSON last. When the environment's JSON (or the survey
// secrets) cannot be parsed, the stock runner logs it and passes the secrets
// only; so does this.
func (j *Job) ansibleExtraVars(rt Runtime, v vars, verr error, p *AnsiblePlan) json.RawMessage {
	out := map[string]any{}
	if verr != nil {
		p.Warnings = append(p.Warnings, verr.Error(),
			"Could not remove command environment, if existent it will be passed to --extra-vars. This is not fatal but be aware of side effects")
	} else {
		maps.Copy(out, v.extra)
		out["semaphore_vars"] = map[string]any{"task_details": j.TaskDetails(rt)}
	}
	for _, kv := range v.secrets {
		name, value, _ := strings.Cut(kv, "=")
		out[name] = value
	}
	if len(out) == 0 {
		return nil
	}
	b, err := json.Marshal(out) // keys sorted, like the stock runner's
	if err != nil {
		return nil
	}
	return b
}
