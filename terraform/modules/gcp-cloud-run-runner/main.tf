# mayfly on Google Cloud Run, from one image:
#   receiver - Cloud Run service: verifies the webhook secret, starts one execution of the
#              worker job per task (jobs:run with an override MAYFLY_TASK_ID=<id>), answers 204;
#   worker   - Cloud Run job: each execution runs exactly one task, without retries.
# The binary tells the two apart by the variables Cloud Run sets itself (K_SERVICE for a
# service, CLOUD_RUN_JOB for a job), so the module passes no command or arguments.

locals {
  service_name = var.name
  job_name     = "${var.name}-worker"
  job_id       = "projects/${var.project_id}/locations/${var.region}/jobs/${local.job_name}"

  # A secret in this project is referred to by its ID, one elsewhere by its full name.
  token_secret_project = try(regex("^projects/([^/]+)/secrets/", var.runner_token_secret.secret)[0], var.project_id)
  token_secret_id      = replace(var.runner_token_secret.secret, "/^projects/[^/]+/secrets//", "")
  token_secret_ref     = local.token_secret_project == var.project_id ? local.token_secret_id : "projects/${local.token_secret_project}/secrets/${local.token_secret_id}"

  # The webhook secret: created here from var.webhook_secret, or an existing secret.
  create_webhook_secret  = var.webhook_secret_ref == null
  webhook_secret_project = local.create_webhook_secret ? var.project_id : try(regex("^projects/([^/]+)/secrets/", var.webhook_secret_ref.secret)[0], var.project_id)
  webhook_secret_id      = local.create_webhook_secret ? "${var.name}-webhook-secret" : replace(var.webhook_secret_ref.secret, "/^projects/[^/]+/secrets//", "")
  webhook_secret_ref     = local.webhook_secret_project == var.project_id ? local.webhook_secret_id : "projects/${local.webhook_secret_project}/secrets/${local.webhook_secret_id}"
  webhook_secret_version = local.create_webhook_secret ? "latest" : var.webhook_secret_ref.version

  semaphore_url = trimsuffix(var.semaphore_url, "/")

  # Plain-value environment; the two secrets come from Secret Manager (env blocks with
  # value_source below). Names: terraform/contract/contract.go (CloudRunServiceEnv,
  # CloudRunJobEnv, CloudRunEnvOptional); a Go test keeps them equal.
  insecure_http_environment = var.allow_insecure_http ? { MAYFLY_ALLOW_INSECURE_HTTP = "true" } : {}
  service_environment = merge(
    {
      SEMAPHORE_WEB_ROOT           = local.semaphore_url
      MAYFLY_CLOUDRUN_JOB          = local.job_id
      MAYFLY_CLOUDRUN_TASK_TIMEOUT = "${var.worker.task_timeout_seconds}s"
      MAYFLY_LOG_FORMAT            = "json"
      MAYFLY_LOG_LEVEL             = var.log_level
    },
    local.insecure_http_environment,
  )
  # MAYFLY_TASK_ID is not here: the receiver sets it per execution through overrides.
  job_environment = merge(
    {
      SEMAPHORE_WEB_ROOT = local.semaphore_url
      SEMAPHORE_TMP_PATH = "/tmp/semaphore"
      MAYFLY_LOG_FORMAT  = "json"
      MAYFLY_LOG_LEVEL   = var.log_level
    },
    local.insecure_http_environment,
  )
}

# ---- service accounts ----------------------------------------------------------------------------

resource "google_service_account" "receiver" {
  project      = var.project_id
  account_id   = "${var.name}-receiver"
  display_name = "mayfly ${var.name} receiver"
  description  = "Runs the mayfly webhook receiver; may only start and watch executions of ${local.job_name}."
}

resource "google_service_account" "worker" {
  project      = var.project_id
  account_id   = "${var.name}-worker"
  display_name = "mayfly ${var.name} worker"
  description  = "Runs Semaphore tasks in ${local.job_name}; may only read the runner token. Grant it what your tasks need."
}

# ---- secrets ----------------------------------------------------------------------------------------

resource "google_secret_manager_secret" "webhook" {
  count = local.create_webhook_secret ? 1 : 0

  project   = var.project_id
  secret_id = local.webhook_secret_id
  labels    = var.labels

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "webhook" {
  count = local.create_webhook_secret ? 1 : 0

  secret      = google_secret_manager_secret.webhook[0].id
  secret_data = var.webhook_secret
}

# The worker reads the runner token, and nothing else.
resource "google_secret_manager_secret_iam_member" "worker_reads_runner_token" {
  project   = local.token_secret_project
  secret_id = local.token_secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.worker.email}"
}

