#!/usr/bin/env bash
# shellcheck disable=SC2034  # SKIPPED_REFS is read by the later steps
# Step: the third-party images, pulled (STACK_IMAGES=upstream) or stand-ins built (sourced by
# scripts/ci/stack-test.sh). Sets SKIPPED_REFS: references with no stand-in, whose services stay out.
step_images() {
  if [[ "${STACK_IMAGES:-standins}" == upstream ]]; then
    # Where a registry is reachable (GitHub Actions): the real pinned images, no stand-ins.
    say "upstream images (STACK_IMAGES=upstream: pulled from their registries)"
    STANDINS_BASE=${STACK_PROBE_IMAGE:-docker.io/library/debian:bookworm-slim}
    local pull_failed=0 ref
    while read -r ref; do
      [[ -n "$ref" ]] || continue
      "$DOCKER" pull -q "$ref" >/dev/null || {
        fail "docker pull $ref"
        pull_failed=1
      }
    done < <(
      standins_references "$REPO"
      echo "$STANDINS_BASE"
    )
    ((pull_failed)) || pass "every third-party reference in compose.yaml and the Containerfiles pulled"
    SKIPPED_REFS=()
  else
    say "stand-in images (CI has no registry: scripts/ci/standins/README.md)"
    if standins_build_all "$REPO"; then
      pass "stand-in images for every third-party reference in compose.yaml and the Containerfiles"
    else
      fail "stand-in images build"
      stack_stop
    fi
    SKIPPED_REFS=("${STANDINS_SKIPPED[@]}")
  fi
  if ((STANDINS_ONLY)); then
    if stack_finish; then exit 0; else exit 1; fi
  fi
}
