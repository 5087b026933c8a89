#!/bin/sh
# Install every Debian package Plinth's build, tests, fuzzing and demo need.
# Idempotent: runs apt-get only when something is missing.
set -eu

PKGS="build-essential pkg-config git ca-certificates apache2-utils iproute2
libgit2-dev libarchive-dev libjansson-dev libssl-dev libcurl4-openssl-dev
libcmocka-dev libyaml-dev libsqlite3-dev libzstd-dev zlib1g-dev libdeflate-dev libisal-dev
clang libclang-rt-14-dev
skopeo umoci docker-registry gpgv
tar gzip pigz zstd xz-utils time curl sqlite3 chromium
python3 python3-jsonschema golang-github-opencontainers-image-spec-dev
dpkg-dev apt-utils gnupg debian-archive-keyring mmdebstrap liblzma-dev fakeroot"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
