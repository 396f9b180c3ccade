#!/usr/bin/env bash
# Install the Debian packages egov needs, only those missing. Safe to re-run.
#
#   scripts/system-deps.sh            tzdata, fonts (PDF), poppler-utils (PDF text checks, pdfsig), libnss3-tools (certutil: trust store for pdfsig), chromium (browser tests)
#   scripts/system-deps.sh --ci       the same plus postgresql (throwaway test cluster) and python3-venv
#   scripts/system-deps.sh --check    only report what is missing; never installs
#
# apt-get runs only as root on a Debian-like system; otherwise the script lists what is missing and
# how to install it, and exits 0 so that `make install` still works on a developer's laptop.
set -euo pipefail

packages=(tzdata fonts-dejavu-core poppler-utils libnss3-tools chromium)
check_only=0
for arg in "$@"; do
    case "$arg" in
        --ci) packages+=(postgresql python3-venv) ;;
        --postgres) packages+=(postgresql) ;;
        --check) check_only=1 ;;
        -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "system-deps: unknown option $arg" >&2; exit 2 ;;
    esac
done

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "system-deps: not a Debian-like system; install by hand: ${packages[*]}" >&2
    exit 0
fi

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for pkg in "${packages[@]}"; do
    installed "$pkg" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "system-deps: all present (${packages[*]})"
    exit 0
fi

if [ "$check_only" = 1 ] || [ "$(id -u)" != 0 ]; then
    echo "system-deps: missing ${missing[*]}; install with: sudo apt-get install -y ${missing[*]}" >&2
    exit 0
fi

echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Debian's postgresql package would create and start a "main" cluster we never use; the tests
# start a throwaway one (scripts/with-postgres.sh), so skip it when postgresql is installed here.
if printf '%s\n' "${missing[@]}" | grep -qx postgresql; then
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/egov-no-main.conf
fi
apt-get install -y -q --no-install-recommends "${missing[@]}"
