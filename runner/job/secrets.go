package job

import (
	"encoding/json"
	"fmt"
)

// surveySecrets returns the string values of task.secret, a JSON object of
// survey secret answers ("{}" or "" when there are none).
func surveySecrets(raw string) []string {
	if raw == "" {
		return nil
	}
	var m map[string]any
	if json.Unmarshal([]byte(raw), &m) != nil {
		return nil
	}
	out := make([]string, 0, len(m))
	for _, v := range m {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case nil:
		default:
			out = append(out, fmt.Sprint(v))
		}
	}
	return out
}
