terraform {
  # 1.9: validation blocks that refer to other variables.
  required_version = ">= 1.9"

  required_providers {
    google = {
      source = "hashicorp/google"
      # 6.0 added deletion_protection to the Cloud Run v2 service and job.
      version = ">= 6.0, < 8.0"
    }
  }
}
