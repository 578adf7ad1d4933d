#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (never a browser Playwright downloads). Install it where
# missing: dev machines and CI run as root; elsewhere print what to run and let the tests skip.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing; install Debian's 'chromium' package (the browser tests skip without it)" >&2
  exit 0
fi
echo "ensure-chromium: installing Debian's chromium for the browser tests" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; then
  echo "ensure-chromium: apt-get could not install chromium (the browser tests will skip)" >&2
fi
exit 0
