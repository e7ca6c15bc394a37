#!/usr/bin/env bash
# Install Debian's chromium for the report's headless-browser test (tests/integration/test_batch_report.py).
# Idempotent: does nothing when a chromium is already on PATH.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# fonts-noto-cjk: the report shows Chinese policy terms (放弃约5%的C类客户, 重点客户).
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk fonts-dejavu-core >/dev/null
command -v chromium
