package config

import (
	"fmt"
	"strconv"
	"time"

	"github.com/tailscale/hujson"
)

// JSON null means "not set" everywhere: every reader below leaves its target
// untouched for null and reports whether it stored a value.

// members returns the members of object v (nil for null), reporting a
// non-object and dropping duplicate keys after the first (hujson's Find, used
// by SaveToken, also sees the first).
func (d *decoder) members(key string, v *hujson.Value) []hujson.ObjectMember {
	switch kind(v) {
	case 'n':
		return nil
	case '{':
	default:
		d.fail(v, "%s: want an object, got %s", orTop(key), describe(v, false))
		return nil
	}
	obj, ok := v.Value.(*hujson.Object)
	if !ok {
		return nil
	}
	seen := make(map[string]bool, len(obj.Members))
	out := make([]hujson.ObjectMember, 0, len(obj.Members))
	for _, m := range obj.Members {
		name := memberName(m)
		if seen[name] {
			full := name
			if key != "" {
				full = key + "." + name
			}
			d.problems = append(d.problems, fmt.Sprintf("duplicate key %q%s%s", full, d.in(), d.at(m.Name.StartOffset)))
			continue
		}
		seen[name] = true
		out = append(out, m)
	}
	return out
}

func orTop(key string) string {
	if key == "" {
		return "top level"
	}
	return key
}

func memberName(m hujson.ObjectMember) string {
	if lit, ok := m.Name.Value.(hujson.Literal); ok {
		return lit.String()
	}
	return ""
}

// literal returns v's literal when it has kind want; null gives ok=false
// silently, any other kind records "key: want WHAT, got ...".
func (d *decoder) literal(key string, v *hujson.Value, kinds string, what string, secret bool) (hujson.Literal, bool) {
	k := kind(v)
	if k == 'n' {
		return nil, false
	}
	lit, isLit := v.Value.(hujson.Literal)
	for i := range len(kinds) {
		if isLit && k == hujson.Kind(kinds[i]) {
			return lit, true
		}
	}
	d.fail(v, "%s: want %s, got %s", key, what, describe(v, secret))
	return nil, false
}

func (d *decoder) str(key string, v *hujson.Value, out *string, secret bool) bool {
	lit, ok := d.literal(key, v, `"`, "a string", secret)
	if ok {
		*out = lit.String()
	}
	return ok
}

func (d *decoder) boolean(key string, v *hujson.Value, out *bool) bool {
	lit, ok := d.literal(key, v, "tf", "true or false", false)
	if ok {
		*out = lit.Bool()
	}
	return ok
}

func (d *decoder) integer(key string, v *hujson.Value, out *int) bool {
	lit, ok := d.literal(key, v, "0", "a number", false)
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(string(lit), 10, strconv.IntSize)
	if err != nil {
		d.fail(v, "%s: want a whole number, got %s", key, describe(v, false))
		return false
	}
	*out = int(n)
	return true
}

func (d *decoder) duration(key string, v *hujson.Value, out *time.Duration) bool {
	lit, ok := d.literal(key, v, `"`, `a duration string such as "30s"`, false)
	if !ok {
		return false
	}
	s := lit.String()
	if s == "" {
		return false // empty means default
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		d.fail(v, `%s: want a duration such as "30s" or "2m", got %s`, key, describe(v, false))
		return false
	}
	*out = dur
	return true
}

func (d *decoder) strList(key string, v *hujson.Value, out *[]string) bool {
	if kind(v) == 'n' {
		return false
	}
	arr, ok := v.Value.(*hujson.Array)
	if !ok {
		d.fail(v, "%s: want an array of strings, got %s", key, describe(v, false))
		return false
	}
	var list []string
	good := true
	for i := range arr.Elements {
		var s string
		ek := fmt.Sprintf("%s[%d]", key, i)
		if kind(&arr.Elements[i]) == 'n' {
			d.fail(&arr.Elements[i], "%s: want a string, got null", ek)
			good = false
			continue
		}
		if !d.str(ek, &arr.Elements[i], &s, false) {
			good = false
			continue
		}
		list = append(list, s)
	}
	if good {
		*out = list
	}
	return good
}

// strMap decodes an object of strings; values may be secrets (env_vars).
func (d *decoder) strMap(key string, v *hujson.Value, out *map[string]string) bool {
	members := d.members(key, v)
	if members == nil {
		return false
	}
	m := make(map[string]string, len(members))
	good := true
	for _, mem := range members {
		name := memberName(mem)
		var s string
		if kind(&mem.Value) == 'n' || !d.str(key+"."+name, &mem.Value, &s, true) {
			if kind(&mem.Value) == 'n' {
				d.fail(&mem.Value, "%s.%s: want a string, got null", key, name)
			}
			good = false
			continue
		}
		m[name] = s
	}
	if good {
		*out = m
	}
	return good
}

// describe names a value for an error message; secret values are described
// by kind only, others are quoted (shortened).
func describe(v *hujson.Value, secret bool) string {
	lit, _ := v.Value.(hujson.Literal)
	switch kind(v) {
	case 'n':
		return "null"
	case 't', 'f':
		if secret {
			return "a boolean"
		}
		return string(lit)
	case '"':
		if secret {
			return "a string"
		}
		return strconv.Quote(truncate(lit.String(), 40))
	case '0':
		if secret {
			return "a number"
		}
		return truncate(string(lit), 40)
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "an invalid value"
}

// kind is v's JSON kind, 0 for a missing value.
func kind(v *hujson.Value) hujson.Kind {
	if v == nil || v.Value == nil {
		return 0
	}
	return v.Value.Kind()
}
