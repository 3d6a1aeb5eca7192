#!/usr/bin/env bash
# Installs Debian's chromium + chromium-driver for the dashboard's browser test (tests/browser).
# Idempotent: does nothing when both are present. Needs root (CI) or sudo; browser downloads
# from other hosts are not used.
set -euo pipefail

if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "install-browser: no apt-get; install chromium and chromedriver yourself" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
