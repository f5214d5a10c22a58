#!/usr/bin/env bash
# install-deps.sh - install the Debian packages netsift needs to build,
# test and benchmark, if any are missing.  Used by `make demo`, `make test`
# (--test), `make build` and `make bench` (--bench: the test packages and
# matplotlib for the chart); safe to run again (does nothing when all are
# present).
set -euo pipefail

# build and runtime libraries
packages=(gcc make cmake pkg-config libpcap-dev libsqlite3-dev libxxhash-dev libssl-dev libndpi-dev libpq-dev
          zlib1g-dev libprotobuf-c-dev protobuf-c-compiler libpcre2-dev libjansson-dev sqlite3)
if [ "${1:-}" = "--test" ] || [ "${1:-}" = "--bench" ]; then
  # tests, fuzzing, peers for differential tests and benchmarks
  packages+=(libcmocka-dev clang libclang-rt-14-dev tshark wireshark-common tcpdump
             tcpreplay iproute2 sqlite3 python3 valgrind time libcap2-bin libndpi-bin tcpflow
             postgresql python3-protobuf ngrep python3-prometheus-client)
fi
if [ "${1:-}" = "--bench" ]; then
  packages+=(python3-matplotlib) # bench/run's bar chart
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "netsift: installing missing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "netsift: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
