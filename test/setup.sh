#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: the real Prometheus, Alertmanager, promtool,
# mtail (benchmark baseline), tmux (live view test), openssl and chromium (the web page's browser tests,
# driven by playwright-core, which never downloads a browser) from Debian; then the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pair in prometheus:prometheus promtool:prometheus prometheus-alertmanager:prometheus-alertmanager \
  mtail:mtail tmux:tmux openssl:openssl chromium:chromium; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${need[@]}"
fi
npm ci
