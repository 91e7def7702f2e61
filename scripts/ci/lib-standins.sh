#!/usr/bin/env bash
# Stand-in images for CI (sourced, not run): a Debian bookworm base from debootstrap, then one image per
# third-party reference in compose.yaml / Containerfiles, tagged with exactly that reference. These
# exist only because CI reaches no container registry (see scripts/ci/standins/README.md).
# Needs: DOCKER (from lib-engine.sh), debootstrap, python3 with PyYAML (a docker-compose dependency), npm.

STANDINS_DIR=${STANDINS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/standins}
STANDINS_BASE=${STANDINS_BASE:-taskplatform-ci/debian:bookworm}
# Build-stage image for the scratch-like stand-ins: every Debian package they copy binaries from,
# installed in one apt run (one download, one ca-certificates/dpkg configure instead of one per image).
STANDINS_TOOLS=${STANDINS_TOOLS:-taskplatform-ci/standin-tools:bookworm}
STANDINS_TOOLS_PACKAGES=(busybox-static curl gettext-base tzdata nginx prometheus prometheus-alertmanager
  prometheus-node-exporter prometheus-postgres-exporter prometheus-redis-exporter prometheus-nginx-exporter
  prometheus-blackbox-exporter)
STANDINS_CACHE=${STANDINS_CACHE:-/var/cache/taskplatform-ci}
STANDINS_JOBS=${STANDINS_JOBS:-3}

standins_log() { printf 'standins: %s\n' "$*" >&2; }

standins_image_exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

# The Debian mirror apt is configured with here (deb822 or one-line sources), else deb.debian.org.
standins_mirror() {
  local uri
  uri=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list 2>/dev/null |
    grep -oE 'https?://[^ ]+/debian/?' | grep -v -- '-security' | head -n 1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

# debootstrap --variant=minbase bookworm → docker import as $STANDINS_BASE (skipped when present).
# The apt lists stay in the base so stand-ins install packages without another `apt-get update`.
standins_build_base() {
  if standins_image_exists "$STANDINS_BASE"; then
    standins_log "base $STANDINS_BASE present"
    return 0
  fi
  local mirror root started=$SECONDS
  mirror=$(standins_mirror)
  root=$(mktemp -d /var/tmp/tp-rootfs.XXXXXX)
  mkdir -p "$STANDINS_CACHE/debootstrap"
  standins_log "debootstrap bookworm minbase from $mirror"
  if ! debootstrap --variant=minbase --cache-dir="$STANDINS_CACHE/debootstrap" bookworm "$root" "$mirror" \
    >"$STANDINS_CACHE/debootstrap.log" 2>&1; then
    tail -n 20 "$STANDINS_CACHE/debootstrap.log" >&2
    rm -rf "$root"
    return 1
  fi
  cat >"$root/etc/apt/apt.conf.d/90taskplatform-ci" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Retries "3";
Dpkg::Use-Pty "0";
APT
  cat >"$root/etc/dpkg/dpkg.cfg.d/90taskplatform-ci" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
DPKG
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  printf 'deb %s bookworm main\n' "$mirror" >"$root/etc/apt/sources.list"
  # CA certificates: this machine's bundle (Mozilla's roots plus any CA of its own, such as a
  # TLS-inspecting egress), copied instead of installing and configuring ca-certificates (whose
  # postinst forks once per certificate: minutes on a loaded 2-core machine).
  mkdir -p "$root/etc/ssl/certs" "$root/usr/local/share/ca-certificates"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  fi
  rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/usr/share/doc/* \
    "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log "$root"/etc/hostname
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  tar -C "$root" -c . | "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV DEBIAN_FRONTEND=noninteractive' \
    --change 'CMD ["bash"]' - "$STANDINS_BASE" >/dev/null
  rm -rf "$root"
  standins_log "base $STANDINS_BASE imported in $((SECONDS - started)) s"
}

# The tools image (skipped when present).
standins_build_tools() {
  if [[ "${STANDINS_REBUILD:-0}" != 1 ]] && standins_image_exists "$STANDINS_TOOLS"; then
    return 0
  fi
  local ctx status=0 started=$SECONDS
  ctx=$(mktemp -d /var/tmp/tp-standin-tools.XXXXXX)
  # shellcheck disable=SC2016  # ${BASE} is for the Dockerfile
  printf 'ARG BASE\nFROM ${BASE}\nRUN apt-get install -y -qq --no-install-recommends %s >/dev/null && apt-get clean\n' \
    "${STANDINS_TOOLS_PACKAGES[*]}" >"$ctx/Dockerfile"
  "$DOCKER" build -q --build-arg "BASE=$STANDINS_BASE" -t "$STANDINS_TOOLS" "$ctx" >"$ctx/build.log" 2>&1 || status=$?
  if ((status)); then
    tail -n 20 "$ctx/build.log" >&2
  else
    standins_log "tools image $STANDINS_TOOLS built in $((SECONDS - started)) s"
  fi
  rm -rf "$ctx"
  return "$status"
}

# Third-party image references of the project: `image:` of compose services without `build:`, and the
# FROM lines of the Containerfiles that compose builds (ARG defaults substituted, stage names and
# scratch skipped). One reference per line.
standins_references() {
  local root=$1
  python3 - "$root" <<'PY'
import os, re, sys, yaml
root = sys.argv[1]
refs, files = [], []
with open(os.path.join(root, "compose.yaml")) as f:
    compose = yaml.safe_load(f) or {}
for name, svc in (compose.get("services") or {}).items():
    svc = svc or {}
    build = svc.get("build")
    if build:
        ctx = build if isinstance(build, str) else build.get("context", ".")
        df = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        files.append(os.path.normpath(os.path.join(root, ctx, df)))
    elif svc.get("image"):
        refs.append(svc["image"])
for extra in ("api/Containerfile", "proxy/Containerfile", "web/Containerfile"):
    p = os.path.join(root, extra)
    if os.path.exists(p) and p not in files:
        files.append(p)
for path in files:
    if not os.path.exists(path):
        continue
    args, stages = {}, set()
    for line in open(path):
        line = line.strip()
        m = re.match(r"(?i)^ARG\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)", line)
        if m:
            args[m.group(1)] = m.group(2).strip('"\'')
            continue
        m = re.match(r"(?i)^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", line)
        if m:
            ref = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda v: args.get(v.group(1), v.group(0)), m.group(1))
            if m.group(2):
                stages.add(m.group(2).lower())
            if ref.lower() in stages or ref == "scratch" or m.group(1).lower() in stages:
                continue
            refs.append(ref)
seen = set()
for r in refs:
    if r not in seen:
        seen.add(r)
        print(r)
PY
}

# Stand-in folder for a reference, mapped by repository name ("" = none; SKIP:<why> = left out).
standins_folder_for() {
  local ref=$1 repo tag
  repo=${ref%@*}
  tag=latest
  [[ "${repo##*/}" == *:* ]] && tag=${repo##*:} && repo=${repo%:*}
  repo=${repo#docker.io/}
  repo=${repo#library/}
  repo=${repo#quay.io/}
  repo=${repo#ghcr.io/}
  repo=${repo#gcr.io/}
  case "$repo" in
    postgres) echo postgres ;;
    redis) echo redis ;;
    oven/bun) echo bun ;;
    nginxinc/nginx-unprivileged) echo nginx-unprivileged ;;
    prom/prometheus | prometheus/prometheus) echo prometheus ;;
    prom/alertmanager | prometheus/alertmanager) echo alertmanager ;;
    prom/node-exporter | prometheus/node-exporter) echo node-exporter ;;
    prometheuscommunity/postgres-exporter | prometheus-community/postgres-exporter) echo postgres-exporter ;;
    oliver006/redis_exporter) if [[ "$tag" == *alpine* ]]; then echo redis-exporter-alpine; else echo redis-exporter; fi ;;
    prom/blackbox-exporter | prometheus/blackbox-exporter) echo blackbox-exporter ;;
    nginx/nginx-prometheus-exporter) echo nginx-exporter ;;
    grafana/grafana* | grafana/loki | grafana/alloy | grafana/promtail | cadvisor/cadvisor | google/cadvisor)
      echo "SKIP:no Debian package (left out of the CI stack)" ;;
    *) echo "" ;;
  esac
}