# The receiver reads the webhook secret, and nothing else.
resource "google_secret_manager_secret_iam_member" "receiver_reads_webhook_secret" {
  project   = local.webhook_secret_project
  secret_id = local.create_webhook_secret ? google_secret_manager_secret.webhook[0].secret_id : local.webhook_secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.receiver.email}"
}

# ---- worker job --------------------------------------------------------------------------------------

resource "google_cloud_run_v2_job" "worker" {
  project             = var.project_id
  location            = var.region
  name                = local.job_name
  labels              = var.labels
  deletion_protection = var.deletion_protection

  template {
    labels      = var.labels
    task_count  = 1
    parallelism = 1

    template {
      service_account = google_service_account.worker.email
      # Cloud Run retries a failed task 3 times by default, which would re-run a playbook.
      # A task runs at most once; the runner reports failures to Semaphore itself.
      max_retries = 0
      timeout     = "${var.worker.task_timeout_seconds}s"

      containers {
        image = var.image

        resources {
          limits = {
            cpu    = var.worker.cpu
            memory = var.worker.memory
          }
        }

        dynamic "env" {
          for_each = local.job_environment
          content {
            name  = env.key
            value = env.value
          }
        }

        env {
          name = "SEMAPHORE_RUNNER_TOKEN"
          value_source {
            secret_key_ref {
              secret  = local.token_secret_ref
              version = var.runner_token_secret.version
            }
          }
        }
      }
    }
  }

  # The job's first revision is checked for secret access.
  depends_on = [google_secret_manager_secret_iam_member.worker_reads_runner_token]
}

# Start executions with a per-task override (run.jobs.run, run.jobs.runWithOverrides) and cancel
# them (run.executions.cancel): the predefined role for exactly that, on this job only.
resource "google_cloud_run_v2_job_iam_member" "receiver_runs_worker" {
  project  = google_cloud_run_v2_job.worker.project
  location = google_cloud_run_v2_job.worker.location
  name     = google_cloud_run_v2_job.worker.name
  role     = "roles/run.jobsExecutorWithOverrides"
  member   = "serviceAccount:${google_service_account.receiver.email}"
}

# Read this job's executions (run.executions.get/list), e.g. to find an execution already
# started for a task id before starting another one. Read-only, on this job only.
resource "google_cloud_run_v2_job_iam_member" "receiver_views_worker" {
  project  = google_cloud_run_v2_job.worker.project
  location = google_cloud_run_v2_job.worker.location
  name     = google_cloud_run_v2_job.worker.name
  role     = "roles/run.viewer"
  member   = "serviceAccount:${google_service_account.receiver.email}"
}

# The executions the receiver starts run as the worker service account (actAs).
resource "google_service_account_iam_member" "receiver_acts_as_worker" {
  service_account_id = google_service_account.worker.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.receiver.email}"
}

# ---- receiver service ----------------------------------------------------------------------------------

resource "google_cloud_run_v2_service" "receiver" {
  project             = var.project_id
  location            = var.region
  name                = local.service_name
  labels              = var.labels
  ingress             = var.receiver.ingress
  deletion_protection = var.deletion_protection

  template {
    labels                           = var.labels
    service_account                  = google_service_account.receiver.email
    max_instance_request_concurrency = var.receiver.concurrency
    # The receiver answers after one jobs:run call; Semaphore waits for that answer.
    timeout = "60s"

    scaling {
      min_instance_count = var.receiver.min_instances
      max_instance_count = var.receiver.max_instances
    }

    containers {
      image = var.image

      resources {
        limits = {
          cpu    = var.receiver.cpu
          memory = var.receiver.memory
        }
        # CPU only while a request is being handled: the job is started before the answer.
        cpu_idle = true
      }

      dynamic "env" {
        for_each = local.service_environment
        content {
          name  = env.key
          value = env.value
        }
      }

      env {
        name = "MAYFLY_WEBHOOK_SECRET"
        value_source {
          secret_key_ref {
            secret  = local.webhook_secret_ref
            version = local.webhook_secret_version
          }
        }
      }
    }
  }

  depends_on = [
    google_secret_manager_secret_version.webhook,
    google_secret_manager_secret_iam_member.receiver_reads_webhook_secret,
  ]
}

# Semaphore calls the webhook without any credentials, so the service must accept
# unauthenticated requests; the secret in the URL path is what authenticates the caller.
# An organisation policy restricting allUsers (iam.allowedPolicyMemberDomains) blocks this
# binding: see README.
resource "google_cloud_run_v2_service_iam_member" "public_invoker" {
  project  = google_cloud_run_v2_service.receiver.project
  location = google_cloud_run_v2_service.receiver.location
  name     = google_cloud_run_v2_service.receiver.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}
