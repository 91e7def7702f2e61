#!/usr/bin/env bash
# Step: cold start, idle memory and image sizes against the seed's limits (sourced by
# scripts/ci/stack-test.sh; last: it measures the stack as the steps before left it).
step_measurements() {
  say "measurements (limits from the seed)"
  sleep 5
  local running=() mem_mb services api_image proxy_image api_mb proxy_mb img
  mapfile -t running < <(project_containers)
  mem_mb=$("$DOCKER" stats --no-stream --format '{{.MemUsage}}' "${running[@]}" |
    awk '{ v=$1; u=v; sub(/[0-9.]+/, "", u); sub(/[A-Za-z]+/, "", v);
           m = (u=="GiB") ? v*1024 : (u=="MiB") ? v : (u=="KiB") ? v/1024 : (u=="B") ? v/1048576 : v;
           s += m } END { printf "%.0f", s }')
  services=$(services_of_config)
  api_image=$(awk '$1 == "api" {print $2}' <<<"$services")
  proxy_image=$(awk '$1 == "proxy" {print $2}' <<<"$services")
  api_mb=$(size_mb "$api_image")
  proxy_mb=$(size_mb "$proxy_image")
  printf '  %-58s %9s   %s\n' "measure" "value" "limit"
  printf '  %-58s %9s   %s\n' "cold start to all healthy" "${COLD_START:-n/a} s" "< 120 s"
  printf '  %-58s %9s   %s\n' "start after down + up" "${WARM_START:-n/a} s" ""
  printf '  %-58s %9s   %s\n' "idle memory, whole stack (api x2)" "$mem_mb MB" "< 4096 MB"
  printf '  %-58s %9s   %s\n' "image $api_image" "$api_mb MB" "< 150 MB"
  printf '  %-58s %9s   %s\n' "image $proxy_image (proxy + SPA)" "$proxy_mb MB" "< 50 MB"
  while read -r img; do
    printf '  %-58s %9s   %s\n' "image $img" "$(size_mb "$img") MB" "(${STACK_IMAGES:-standins})"
  done < <(awk -v left_out=" ${LEFT_OUT[*]} " '$3 != "build" && index(left_out, " " $1 " ") == 0 {print $2}' <<<"$services" | sort -u)
  check "cold start under 2 minutes (${COLD_START:-n/a} s)" test -n "$COLD_START" -a "${COLD_START:-999}" -lt 120
  check "idle memory under 4 GB ($mem_mb MB)" test "${mem_mb:-99999}" -lt 4096
  check "api image under 150 MB ($api_mb MB)" awk -v v="$api_mb" 'BEGIN { exit !(v > 0 && v < 150) }'
  check "proxy (web) image under 50 MB ($proxy_mb MB)" awk -v v="$proxy_mb" 'BEGIN { exit !(v > 0 && v < 50) }'
  if ((${#LEFT_OUT[@]})); then
    echo "note: not started here (no stand-in image): ${LEFT_OUT[*]}"
  fi
}