# The bun binary of a version from the npm registry (cached), printed as a path.
standins_bun_binary() {
  local version=$1 pkg=@oven/bun-linux-x64 dir
  grep -qw avx2 /proc/cpuinfo || pkg=@oven/bun-linux-x64-baseline
  dir="$STANDINS_CACHE/bun-$version${pkg##*x64}"
  if [[ ! -x "$dir/package/bin/bun" ]]; then
    mkdir -p "$dir"
    standins_log "npm pack $pkg@$version"
    (cd "$dir" && npm pack --silent "$pkg@$version" >/dev/null && tar -xzf ./*.tgz && rm -f ./*.tgz) >&2
  fi
  echo "$dir/package/bin/bun"
}

# The line of exporter/images.txt for a stand-in built from exporter/Dockerfile; fails for the others.
standins_exporter_line() { grep -m 1 "^$1|" "$STANDINS_DIR/exporter/images.txt"; }

# The folder whose Dockerfile builds a stand-in: its own, or exporter/ for those in exporter/images.txt.
standins_folder_dir() {
  if standins_exporter_line "$1" >/dev/null; then echo "$STANDINS_DIR/exporter"; else echo "$STANDINS_DIR/$1"; fi
}

# Builds one stand-in and tags it with every reference given.
standins_build_one() {
  local folder=$1 log=$2
  shift 2
  local ctx version tag_args=() build_args=() ref line name source target busybox user port data cmd
  ctx=$(mktemp -d /var/tmp/tp-standin.XXXXXX)
  cp -a "$(standins_folder_dir "$folder")/." "$ctx/"
  cp -a "$STANDINS_DIR/_common/." "$ctx/"
  if [[ "$folder" == bun ]]; then
    version=${1##*:}
    version=${version%%-*}
    cp "$(standins_bun_binary "$version")" "$ctx/bun.bin"
  fi
  if line=$(standins_exporter_line "$folder"); then
    IFS='|' read -r name source target busybox user port data cmd <<<"$line"
    build_args=(--build-arg "NAME=$name" --build-arg "SOURCE=$source" --build-arg "TARGET=$target"
      --build-arg "BUSYBOX=$busybox" --build-arg "RUN_AS=$user" --build-arg "PORT=$port")
    {
      [[ -z "$data" ]] || printf 'WORKDIR %s\nVOLUME ["%s"]\n' "$data" "$data"
      printf 'ENTRYPOINT ["%s"]\n' "$target"
      [[ -z "$cmd" ]] || printf 'CMD %s\n' "$cmd"
    } >>"$ctx/Dockerfile"
  fi
  for ref in "$@"; do tag_args+=(-t "$ref"); done
  local status=0
  "$DOCKER" build -q --build-arg "BASE=$STANDINS_BASE" --build-arg "TOOLS=$STANDINS_TOOLS" "${build_args[@]}" \
    "${tag_args[@]}" "$ctx" >"$log" 2>&1 || status=$?
  rm -rf "$ctx"
  return "$status"
}

# Builds the stand-ins the project references (only those not present yet unless STANDINS_REBUILD=1).
# Prints "SKIPPED <ref>: why" lines for references left out. Returns non-zero if a build failed or a
# reference has neither a stand-in nor a local image.
standins_build_all() {
  local root=$1 ref folder failed=0 started=$SECONDS
  declare -A refs_by_folder=()
  STANDINS_SKIPPED=()
  while read -r ref; do
    [[ -z "$ref" ]] && continue
    folder=$(standins_folder_for "$ref")
    if [[ "$folder" == SKIP:* ]]; then
      STANDINS_SKIPPED+=("$ref")
      standins_log "SKIPPED $ref: ${folder#SKIP:}"
      continue
    fi
    if [[ -z "$folder" ]]; then
      if standins_image_exists "$ref"; then continue; fi
      standins_log "no stand-in for $ref (add a folder to $STANDINS_DIR or a line to exporter/images.txt, and map it in standins_folder_for)"
      failed=1
      continue
    fi
    if [[ "${STANDINS_REBUILD:-0}" != 1 ]] && standins_image_exists "$ref"; then
      standins_log "present: $ref"
      continue
    fi
    # bun versions differ per tag: key the bun folder by version too
    local key=$folder
    [[ "$folder" == bun ]] && key="$folder@${ref##*:}"
    refs_by_folder[$key]+="$ref "
  done < <(standins_references "$root")
  export STANDINS_SKIPPED
  ((${#refs_by_folder[@]} == 0)) && return "$failed"
  standins_build_base || return 1
  local logdir key pids=() names=() phase tools_pid=""
  logdir=$(mktemp -d /var/tmp/tp-standin-logs.XXXXXX)
  # phase 1: the tools image and the stand-ins that do not need it; phase 2: the ones built from it
  for phase in 1 2; do
    if ((phase == 1)); then
      for key in "${!refs_by_folder[@]}"; do
        # shellcheck disable=SC2016  # literal text in the Dockerfiles
        if grep -q 'FROM ${TOOLS}' "$(standins_folder_dir "${key%@*}")/Dockerfile"; then
          standins_build_tools &
          tools_pid=$!
          break
        fi
      done
    elif [[ -n "$tools_pid" ]] && ! wait "$tools_pid"; then
      standins_log "FAILED tools image $STANDINS_TOOLS"
      failed=1
      break
    fi
    for key in "${!refs_by_folder[@]}"; do
      folder=${key%@*}
      # shellcheck disable=SC2016  # literal text in the Dockerfiles
      if grep -q 'FROM ${TOOLS}' "$(standins_folder_dir "$folder")/Dockerfile"; then
        ((phase == 2)) || continue
      else
        ((phase == 1)) || continue
      fi
      while (($(jobs -rp | wc -l) >= STANDINS_JOBS)); do sleep 0.5; done
      # shellcheck disable=SC2086
      standins_build_one "$folder" "$logdir/${key//[^A-Za-z0-9._-]/_}.log" ${refs_by_folder[$key]} &
      pids+=($!)
      names+=("$key")
    done
  done
  local i
  for i in "${!pids[@]}"; do
    if wait "${pids[$i]}"; then
      standins_log "built ${names[$i]} → ${refs_by_folder[${names[$i]}]}"
    else
      standins_log "FAILED ${names[$i]}; build log:"
      tail -n 30 "$logdir/${names[$i]//[^A-Za-z0-9._-]/_}.log" >&2
      failed=1
    fi
  done
  rm -rf "$logdir"
  standins_log "stand-ins done in $((SECONDS - started)) s"
  return "$failed"
}
