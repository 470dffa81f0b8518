#!/usr/bin/env bash
# Finds, or installs with apt, what ConsoleBrowserIT drives: Debian's chromium and chromium-driver. Run by Maven before
# the integration tests (pom.xml, pre-integration-test), so `mvn verify` passes on a machine that has only Java, Maven
# and apt. Arguments: the skipTests and skipITs properties (nothing to do when either is true).
set -euo pipefail
[[ "${1:-}" == true || "${2:-}" == true ]] && exit 0
[[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]] && exit 0
say() { echo "cdc-bridge tests: $*" >&2; }
if ! command -v apt-get >/dev/null; then
  say "ConsoleBrowserIT needs /usr/bin/chromium and /usr/bin/chromedriver, and there is no apt-get here to install them"
  exit 1
fi
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    say "ConsoleBrowserIT needs Chromium; install it once with: sudo apt-get install chromium chromium-driver"
    exit 1
  fi
fi
say "installing Debian's chromium and chromium-driver (apt-get) for ConsoleBrowserIT"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q >/dev/null
"${SUDO[@]}" apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null
[[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]] || { say "apt-get ran, but /usr/bin/chromium or /usr/bin/chromedriver is still missing"; exit 1; }
