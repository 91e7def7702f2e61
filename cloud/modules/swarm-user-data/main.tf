# Renders the cloud-init user data of one Swarm node. Provider-free, like ../user-data, so tests can
# render it offline and run shellcheck on the exact script a node receives.
terraform {
  required_version = ">= 1.6.0"
}

variable "node_index" {
  description = "1 for the node that initialises the swarm, 2..N for the nodes that join it. Also its tp.pg label."
  type        = number
}

variable "manager_ips" {
  description = "Private addresses of all nodes, in node order (every node is a manager)."
  type        = list(string)
}

variable "public_ips" {
  description = "Elastic IPs of all nodes, in node order: node 1 puts them into the TLS certificate."
  type        = list(string)
}

variable "region" {
  type = string
}

variable "join_token_parameter" {
  description = "SSM parameter (SecureString) that carries the manager join token."
  type        = string
}

variable "token_placeholder" {
  description = "Value of the parameter until node 1 has written the token."
  type        = string
}

variable "repository_url" {
  type = string
}

variable "repository_ref" {
  type = string
}

output "rendered" {
  description = "The user data script."
  value = templatefile("${path.module}/../../user-data-swarm.sh.tftpl", {
    node_index           = var.node_index
    manager_ips          = join(" ", var.manager_ips)
    public_ips           = join(" ", var.public_ips)
    region               = var.region
    join_token_parameter = var.join_token_parameter
    token_placeholder    = var.token_placeholder
    repository_url       = var.repository_url
    repository_ref       = var.repository_ref
  })
}
