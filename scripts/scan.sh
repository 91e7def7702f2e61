#!/usr/bin/env bash
# Vulnerability and misconfiguration scan of everything TaskPlatform ships or runs, with Trivy:
#   - every image the stack uses: the `image:` of each compose.yaml service (the project's own images
#     by their compose names, e.g. localhost/taskplatform-api:latest) and every FROM of the Containerfiles;
#   - the lockfile (bun.lock) for vulnerable npm packages;
#   - the Containerfiles and the Terraform in cloud/ for misconfigurations.
# Fails (exit 1) on any HIGH or CRITICAL finding that has a fix. See docs/security.md.
set -euo pipefail

TRIVY_RECOMMENDED=v0.69.3

usage() {
  cat <<'EOF'
Usage: scripts/scan.sh [--list] [--dry-run] [--build] [--no-images] [--help]

Scans with Trivy (severity HIGH,CRITICAL, --ignore-unfixed, --exit-code 1):
  trivy image   every image in compose.yaml and every FROM of the Containerfiles
                (the project's own images by their compose names; they must be built, see --build)
  trivy fs      bun.lock (npm dependencies)
  trivy config  the Containerfiles and cloud/ (Terraform)
Keeps going after a failing target and exits 1 at the end if any target failed.

  --list       print the targets and exit, one per line: "image REF KIND SOURCE" (KIND: project or
               upstream), "fs PATH", "config PATH"
  --dry-run    print the trivy commands instead of running them (Trivy not needed)
  --build      build the project's own images first (<engine> build -f <Containerfile> -t <compose name> .)
  --no-images  skip the image scans (lockfile and configuration only; no container engine needed)
  --help       this text

Environment:
  TRIVY          trivy command (default: trivy on PATH)
  TP_ENGINE      docker or podman (default: a reachable Docker daemon, else Podman), used to export
                 the project's local images to Trivy (podman needs no socket this way)
  TP_IMAGE_TAG   tag of the project's images (default from .env, else latest)
  TRIVY_EXTRA    extra arguments for every trivy call (e.g. "--skip-db-update --offline-scan")
Findings accepted on purpose go in .trivyignore at the repository root, one ID per line, each with
a comment giving the reason (see docs/security.md). Exit codes: 0 clean, 1 findings or a failed
scan, 2 usage, 3 Trivy not installed.
EOF
}

LIST=0
DRY_RUN=0
BUILD=0
IMAGES=1
while (($#)); do
  case "$1" in
    --list) LIST=1 ;;
    --dry-run) DRY_RUN=1 ;;
    --build) BUILD=1 ;;
    --no-images) IMAGES=0 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "unknown option: $1 (see --help)" >&2
      exit 2
      ;;
  esac
  shift
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib.sh
source "$HERE/lib.sh"
cd "$TP_ROOT"
load_env

# --- targets ---------------------------------------------------------------------------------------

# Expands ${VAR}, ${VAR:-default} and ${VAR-default} from the environment (compose's interpolation).
expand_vars() {
  local s=$1 out="" name op def val
  while [[ "$s" =~ ^([^\$]*)\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-)?([^\}]*)\}(.*)$ ]]; do
    out+=${BASH_REMATCH[1]}
    name=${BASH_REMATCH[2]}
    op=${BASH_REMATCH[3]}
    def=${BASH_REMATCH[4]}
    s=${BASH_REMATCH[5]}
    if [[ "$op" == ":-" ]]; then
      val=${!name:-$def}
    elif [[ "$op" == "-" ]]; then
      val=${!name-$def}
    else
      val=${!name:-}
    fi
    out+=$val
  done
  printf '%s\n' "$out$s"
}

