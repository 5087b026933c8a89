# Peer tools from Debian 13 (trixie) for the integration tests, fetched
# without touching the machine's apt setup (sourced; POSIX sh, set -eu safe).
#
#   c=$(peers_cosign) || { echo "skip: no cosign 2.x"; exit 0; }
#   "$c" version
#   s=$(peers_skopeo_sigstore) || { echo "skip: no sigstore skopeo"; exit 0; }
#   "$s" --policy "$T/policy.json" copy ...
#
# Each prints the path of a ready tool. The first call downloads trixie's
# .debs with a private apt configuration (its own sources.list, state, cache,
# keyring and config parts, all in a temp dir: nothing under /etc/apt or
# /var/lib/apt is read for sources or written), unpacks them with dpkg-deb -x
# into ${PLINTH_PEERS_CACHE:-$HOME/.cache/plinth/peers} and checks that the
# tool runs. Later calls only look at the cache: no network. They exit
# non-zero with a "peers: ..." message on stderr when the fetch fails (no
# network, mirror down, key missing), so a test can skip. Remove the cache
# dir to fetch again.
#
# cosign from trixie runs directly on Debian 12 (it needs glibc 2.34 at
# most). trixie's skopeo needs glibc 2.38, so it runs through trixie's own
# dynamic loader over trixie's libc6, libgpgme, libassuan, libgpg-error,
# libsqlite3 and libgcc-s1, all unpacked beside it; the printed path is a
# wrapper script doing that. Give that skopeo --policy FILE (or
# --insecure-policy): the machine's /etc/containers files are Debian 12's.
#
# Knobs: PLINTH_PEERS_CACHE (cache dir), PLINTH_PEERS_MIRROR (default
# http://deb.debian.org/debian), PLINTH_PEERS_KEYRING (default
# /usr/share/keyrings/debian-archive-keyring.gpg, which on Debian 12 holds
# the "13/trixie" archive keys).

_peers_cache() {
	printf '%s\n' "${PLINTH_PEERS_CACHE:-${HOME:-/tmp}/.cache/plinth/peers}"
}

_peers_say() { echo "peers: $*" >&2; }

