# Renders the cloud-init user data. Kept as its own provider-free module so tests can render it
# offline and run shellcheck on the exact script the instance receives.
terraform {
  required_version = ">= 1.6.0"
}

variable "public_ip" {
  description = "The Elastic IP the instance will answer on (PUBLIC_HOSTNAME)."
  type        = string
}

variable "repository_url" {
  type = string
}

variable "repository_ref" {
  type = string
}

variable "deploy_mode" {
  type    = string
  default = "auto"
}

variable "tp_script" {
  description = "Content of cloud/tp, installed as /usr/local/bin/tp."
  type        = string
}

variable "app_user" {
  description = "Unprivileged user that runs the rootless containers."
  type        = string
  default     = "taskplatform"
}

output "rendered" {
  description = "The user data script."
  value = templatefile("${path.module}/../../user-data.sh.tftpl", {
    public_ip      = var.public_ip
    repository_url = var.repository_url
    repository_ref = var.repository_ref
    deploy_mode    = var.deploy_mode
    app_user       = var.app_user
    tp_script      = var.tp_script
  })
}
