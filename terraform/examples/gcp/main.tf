# mayfly on Google Cloud Run, end to end:
#
#   1. Build the Cloud Run image (infra/images) and push it to Artifact Registry.
#   2. Create the runner token secret (the job needs it to exist): `mayfly register` writes
#      it, or by hand: gcloud secrets create mayfly-runner-token --data-file=runner-token.txt
#   3. export TF_VAR_webhook_secret=$(openssl rand -hex 32)
#      terraform init
#      terraform apply -var project_id=my-project -var semaphore_url=https://semaphore.example.com \
#        -var image=europe-west1-docker.pkg.dev/my-project/mayfly/mayfly-cloudrun:1.2.3
#   4. terraform output -raw webhook_url   # the runner's Webhook field in Semaphore

provider "google" {
  project = var.project_id
  region  = var.region
}

module "runner" {
  source = "../../modules/gcp-cloud-run-runner"

  project_id    = var.project_id
  region        = var.region
  name          = var.name
  image         = var.image
  semaphore_url = var.semaphore_url

  runner_token_secret = {
    secret = var.runner_token_secret
  }
  webhook_secret = var.webhook_secret

  worker = {
    cpu                  = "2"
    memory               = "4Gi"
    task_timeout_seconds = var.task_timeout_seconds
  }

  labels = var.labels
}
