#!/usr/bin/env bash
# Step: scripts/test-complete.sh against the running stack (sourced by scripts/ci/stack-test.sh).
step_test_complete() {
  say "scripts/test-complete.sh against the stack"
  local tc_args=() svc
  if ((${#LEFT_OUT[@]})) && grep -q -- '--skip' "$WORK/scripts/test-complete.sh" 2>/dev/null; then
    for svc in "${LEFT_OUT[@]}"; do tc_args+=(--skip "$svc"); done
  fi
  if [[ -f "$WORK/scripts/test-complete.sh" ]]; then
    if (cd "$WORK" && TP_SKIP_SERVICES="${LEFT_OUT[*]}" bash scripts/test-complete.sh "${tc_args[@]}" </dev/null 2>&1 |
      tee "$WORK/.test-complete.log"; exit "${PIPESTATUS[0]}"); then
      pass "test-complete.sh ${tc_args[*]} passes"
    else
      fail "test-complete.sh ${tc_args[*]} passes"
    fi
  else
    fail "scripts/test-complete.sh exists"
  fi
}
