output "public_ip" {
  description = "Elastic IP of the server."
  value       = aws_eip.this.public_ip
}

output "app_url" {
  description = "TaskPlatform web app (self-signed certificate until you install your own)."
  value       = "https://${aws_eip.this.public_ip}/"
}

output "grafana_url" {
  description = "Grafana, reachable from admin_cidr only. The admin password is in /root/taskplatform-grafana-admin-password on the host."
  value       = "http://${aws_eip.this.public_ip}:3001/"
}

output "prometheus_url" {
  description = "Prometheus, reachable from admin_cidr only."
  value       = "http://${aws_eip.this.public_ip}:9090/"
}

output "ssh_command" {
  description = "SSH into the server (then: sudo tp status)."
  value       = "ssh -i ~/.ssh/${var.key_name}.pem ec2-user@${aws_eip.this.public_ip}"
}

output "node_public_ips" {
  description = "Elastic IP of every node, node 1 first (one entry with node_count = 1)."
  value       = concat([aws_eip.this.public_ip], [for key, eip in aws_eip.swarm_peer : eip.public_ip])
}

output "node_private_ips" {
  description = "Fixed private address of every Swarm node, node 1 first (empty with node_count = 1)."
  value       = [for node in values(local.swarm_nodes) : node.private_ip]
}

output "dns_hint" {
  description = "What to point your domain at."
  value = local.swarm ? join("", [
    "Every node runs the proxy on 80/443: give your domain one A record per node (",
    join(", ", concat([aws_eip.this.public_ip], [for key, eip in aws_eip.swarm_peer : eip.public_ip])),
    "), or put a TCP load balancer (NLB, 80 and 443) in front of the nodes and point the domain at it.",
  ]) : "Point an A record for your domain at ${aws_eip.this.public_ip}."
}
