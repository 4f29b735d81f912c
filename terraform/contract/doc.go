// Package contract lists the names that the Terraform modules in terraform/modules set and
// the cloud entry points in functions/ read. Both sides test against these lists: the
// modules in terraform/gcptest (by parsing their HCL) and the functions in their own tests,
// so a rename on one side fails a test on the other.
//
// The slices are exported for convenience; treat them as read-only.
package contract
