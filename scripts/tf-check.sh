#!/usr/bin/env bash
# Offline checks of the Terraform code under terraform/ (called by `make tf-check` and CI):
#   1. go test ./terraform/...: the GCP module (no google provider is available offline) and
#      the environment-variable contract, checked over the HCL.
#   2. terraform fmt -check -recursive terraform/
#   3. modules/aws-lambda-runner and examples/aws: init from a local filesystem mirror of
#      hashicorp/aws (never a registry), validate; for the module also `terraform test`
#      (mocked provider, tests/*.tftest.hcl), which must end with "N passed, 0 failed".
# Terraform runs in a temporary copy of terraform/, so no .terraform/ directory or lock file
# is left in the repository.
#
# Environment:
#   TF_PLUGIN_DIR  directory that contains registry.terraform.io/hashicorp/aws/5.100.0/<os_arch>
#                  (default: look in the usual places, then search the filesystem once)
#   TERRAFORM      terraform binary (default: terraform)
#   GO             go binary (default: go)
set -euo pipefail
cd "$(dirname "$0")/.."

TERRAFORM=${TERRAFORM:-terraform}
GO=${GO:-go}
AWS_PROVIDER=registry.terraform.io/hashicorp/aws/5.100.0

failures=()
step() { printf '\n== %s\n' "$*"; }
fail() {
	echo "tf-check: FAIL: $*" >&2
	failures+=("$*")
}
die() {
	echo "tf-check: $*" >&2
	exit 1
}
# finish: summary and exit status; every check runs even when an earlier one failed.
finish() {
	step "summary"
	if [ ${#failures[@]} -gt 0 ]; then
		printf 'FAIL: %s\n' "${failures[@]}"
		exit 1
	fi
	printf '%s\n' "$@"
	exit 0
}

# ---- 1. HCL checks in Go ---------------------------------------------------------------------------
step "go test ./terraform/..."
if command -v "$GO" >/dev/null; then
	"$GO" test -count=1 ./terraform/... || fail "go test ./terraform/..."
else
	echo "skipping Go HCL checks: $GO is not installed"
fi

if ! command -v "$TERRAFORM" >/dev/null; then
	finish "skipping terraform checks: terraform is not installed"
fi

# ---- a hermetic, offline terraform ----------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/tf-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

export CHECKPOINT_DISABLE=1 # no version check against checkpoint-api.hashicorp.com
export TF_IN_AUTOMATION=1 TF_INPUT=0
unset TF_DATA_DIR TF_WORKSPACE TF_PLUGIN_CACHE_DIR
for v in $(compgen -e); do
	case $v in TF_CLI_ARGS* | TF_VAR_*) unset "$v" ;; esac
done
# An empty CLI configuration: no credentials, no network mirrors, no host overrides.
export TF_CLI_CONFIG_FILE="$work/terraformrc"
: >"$TF_CLI_CONFIG_FILE"

# ---- 2. formatting -----------------------------------------------------------------------------------
step "terraform fmt -check -recursive terraform/"
"$TERRAFORM" fmt -check -recursive -diff terraform/ || fail "terraform fmt (fix: terraform fmt -recursive terraform/)"

# ---- 3. AWS: init from the mirror, validate, test ----------------------------------------------------
platform=$("$TERRAFORM" version -json | sed -n 's/.*"platform": *"\([^"]*\)".*/\1/p')
[ -n "$platform" ] || die "cannot tell terraform's platform from 'terraform version -json'"

# has_provider DIR: DIR is a filesystem mirror holding hashicorp/aws 5.100.0 for this platform.
has_provider() { [ -n "$1" ] && [ -d "$1/$AWS_PROVIDER/$platform" ]; }

find_plugin_dir() {
	local dir hit
	for dir in /opt/tf-plugins "$HOME/.terraform.d/plugins" "$HOME/.local/share/terraform/plugins" \
		/usr/local/share/terraform/plugins /usr/share/terraform/plugins; do
		if has_provider "$dir"; then
			echo "$dir"
			return
		fi
	done
	# One search of the whole filesystem; working directories (.terraform/) do not count.
	hit=$(find / \( -path /proc -o -path /sys -o -path /dev -o -name .terraform \) -prune \
		-o -type d -path "*/$AWS_PROVIDER/$platform" -print -quit 2>/dev/null || true)
	if [ -n "$hit" ]; then
		echo "${hit%/"$AWS_PROVIDER/$platform"}"
	fi
}

step "AWS module and example (hashicorp/aws 5.100.0, $platform)"
if [ -n "${TF_PLUGIN_DIR:-}" ]; then
	has_provider "$TF_PLUGIN_DIR" || die "TF_PLUGIN_DIR=$TF_PLUGIN_DIR has no $AWS_PROVIDER/$platform"
	plugin_dir=$TF_PLUGIN_DIR
else
	plugin_dir=$(find_plugin_dir)
fi
if [ -z "$plugin_dir" ]; then
	finish "skipping AWS terraform checks: provider mirror not found ($AWS_PROVIDER/$platform; set TF_PLUGIN_DIR)"
fi
echo "provider mirror: $plugin_dir"

# Copy terraform/ without any working state a developer may have left in it.
tar -C . --exclude=.terraform --exclude=.terraform.lock.hcl -cf - terraform | tar -C "$work" -xf -

# init_and_validate DIR: returns non-zero (after recording the failure) if DIR cannot be tested.
init_and_validate() {
	local dir=$1 name=${1#"$work"/}
	# -plugin-dir: providers come from the mirror only; init never contacts a registry.
	if ! "$TERRAFORM" -chdir="$dir" init -backend=false -plugin-dir="$plugin_dir" -no-color >"$work/init.log" 2>&1; then
		cat "$work/init.log"
		fail "terraform init in $name"
		return 1
	fi
	"$TERRAFORM" -chdir="$dir" validate -no-color || {
		fail "terraform validate in $name"
		return 1
	}
}

module="$work/terraform/modules/aws-lambda-runner"
example="$work/terraform/examples/aws"

echo "-- terraform/examples/aws: init, validate"
init_and_validate "$example" || true

echo "-- terraform/modules/aws-lambda-runner: init, validate"
summary="not run"
if init_and_validate "$module"; then
	echo "-- terraform/modules/aws-lambda-runner: test"
	status=0
	"$TERRAFORM" -chdir="$module" test -no-color 2>&1 | tee "$work/test.log" || status=$?
	summary=$(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$work/test.log" | tail -n 1 || true)
	if [ "$status" -ne 0 ] || [ -z "$summary" ] || [ "${summary##*, }" != "0 failed" ]; then
		fail "terraform test in terraform/modules/aws-lambda-runner (${summary:-no summary})"
	fi
fi

finish "aws-lambda-runner: terraform test: $summary" \
	"gcp-cloud-run-runner: checked by go test (terraform/hclcheck); no google provider offline"
