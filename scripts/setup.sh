#!/usr/bin/env bash
# Installs what fleet's tests and demo need on a fresh machine that has only the .NET SDK, npm and apt.
# Idempotent: a second run changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
# gcc and objcopy: the linker and symbol tools the ahead-of-time (native) build of the CLI needs.
# strace and ip: the hermetic-rehearsal test watches the agent CLIs' connects in a loopback-only network namespace.
# zsh and fish: the completion tests run the scripts `fleet completion` writes in each shell.
for tool in git setsid tmux chromium gcc objcopy strace ip zsh fish; do
  command -v "$tool" >/dev/null 2>&1 || need_apt+=("$tool")
done
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "== apt: installing ${need_apt[*]}"
  packages=()
  for tool in "${need_apt[@]}"; do
    case "$tool" in
      setsid) packages+=(util-linux) ;;
      objcopy) packages+=(binutils) ;;
      ip) packages+=(iproute2) ;;
      *) packages+=("$tool") ;;
    esac
  done
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"
  fi
fi

echo "== restore"
dotnet restore fleet.slnx --nologo -v quiet

echo "== npm tools"
bash scripts/install-npm-tools.sh