# _peers_fetch DEBDIR PKG...: download trixie's PKG... (.debs only, no
# dependencies, no install) into DEBDIR with a throwaway apt configuration.
_peers_fetch() (
	debdir=$1
	shift
	mirror=${PLINTH_PEERS_MIRROR:-http://deb.debian.org/debian}
	keyring=${PLINTH_PEERS_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
	for tool in apt-get dpkg-deb timeout; do
		command -v "$tool" >/dev/null 2>&1 || {
			_peers_say "$tool not found (Debian's apt and dpkg are needed to fetch trixie packages)"
			exit 1
		}
	done
	[ -r "$keyring" ] || {
		_peers_say "keyring $keyring not readable (apt-get install debian-archive-keyring, or set PLINTH_PEERS_KEYRING)"
		exit 1
	}
	a=$(mktemp -d "${TMPDIR:-/tmp}/plinth-peers-apt.XXXXXX") || exit 1
	trap 'rm -rf "$a"' EXIT
	mkdir -p "$a/state/lists/partial" "$a/cache/archives/partial" "$a/empty" || exit 1
	: >"$a/status"
	echo "deb [signed-by=$keyring] $mirror trixie main" >"$a/sources.list"
	# Read through APT_CONFIG, which apt reads before anything else: it points
	# Dir::Etc::parts and ::main away from /etc/apt too, so the machine's
	# apt.conf.d (proxies aside, hooks such as Update::Post-Invoke) stays out.
	cat >"$a/apt.conf" <<-EOF
		Dir::Etc::main "/dev/null";
		Dir::Etc::parts "$a/empty";
		Dir::Etc::sourcelist "$a/sources.list";
		Dir::Etc::sourceparts "$a/empty";
		Dir::Etc::trusted "$a/empty/none.gpg";
		Dir::Etc::trustedparts "$a/empty";
		Dir::Etc::preferences "$a/empty/none";
		Dir::Etc::preferencesparts "$a/empty";
		Dir::State "$a/state";
		Dir::State::status "$a/status";
		Dir::Cache "$a/cache";
		Dir::Cache::pkgcache "";
		Dir::Cache::srcpkgcache "";
		APT::Architecture "amd64";
		APT::Architectures { "amd64"; };
		APT::Sandbox::User "$(id -un)";
		Acquire::Languages "none";
		Acquire::http::Timeout "30";
		Acquire::https::Timeout "30";
		Acquire::Retries "2";
	EOF
	export APT_CONFIG="$a/apt.conf"
	if ! timeout 300 apt-get -q update >"$a/update.log" 2>&1 ||
		! ls "$a/state/lists/"*_trixie_main_binary-amd64_Packages* >/dev/null 2>&1; then
		_peers_say "cannot read trixie's package index from $mirror (network unavailable? key missing?):"
		grep -E '^(W|E|Err):|NO_PUBKEY' "$a/update.log" | head -n 5 | sed 's/^/peers:   /' >&2
		exit 1
	fi
	mkdir -p "$debdir" || exit 1
	if ! (cd "$debdir" && timeout 600 apt-get -q download "$@") >"$a/download.log" 2>&1; then
		_peers_say "apt-get download $* from trixie failed:"
		grep -E '^(W|E|Err):' "$a/download.log" | head -n 5 | sed 's/^/peers:   /' >&2
		exit 1
	fi
)

# _peers_install NAME PKG...: fetch PKG... into a fresh dir under the cache
# and unpack them all into its root/; prints that dir (to be checked and then
# published with _peers_publish).
_peers_install() (
	name=$1
	shift
	cache=$(_peers_cache)
	mkdir -p "$cache" || { _peers_say "cannot create cache dir $cache"; exit 1; }
	new=$(mktemp -d "$cache/.$name.XXXXXX") && chmod 755 "$new" || exit 1
	_peers_say "fetching $* from Debian trixie into $cache/$name (once)"
	if ! _peers_fetch "$new/debs" "$@"; then
		rm -rf "$new"
		exit 1
	fi
	for deb in "$new/debs/"*.deb; do
		dpkg-deb -x "$deb" "$new/root" || {
			_peers_say "dpkg-deb -x $deb failed"
			rm -rf "$new"
			exit 1
		}
		# shellcheck disable=SC2016 # dpkg-deb fields, not shell
		dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb" >>"$new/VERSIONS"
	done
	rm -rf "$new/debs"
	echo "$new"
)

# _peers_publish NEW NAME: move the checked NEW into place as $cache/NAME.
# A concurrent caller that got there first wins; ours is dropped.
_peers_publish() {
	_pp_dst="$(_peers_cache)/$2"
	touch "$1/.ok" || return 1
	if ! mv -T "$1" "$_pp_dst" 2>/dev/null; then
		rm -rf "$1"
		[ -f "$_pp_dst/.ok" ] || { _peers_say "cannot move $1 to $_pp_dst"; return 1; }
	fi
}

# peers_cosign: path of trixie's cosign (2.x)
peers_cosign() (
	dir="$(_peers_cache)/cosign"
	bin="$dir/root/usr/bin/cosign"
	if [ -f "$dir/.ok" ] && [ -x "$bin" ]; then
		echo "$bin"
		exit 0
	fi
	new=$(_peers_install cosign cosign) || exit 1
	# `cosign version` of Debian's build says GitVersion "devel": the
	# package version (2.x) is in VERSIONS; check it, and that it runs.
	if ! grep -Eq '^cosign 2\.' "$new/VERSIONS" ||
		! "$new/root/usr/bin/cosign" version >"$new/version.txt" 2>&1; then
		_peers_say "trixie's cosign ($(cat "$new/VERSIONS")) is not a 2.x that runs here:"
		head -n 5 "$new/version.txt" >&2 2>/dev/null
		rm -rf "$new"
		exit 1
	fi
	_peers_publish "$new" cosign || exit 1
	echo "$bin"
)

# peers_skopeo_sigstore: path of a wrapper running trixie's skopeo (>= 1.10,
# sigstore signing and sigstoreSigned policies) through trixie's loader
peers_skopeo_sigstore() (
	dir="$(_peers_cache)/skopeo"
	wrap="$dir/skopeo"
	if [ -f "$dir/.ok" ] && [ -x "$wrap" ]; then
		echo "$wrap"
		exit 0
	fi
	new=$(_peers_install skopeo skopeo libc6 libgcc-s1 libgpgme11t64 \
		libassuan9 libgpg-error0 libsqlite3-0) || exit 1
	lib="$new/root/usr/lib/x86_64-linux-gnu"
	ld="$lib/ld-linux-x86-64.so.2"
	if ! [ -x "$ld" ] || ! [ -x "$new/root/usr/bin/skopeo" ]; then
		_peers_say "trixie's skopeo or loader missing from the unpacked packages"
		rm -rf "$new"
		exit 1
	fi
	# The wrapper finds its tree from its own path, so the cache dir can move.
	cat >"$new/skopeo" <<-'EOF'
		#!/bin/sh
		# trixie's skopeo through trixie's own loader and libraries (peers.sh)
		r=$(cd "$(dirname "$0")" && pwd)/root
		l="$r/usr/lib/x86_64-linux-gnu"
		exec "$l/ld-linux-x86-64.so.2" --library-path "$l" --argv0 skopeo "$r/usr/bin/skopeo" "$@"
	EOF
	chmod 755 "$new/skopeo"
	# every library must come from the private tree, none from the machine
	"$ld" --library-path "$lib" --list "$new/root/usr/bin/skopeo" >"$new/ldd.txt" 2>&1 || true
	stray=$(grep '=>' "$new/ldd.txt" | grep -v "=> $lib/" || true)
	ver=$("$new/skopeo" --version 2>&1 || true)
	minor=$(printf '%s\n' "$ver" | sed -n 's/^skopeo version 1\.\([0-9]*\).*/\1/p')
	if [ -n "$stray" ] || [ -z "$minor" ] || [ "$minor" -lt 10 ]; then
		_peers_say "trixie's skopeo does not run here as wanted (need >= 1.10): ${ver:-no output}"
		[ -z "$stray" ] || _peers_say "libraries from outside $lib: $stray"
		rm -rf "$new"
		exit 1
	fi
	if ! "$new/skopeo" standalone-sign --help >/dev/null 2>&1 ||
		! "$new/skopeo" copy --help 2>&1 | grep -q -- --sign-by-sigstore-private-key; then
		_peers_say "trixie's skopeo ($ver) lacks sigstore signing"
		rm -rf "$new"
		exit 1
	fi
	_peers_publish "$new" skopeo || exit 1
	echo "$wrap"
)
