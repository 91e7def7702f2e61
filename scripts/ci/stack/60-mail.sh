#!/usr/bin/env bash
# Step: a mail leaves the stack (sourced by scripts/ci/stack-test.sh). The tests' SMTP server
# (api/test/support/smtp-sink.ts) listens on the host's address on the frontend network, which has a
# route out (the backend network does not); secrets/smtp_url points the API replicas at it, as an
# operator would point them at their mail server. A password reset asked for through the TLS proxy
# arrives there with its link, and the link's token sets a new password through the proxy.
step_mail() {
  say "a mail leaves the stack (password reset through the proxy → SMTP server on the docker bridge)"
  local gateway port pid file link id
  local email="mail-$$-$RANDOM@example.test" password="Stack-mail-pass-$RANDOM-$RANDOM!"
  MAIL_DIR="$WORK/.mail"
  mkdir -p "$MAIL_DIR"
  gateway=$("$DOCKER" network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' "${PROJECT}_frontend")
  port=$(ci_tool free-port)
  bun "$REPO/api/test/support/smtp-sink.ts" --host "$gateway" --port "$port" --dir "$MAIL_DIR" \
    >"$WORK/.smtp-sink.log" 2>&1 &
  pid=$!
  if ! wait_until 15 0.2 grep -q '^listening' "$WORK/.smtp-sink.log"; then
    cat "$WORK/.smtp-sink.log"
    fail "an SMTP server listens on the frontend network's gateway ($gateway:$port)"
    kill "$pid" 2>/dev/null || true
    return
  fi
  pass "an SMTP server listens on the frontend network's gateway ($gateway:$port)"

  # The secret file is bind-mounted: rewrite it in place (same inode) and restart the replicas, which
  # read SMTP_URL_FILE at start. nginx re-resolves the api name after a HUP, as in the replicas step.
  printf 'smtp://%s:%s\n' "$gateway" "$port" >"$WORK/secrets/smtp_url"
  compose restart api >"$WORK/.mail-restart.log" 2>&1 || tail -n 20 "$WORK/.mail-restart.log"
  wait_healthy "$STACK_TIMEOUT" || true
  "$DOCKER" kill -s HUP "$(cid proxy)" >/dev/null 2>&1 || true
  check "the API answers through the proxy after the restart" wait_until 60 1 api_ready

  api POST /api/auth/register "{\"email\":\"$email\",\"password\":\"$password\",\"name\":\"Mail Test\"}"
  check "a user signs up through the proxy" test "$(status)" = 201
  api POST /api/auth/password-reset "{\"email\":\"$email\"}"
  check "a password reset is asked for through the proxy (202)" test "$(status)" = 202
  if wait_until 60 0.5 mail_to "$email" >/dev/null; then
    pass "the reset mail arrived at the SMTP server outside the stack"
  else
    tail -n 5 "$WORK/.smtp-sink.log"
    for id in $(project_containers --filter "label=com.docker.compose.service=api"); do
      "$DOCKER" logs --tail 5 "$id" 2>&1 | sed 's/^/    api log: /'
    done
    fail "the reset mail arrived at the SMTP server outside the stack"
  fi
  file=$(mail_to "$email" || true)
  link=""
  if [[ -n "$file" ]]; then
    link=$(grep -oE 'https?://[^ ]+/reset-password#[A-Za-z0-9_-]{43}' "$file" | head -n 1 || true)
  fi
  echo "  link: ${link%%#*}#…"
  check "the mail carries the reset link (PUBLIC_URL/reset-password#token)" test -n "$link"
  api POST /api/auth/password-reset/complete "{\"token\":\"${link##*#}\",\"password\":\"$password-new\"}"
  check "the link's token sets a new password through the proxy" test "$(status)" = 200
  kill "$pid" 2>/dev/null || true
}

api_ready() {
  api GET /api/ready
  test "$(status)" = 200
}

# The decoded copy of the first mail to ADDRESS in MAIL_DIR (its path on stdout); false when none yet.
mail_to() {
  local found
  found=$(grep -lx "To: $1" "$MAIL_DIR"/*.txt 2>/dev/null | head -n 1)
  [[ -n "$found" ]] && echo "$found"
}
