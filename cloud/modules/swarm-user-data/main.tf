# Renders the cloud-init user data of one Swarm node. Provider-free, like ../user-data, so tests can
# render it offline and run shellcheck on the exact script a node receives.
terraform {
  required_version = ">= 1.6.0"
}

variable "node_index" {
  description = "1 for the node that initialises the swarm, 2..N for the nodes that join it. Also its tp.pg label."
  type        = number
}

variable "private_ip" {
  description = "This node's fixed private address (Swarm advertise and listen address)."
  type        = string
}

variable "seed_manager_ips" {
  description = "Private addresses of nodes 1-3, in order: node 1 runs the registry, the others join any of them, and node 1 deploys once all three are in. Never the later nodes', so adding nodes leaves nodes 1-3's user data (and the instances) as they are."
  type        = list(string)
}

variable "seed_public_ips" {
  description = "Elastic IPs of nodes 1-3, in order: node 1 puts them into the TLS certificate."
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
    private_ip           = var.private_ip
    seed_manager_ips     = join(" ", var.seed_manager_ips)
    seed_public_ips      = join(" ", var.seed_public_ips)
    region               = var.region
    join_token_parameter = var.join_token_parameter
    token_placeholder    = var.token_placeholder
    repository_url       = var.repository_url
    repository_ref       = var.repository_ref
  })
}
