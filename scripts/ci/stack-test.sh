#!/usr/bin/env bash
# Brings the whole compose stack up on a machine with no container registry and proves it works:
# stand-in base images (scripts/ci/standins/), the project's real Containerfiles, scripts/setup.sh,
# docker-compose up, every service healthy, scripts/test-complete.sh, persistence across down + up,
# network isolation, non-root + dropped capabilities, two API replicas behind the proxy; prints cold
# start, idle memory and image sizes against the budgets. Always tears the stack down.
# The steps are scripts/ci/stack/NN-name.sh, run in the order of NN (a new step is a new file).
# Ends with the line "N passed, N failed". See docs/stack-test.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/ci/stack-test.sh [--keep] [--standins-only] [--rebuild-standins] [--help]

  --keep              leave the stack running at the end (prints how to remove it)
  --standins-only     start the engine and build the stand-in images, then stop
  --rebuild-standins  rebuild stand-ins even when images with their tags exist
  --help              this text

Environment: STACK_TIMEOUT (seconds to wait for healthy, default 240), STANDINS_JOBS (parallel
stand-in builds, default 3), ENGINE_LOG (dockerd log, default /var/log/taskplatform-dockerd.log).
Needs root (or a running Docker daemon), Debian's docker.io + docker-compose + debootstrap (installed
when missing), and the npm registry (bun for the stand-ins). Podman is not used here: without systemd
its healthchecks never run and podman-compose ignores depends_on conditions (see docs/stack-test.md).
USAGE
}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/report.sh
source "$HERE/../lib/report.sh"
report_flags --keep=KEEP --standins-only=STANDINS_ONLY --rebuild-standins=REBUILD_STANDINS -- "$@"
((REBUILD_STANDINS == 0)) || export STANDINS_REBUILD=1
# docker-compose 1.29 gives up on an engine call after 60 s; on a loaded CI machine a down of eleven
# containers can take longer than that while the engine is still doing it.
export COMPOSE_HTTP_TIMEOUT=${COMPOSE_HTTP_TIMEOUT:-180}

# Everything is read before anything runs: the libraries and every step define functions only, and the
# steps run inside main(), which bash reads whole; so editing these files while a run is in progress
# cannot change what that run executes.
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=scripts/ci/lib-engine.sh
source "$HERE/lib-engine.sh"
# shellcheck source=scripts/ci/lib-standins.sh
source "$HERE/lib-standins.sh"
# shellcheck source=scripts/lib/wait-healthy.sh
source "$HERE/../lib/wait-healthy.sh"
# shellcheck source=scripts/ci/stack/helpers.sh
source "$HERE/stack/helpers.sh"
STEPS=()
for step in "$HERE"/stack/[0-9][0-9]-*.sh; do
  # shellcheck source=/dev/null
  source "$step"
  step=${step##*/[0-9][0-9]-}
  step=${step%.sh}
  STEPS+=("step_${step//-/_}")
done

main() {
  SCRIPT_STARTED=$SECONDS
  STACK_TIMEOUT=${STACK_TIMEOUT:-240}
  local step
  for step in "${STEPS[@]}"; do "$step"; done
  # exit here, not after main returns: bash would go on reading this file, which may have changed
  if stack_finish; then exit 0; else exit 1; fi
}

main
