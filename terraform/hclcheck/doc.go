// Package hclcheck holds tests that read the Terraform modules in terraform/modules as HCL,
// without Terraform or providers: documentation and usage of every input, the environment
// variable names against terraform/contract, and the properties of the GCP module that
// cannot be planned offline (no google provider is available to `terraform test`): task
// retries, IAM bindings, secrets by reference.
//
// The AWS module is also planned with a mocked provider by scripts/tf-check.sh
// (`terraform test`); the checks here still run where terraform is not installed.
package hclcheck
