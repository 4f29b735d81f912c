package hclcheck

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

const (
	awsModule = "../modules/aws-lambda-runner"
	gcpModule = "../modules/gcp-cloud-run-runner"
)

// module is the parsed top level of one Terraform module directory.
type module struct {
	dir       string
	files     map[string]*hclsyntax.Body // base name -> body
	variables map[string]*hclsyntax.Block
	outputs   map[string]*hclsyntax.Block
	locals    map[string]hclsyntax.Expression
	resources map[string]*hclsyntax.Block // "type.name" -> block
	modules   map[string]*hclsyntax.Block // module calls by name
}

func loadModule(t *testing.T, dir string) *module {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no .tf files in %s (err %v)", dir, err)
	}
	m := &module{
		dir:       dir,
		files:     map[string]*hclsyntax.Body{},
		variables: map[string]*hclsyntax.Block{},
		outputs:   map[string]*hclsyntax.Block{},
		locals:    map[string]hclsyntax.Expression{},
		resources: map[string]*hclsyntax.Block{},
		modules:   map[string]*hclsyntax.Block{},
	}
	parser := hclparse.NewParser()
	for _, p := range paths {
		f, diags := parser.ParseHCLFile(p)
		if diags.HasErrors() {
			t.Fatalf("parse %s: %s", p, diags.Error())
		}
		body := f.Body.(*hclsyntax.Body)
		m.files[filepath.Base(p)] = body
		for _, b := range body.Blocks {
			switch b.Type {
			case "variable":
				m.variables[b.Labels[0]] = b
			case "output":
				m.outputs[b.Labels[0]] = b
			case "resource":
				m.resources[b.Labels[0]+"."+b.Labels[1]] = b
			case "module":
				m.modules[b.Labels[0]] = b
			case "locals":
				for name, a := range b.Body.Attributes {
					m.locals[name] = a.Expr
				}
			}
		}
	}
	return m
}

func (m *module) resource(t *testing.T, addr string) *hclsyntax.Block {
	t.Helper()
	r, ok := m.resources[addr]
	if !ok {
		t.Fatalf("%s: resource %s not found", m.dir, addr)
	}
	return r
}

// child returns the only nested block of the given type, following a path of block types.
func child(t *testing.T, b *hclsyntax.Block, path ...string) *hclsyntax.Block {
	t.Helper()
	for _, typ := range path {
		var found []*hclsyntax.Block
		for _, c := range b.Body.Blocks {
			if c.Type == typ {
				found = append(found, c)
			}
		}
		if len(found) != 1 {
			t.Fatalf("%s at %s: want one %q block, found %d", b.Type, b.DefRange(), typ, len(found))
		}
		b = found[0]
	}
	return b
}

func children(b *hclsyntax.Block, typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, c := range b.Body.Blocks {
		if c.Type == typ {
			out = append(out, c)
		}
	}
	return out
}

func attr(t *testing.T, b *hclsyntax.Block, name string) hclsyntax.Expression {
	t.Helper()
	a, ok := b.Body.Attributes[name]
	if !ok {
		t.Fatalf("%s at %s: attribute %q not set", b.Type, b.DefRange(), name)
	}
	return a.Expr
}

// literal evaluates an expression that must not refer to anything.
func literal(t *testing.T, e hclsyntax.Expression) cty.Value {
	t.Helper()
	v, diags := e.Value(nil)
	if diags.HasErrors() {
		t.Fatalf("%s: not a literal: %s", e.Range(), diags.Error())
	}
	return v
}

func literalString(t *testing.T, e hclsyntax.Expression) string {
	t.Helper()
	v := literal(t, e)
	if v.Type() != cty.String || v.IsNull() {
		t.Fatalf("%s: want a literal string, got %s", e.Range(), v.GoString())
	}
	return v.AsString()
}

// references lists what an expression refers to, as dotted names ("var.image",
// "google_service_account.receiver.email"), sorted.
func references(e hclsyntax.Expression) []string {
	var out []string
	for _, tr := range e.Variables() {
		parts := []string{tr.RootName()}
		for _, step := range tr[1:] {
			if a, ok := step.(hcl.TraverseAttr); ok {
				parts = append(parts, a.Name)
			}
		}
		out = append(out, strings.Join(parts, "."))
	}
	sort.Strings(out)
	return out
}

func refersTo(e hclsyntax.Expression, prefix string) bool {
	for _, r := range references(e) {
		if r == prefix || strings.HasPrefix(r, prefix+".") {
			return true
		}
	}
	return false
}

// objectKeys collects the keys of the objects an expression can evaluate to, following
// local.* references through merge(), conditionals and parentheses. The value tells
// whether the key only appears in a branch of a conditional. Any other kind of expression
// fails the test, so that a refactoring the test cannot follow is noticed.
func (m *module) objectKeys(t *testing.T, e hclsyntax.Expression) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	var walk func(e hclsyntax.Expression, conditional bool)
	walk = func(e hclsyntax.Expression, conditional bool) {
		switch e := e.(type) {
		case *hclsyntax.ObjectConsExpr:
			for _, item := range e.Items {
				key := literalString(t, item.KeyExpr)
				onlyConditional := conditional
				if prev, seen := out[key]; seen {
					onlyConditional = prev && conditional
				}
				out[key] = onlyConditional
			}
		case *hclsyntax.ConditionalExpr:
			walk(e.TrueResult, true)
			walk(e.FalseResult, true)
		case *hclsyntax.FunctionCallExpr:
			if e.Name != "merge" {
				t.Fatalf("%s: objectKeys cannot follow %s()", e.Range(), e.Name)
			}
			for _, arg := range e.Args {
				walk(arg, conditional)
			}
		case *hclsyntax.ParenthesesExpr:
			walk(e.Expression, conditional)
		case *hclsyntax.ScopeTraversalExpr:
			if e.Traversal.RootName() != "local" || len(e.Traversal) != 2 {
				t.Fatalf("%s: objectKeys can only follow local.<name>, not %v", e.Range(), references(e))
			}
			name := e.Traversal[1].(hcl.TraverseAttr).Name
			def, ok := m.locals[name]
			if !ok {
				t.Fatalf("%s: local.%s is not defined", e.Range(), name)
			}
			walk(def, conditional)
		default:
			t.Fatalf("%s: objectKeys cannot follow a %T", e.Range(), e)
		}
	}
	walk(e, false)
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sorted(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

// visitReferences calls f with every reference (as in references) anywhere under n.
func visitReferences(n hclsyntax.Node, f func(ref string)) {
	hclsyntax.VisitAll(n, func(n hclsyntax.Node) hcl.Diagnostics {
		if e, ok := n.(*hclsyntax.ScopeTraversalExpr); ok {
			for _, r := range references(e) {
				f(r)
			}
		}
		return nil
	})
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
