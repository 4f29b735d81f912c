package hclcheck

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Checks that hold for both modules.

var modules = []string{awsModule, gcpModule}

func TestVariablesAndOutputsHaveDescriptions(t *testing.T) {
	for _, dir := range modules {
		m := loadModule(t, dir)
		if len(m.variables) == 0 || len(m.outputs) == 0 {
			t.Fatalf("%s: no variables or no outputs parsed", dir)
		}
		for kind, blocks := range map[string]map[string]*hclsyntax.Block{"variable": m.variables, "output": m.outputs} {
			for name, b := range blocks {
				a, ok := b.Body.Attributes["description"]
				if !ok {
					t.Errorf("%s: %s %q has no description", dir, kind, name)
					continue
				}
				if d := literalString(t, a.Expr); len(strings.TrimSpace(d)) < 10 {
					t.Errorf("%s: %s %q: description %q says nothing", dir, kind, name, d)
				}
			}
		}
	}
}

// A variable counts as used when something outside the variable blocks refers to it
// (a validation block referring to its own or another variable does not count).
func TestEveryVariableIsUsed(t *testing.T) {
	for _, dir := range modules {
		m := loadModule(t, dir)
		used := map[string]bool{}
		for _, body := range m.files {
			for _, b := range body.Blocks {
				if b.Type == "variable" {
					continue
				}
				visitReferences(b, func(ref string) {
					if name, ok := strings.CutPrefix(ref, "var."); ok {
						used[strings.SplitN(name, ".", 2)[0]] = true
					}
				})
			}
		}
		for name := range m.variables {
			if !used[name] {
				t.Errorf("%s: variable %q is declared but never used", dir, name)
			}
		}
		for name := range used {
			if _, ok := m.variables[name]; !ok {
				t.Errorf("%s: var.%s is used but not declared", dir, name)
			}
		}
	}
}

var tableRow = regexp.MustCompile("(?m)^\\|\\s*`([a-z0-9_]+)`\\s*\\|")

// readmeTable returns the names in the first column of the table under a "## <section>"
// heading of the README.
func readmeTable(t *testing.T, readme, section string) []string {
	t.Helper()
	start := strings.Index(readme, "\n## "+section+"\n")
	if start < 0 {
		t.Fatalf("README has no %q section", "## "+section)
	}
	rest := readme[start+len(section)+5:]
	if end := strings.Index(rest, "\n## "); end >= 0 {
		rest = rest[:end]
	}
	var names []string
	for _, m := range tableRow.FindAllStringSubmatch(rest, -1) {
		names = append(names, m[1])
	}
	sort.Strings(names)
	return names
}

func TestReadmeDocumentsInputsAndOutputs(t *testing.T) {
	for _, dir := range modules {
		m := loadModule(t, dir)
		readme := readFile(t, dir+"/README.md")
		for section, declared := range map[string][]string{
			"Inputs":  mapKeys(m.variables),
			"Outputs": mapKeys(m.outputs),
		} {
			documented := readmeTable(t, readme, section)
			if strings.Join(documented, ",") != strings.Join(declared, ",") {
				t.Errorf("%s/README.md %s table lists %v, the module declares %v", dir, section, documented, declared)
			}
		}
	}
}

// The examples call the modules by relative path with known inputs only, and set every
// input that has no default.
func TestExamplesUseTheModulesCorrectly(t *testing.T) {
	for example, dir := range map[string]string{"../examples/aws": awsModule, "../examples/gcp": gcpModule} {
		mod := loadModule(t, dir)
		ex := loadModule(t, example)
		if len(ex.modules) != 1 {
			t.Fatalf("%s: want one module call, found %d", example, len(ex.modules))
		}
		for _, call := range ex.modules {
			wantSource := "../../modules/" + dir[len("../modules/"):]
			if src := literalString(t, attr(t, call, "source")); src != wantSource {
				t.Errorf("%s: module source %q, want %q", example, src, wantSource)
			}
			for name := range call.Body.Attributes {
				if name == "source" || name == "providers" {
					continue
				}
				if _, ok := mod.variables[name]; !ok {
					t.Errorf("%s: passes %q, which %s does not declare", example, name, dir)
				}
			}
			for name, v := range mod.variables {
				if _, hasDefault := v.Body.Attributes["default"]; hasDefault {
					continue
				}
				if _, ok := call.Body.Attributes[name]; !ok {
					t.Errorf("%s: does not pass the required input %q", example, name)
				}
			}
		}
	}
}