# compose.yaml services: "<service> <build:0|1> <dockerfile or -> <image>" per service with an image.
compose_services() {
  awk '
    function flush() {
      if (svc != "" && image != "") print svc, build, (dockerfile == "" ? "-" : dockerfile), image
      svc = ""; build = 0; image = ""; dockerfile = ""
    }
    /^[^[:space:]#]/ { flush(); in_services = ($0 ~ /^services:[[:space:]]*$/); next }
    !in_services { next }
    /^  [A-Za-z0-9_.-]+:[[:space:]]*$/ { flush(); svc = $1; sub(/:$/, "", svc); next }
    svc != "" && /^    build:/ { build = 1; next }
    svc != "" && /^      dockerfile:/ { dockerfile = $2; next }
    svc != "" && /^    image:/ {
      line = $0
      sub(/^    image:[[:space:]]*/, "", line)
      sub(/[[:space:]]+#.*$/, "", line)
      gsub(/["\047]/, "", line)
      image = line
    }
    END { flush() }
  ' compose.yaml
}

# The Containerfiles of the stack: those compose builds, and any Containerfile/Dockerfile at most one
# directory deep (the CI-only stand-ins in scripts/ci/standins/ are not part of the stack).
containerfiles() {
  {
    compose_services | awk '$2 == 1 && $3 != "-" { print $3 }'
    find . -maxdepth 2 \( -name Containerfile -o -name Dockerfile -o -name '*.Containerfile' \) \
      -not -path './node_modules/*' -type f | sed 's|^\./||'
  } | awk 'NF && !seen[$0]++' | while read -r f; do [[ -f "$f" ]] && printf '%s\n' "$f"; done
}

# FROM references of a Containerfile: ARG defaults substituted, stage names and scratch skipped.
from_refs() {
  local file=$1 line ref stage
  declare -A args=()
  local -A stages=()
  while IFS= read -r line || [[ -n "$line" ]]; do
    line=${line%$'\r'}
    if [[ "$line" =~ ^[[:space:]]*[Aa][Rr][Gg][[:space:]]+([A-Za-z_][A-Za-z0-9_]*)=([^[:space:]]+) ]]; then
      local v=${BASH_REMATCH[2]}
      v=${v#\"}
      v=${v%\"}
      args[${BASH_REMATCH[1]}]=$v
    elif [[ "$line" =~ ^[[:space:]]*[Ff][Rr][Oo][Mm][[:space:]]+(--platform=[^[:space:]]+[[:space:]]+)?([^[:space:]]+)([[:space:]]+[Aa][Ss][[:space:]]+([^[:space:]]+))? ]]; then
      ref=${BASH_REMATCH[2]}
      stage=${BASH_REMATCH[4]:-}
      while [[ "$ref" =~ \$\{?([A-Za-z_][A-Za-z0-9_]*)\}? ]]; do
        local name=${BASH_REMATCH[1]}
        ref=${ref/"${BASH_REMATCH[0]}"/${args[$name]:-}}
      done
      if [[ "$ref" != scratch && -z "${stages[${ref,,}]:-}" ]]; then
        printf '%s\n' "$ref"
      fi
      [[ -n "$stage" ]] && stages[${stage,,}]=1
    fi
  done <"$file"
}

# "image <ref> <kind> <source>" lines, kind = project (built here) or upstream; unique by ref.
image_targets() {
  local svc build dockerfile image f ref
  {
    while read -r svc build dockerfile image; do
      image=$(expand_vars "$image")
      if ((build)); then
        printf '%s project %s(%s)\n' "$image" "$dockerfile" "$svc"
      else
        printf '%s upstream compose.yaml(%s)\n' "$image" "$svc"
      fi
    done < <(compose_services)
    while read -r f; do
      while read -r ref; do
        [[ -n "$ref" ]] && printf '%s upstream %s\n' "$ref" "$f"
      done < <(from_refs "$f")
    done < <(containerfiles)
  } | awk '!seen[$1]++'
}

config_targets() {
  containerfiles
  [[ -d cloud ]] && echo cloud
  return 0
}

if ((LIST)); then
  if ((IMAGES)); then
    image_targets | while read -r ref kind source; do
      printf 'image %s %s %s\n' "$ref" "$kind" "$source"
    done
  fi
  [[ -f bun.lock ]] && printf 'fs bun.lock\n'
  config_targets | sed 's/^/config /'
  exit 0
fi

# --- trivy -------------------------------------------------------------------------------------------

TRIVY_BIN=${TRIVY:-trivy}
if ((!DRY_RUN)) && ! command -v "$TRIVY_BIN" >/dev/null 2>&1; then
  cat >&2 <<EOF
error: Trivy is not installed (no '$TRIVY_BIN' on PATH).

Install it (version $TRIVY_RECOMMENDED or newer; never v0.69.4, the release published during the
March 2026 supply-chain compromise), then run this script again:
  Debian/Ubuntu  the Aqua apt repository: https://trivy.dev/latest/getting-started/installation/
                   (add the repository key and 'deb https://get.trivy.dev/deb generic main', then
                    sudo apt-get update && sudo apt-get install trivy)
  macOS          brew install trivy
  any Linux      a release archive from https://github.com/aquasecurity/trivy/releases/tag/$TRIVY_RECOMMENDED
                   (check it against the published checksums file), put 'trivy' on PATH
  container      podman run --rm -v "\$PWD:/src:ro" -w /src docker.io/aquasec/trivy:${TRIVY_RECOMMENDED#v} fs bun.lock
Or point TRIVY at a trivy binary: TRIVY=/opt/trivy/trivy scripts/scan.sh
EOF
  exit 3
fi

COMMON=(--severity "HIGH,CRITICAL" --exit-code 1 --no-progress)
if [[ -f .trivyignore ]]; then COMMON+=(--ignorefile .trivyignore); fi
EXTRA=()
if [[ -n "${TRIVY_EXTRA:-}" ]]; then read -r -a EXTRA <<<"$TRIVY_EXTRA"; fi

FAILED=()
PASSED=()
run_trivy() { # label args...
  local label=$1
  shift
  printf '\n== %s\n' "$label"
  if ((DRY_RUN)); then
    printf '%s\n' "$TRIVY_BIN $* ${EXTRA[*]}"
    return 0
  fi
  if "$TRIVY_BIN" "$@" "${EXTRA[@]}"; then
    PASSED+=("$label")
  else
    FAILED+=("$label")
  fi
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tp-scan.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

if ((IMAGES)); then
  ENGINE=""
  detect_engine || true
  mapfile -t TARGETS < <(image_targets)
  if ((BUILD)); then
    [[ -n "$ENGINE" ]] || die "--build needs podman or docker (or TP_ENGINE)"
    for line in "${TARGETS[@]}"; do
      read -r ref kind source <<<"$line"
      [[ "$kind" == project ]] || continue
      file=${source%%(*}
      printf '\n== build %s from %s\n' "$ref" "$file"
      if ((DRY_RUN)); then
        printf '%s\n' "$ENGINE build -f $file -t $ref ."
      else
        "$ENGINE" build -f "$file" -t "$ref" . || FAILED+=("build $ref")
      fi
    done
  fi
  i=0
  for line in "${TARGETS[@]}"; do
    read -r ref kind source <<<"$line"
    i=$((i + 1))
    if [[ "$kind" == project && -n "$ENGINE" ]] && "$ENGINE" image inspect "$ref" >/dev/null 2>&1; then
      # The project's own image, built here: export it, so Trivy scans exactly the image this machine
      # runs, with either engine and without a daemon socket.
      tar="$TMP/image-$i.tar"
      if ((DRY_RUN)); then
        printf '\n%s\n' "$ENGINE save -o $tar $ref"
      elif ! "$ENGINE" save -o "$tar" "$ref" >/dev/null; then
        FAILED+=("image $ref (export with $ENGINE save failed)")
        continue
      fi
      run_trivy "image $ref ($source, local)" image --ignore-unfixed "${COMMON[@]}" --input "$tar"
      rm -f "$tar"
    elif [[ "$kind" == project ]]; then
      printf '\n== image %s\n' "$ref"
      echo "not built on this machine: build it first (scripts/scan.sh --build, or scripts/setup.sh)" >&2
      FAILED+=("image $ref (not built)")
    else
      # Upstream images are scanned as their registry serves them (what a deployment pulls), never a
      # local copy: a CI machine may hold stand-ins under the same names (scripts/ci/standins/).
      run_trivy "image $ref ($source)" image --ignore-unfixed "${COMMON[@]}" --image-src remote "$ref"
    fi
  done
fi

if [[ -f bun.lock ]]; then
  run_trivy "fs bun.lock" fs --scanners vuln --ignore-unfixed "${COMMON[@]}" bun.lock
else
  FAILED+=("bun.lock missing: commit the lockfile")
fi

while read -r target; do
  [[ -n "$target" ]] || continue
  run_trivy "config $target" config "${COMMON[@]}" "$target"
done < <(config_targets)

if ((DRY_RUN)); then
  exit 0
fi
printf '\n== summary\n'
for label in "${PASSED[@]}"; do printf 'ok   %s\n' "$label"; done
for label in "${FAILED[@]}"; do printf 'FAIL %s\n' "$label"; done
printf '%d passed, %d failed\n' "${#PASSED[@]}" "${#FAILED[@]}"
((${#FAILED[@]} == 0))
