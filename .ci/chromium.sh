#!/usr/bin/env bash
# Headless Chromium for the `d4ai report --html` rendering test (test/cli/report.cli.test.ts).
# Debian's package, installed when missing; sourced by .ci/run, which then requires the test to run.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  echo "== installing chromium (Debian package) for the report rendering test"
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
# Set only in CI: without a browser the rendering test fails instead of being skipped.
export D4AISIM_REQUIRE_CHROMIUM=1
