#!/usr/bin/env bash
# shellcheck disable=SC2034  # REPORT_* are set for and read by the scripts that source this file
# Reporting for the test scripts (sourced): scripts/test-complete.sh, scripts/ci/stack-test.sh and
# scripts/ci/podman-quickstart.sh. Counts the checks and ends with one line "N passed, N failed" (the line
# .ci/run reads).
#   REPORT_PASS, REPORT_FAIL  the mark before a passed / failed check (change them after sourcing)

REPORT_PASS="ok   "
REPORT_FAIL="FAIL "
REPORT_PASSED=0
REPORT_FAILED=0
REPORT_FAILURES=()

say() { printf '\n== %s\n' "$*"; }
pass() {
  REPORT_PASSED=$((REPORT_PASSED + 1))
  printf '%s%s\n' "$REPORT_PASS" "$*"
}
# fail WHAT [WHY]
fail() {
  local line=$1${2+: $2}
  REPORT_FAILED=$((REPORT_FAILED + 1))
  REPORT_FAILURES+=("$line")
  printf '%s%s\n' "$REPORT_FAIL" "$line"
}
check() { # check "description" command...
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

# report_summary HEADING [PREFIX]: the failures under HEADING, then "PREFIXN passed, N failed"; true when
# nothing failed.
report_summary() {
  if ((${#REPORT_FAILURES[@]})); then
    printf '%s\n' "$1"
    printf '  - %s\n' "${REPORT_FAILURES[@]}"
  fi
  printf '%s%d passed, %d failed\n' "${2:-}" "$REPORT_PASSED" "$REPORT_FAILED"
  ((REPORT_FAILED == 0))
}

# report_flags SPEC... -- ARGS...: the command line of a test script. Each SPEC "--flag=VAR" sets VAR=1 when
# the flag is given (0 otherwise); -h/--help prints `usage` and exits 0; anything else exits 2.
report_flags() {
  local specs=() spec known
  while [[ "$1" != -- ]]; do
    specs+=("$1")
    printf -v "${1#*=}" 0
    shift
  done
  shift
  while (($#)); do
    case "$1" in
      -h | --help)
        usage
        exit 0
        ;;
    esac
    known=0
    for spec in "${specs[@]}"; do
      [[ "$1" == "${spec%%=*}" ]] && printf -v "${spec#*=}" 1 && known=1
    done
    ((known)) || {
      echo "unknown argument: $1 (see --help)" >&2
      exit 2
    }
    shift
  done
}
