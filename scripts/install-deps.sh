#!/usr/bin/env bash
# Installs, from Debian's packages, whatever xrun needs that is missing.
#   scripts/install-deps.sh          build + run a local job
#   scripts/install-deps.sh --test   also the test servers and tools
set -euo pipefail

build_pkgs=(cmake g++ make pkg-config libssh-dev libssl-dev libcjson-dev libsqlite3-dev libpq-dev libcmocka-dev)
test_pkgs=(openssh-server openssh-client tcsh openssl slurm-wlm slurmctld slurmd slurm-client munge
           mariadb-server slurmdbd gfortran clang libclang-rt-14-dev
           python3-cffi python3-pytest python3-setuptools python3-venv python3-ase python3-drmaa python3-pymatgen python3-numpy hyperfine abigail-tools
           tmux python3-jsonschema librust-tui-dev librust-crossterm-dev librust-serde-json-dev librust-clap-dev
           valgrind procps iproute2 doxygen quantum-espresso
           gridengine-master gridengine-exec gridengine-client postgresql)

want=("${build_pkgs[@]}")
if [[ "${1:-}" == "--test" ]]; then want+=("${test_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if (( ${#missing[@]} == 0 )); then
  exit 0
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
echo "install-deps: installing ${missing[*]}" >&2
# Packaged services must not start on install: the tests start their own,
# on loopback, and stop them by pid.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod 755 /usr/sbin/policy-rc.d
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
