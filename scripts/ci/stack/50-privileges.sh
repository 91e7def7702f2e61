#!/usr/bin/env bash
# Step: every container runs as non-root (or as root by a documented policy label), drops ALL capabilities
# and has no-new-privileges (sourced by scripts/ci/stack-test.sh).
step_privileges() {
  say "non-root and dropped capabilities (docker inspect + the kernel's view)"
  local id name user capdrop capadd nnp ro rootok pid uid capeff
  while read -r id; do
    [[ -n "$id" ]] || continue
    name=$("$DOCKER" inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' "$id")
    user=$("$DOCKER" inspect -f '{{.Config.User}}' "$id")
    capdrop=$("$DOCKER" inspect -f '{{.HostConfig.CapDrop}}' "$id")
    capadd=$("$DOCKER" inspect -f '{{.HostConfig.CapAdd}}' "$id")
    nnp=$("$DOCKER" inspect -f '{{.HostConfig.SecurityOpt}}' "$id")
    ro=$("$DOCKER" inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$id")
    # shellcheck disable=SC2016  # a Go template
    rootok=$("$DOCKER" inspect -f '{{range $k, $v := .Config.Labels}}{{if eq $k "org.taskplatform.policy.root" "org.taskplatform.policy.user"}}{{$v}}{{end}}{{end}}' "$id")
    pid=$("$DOCKER" inspect -f '{{.State.Pid}}' "$id")
    uid=$(awk '/^Uid:/ {print $3}' "/proc/$pid/status" 2>/dev/null || echo "?")
    capeff=$(awk '/^CapEff:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo "?")
    echo "  $name: user='$user' uid=$uid CapEff=$capeff cap_drop=$capdrop cap_add=$capadd read_only=$ro $nnp"
    if [[ -n "$rootok" ]]; then
      pass "$name runs as root by documented policy ($rootok)"
    else
      check "$name runs as a non-root user (uid $uid)" test "$uid" != 0 -a "$uid" != "?"
    fi
    check "$name drops ALL capabilities (cap_add: ${capadd})" grep -q ALL <<<"$capdrop"
    check "$name has no-new-privileges" grep -q 'no-new-privileges' <<<"$nnp"
  done < <(project_containers)
}
