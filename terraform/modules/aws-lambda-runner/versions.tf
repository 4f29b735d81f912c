terraform {
  # 1.9: validation blocks that refer to other variables; mock providers in `terraform test`.
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Tested with 5.100.0 (scripts/tf-check.sh). Nothing here is removed in 6.x.
      version = ">= 5.40, < 7.0"
    }
  }
}
