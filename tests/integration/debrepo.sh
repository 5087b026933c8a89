# Helpers to build a signed local apt repository of tiny real .debs (sourced
# after lib.sh). Needs dpkg-deb, apt-ftparchive and gpg.

# mkdeb OUTDIR NAME VERSION CONTROL-EXTRA-LINES [FILE=CONTENT...] (etc/* are conffiles,
# *.gz files are written gzip'd)
mkdeb() {
	out=$1 name=$2 version=$3 extra=$4
	shift 4
	d="$T/debsrc/$name-$version"
	rm -rf "$d"
	mkdir -p "$d/DEBIAN"
	for f in "$@"; do
		p=${f%%=*}
		mkdir -p "$d/$(dirname "$p")"
		case "$p" in
		*.gz) printf '%s\n' "${f#*=}" >"$d/${p%.gz}" && gzip -9n "$d/${p%.gz}" ;;
		*) printf '%s\n' "${f#*=}" >"$d/$p" ;;
		esac
		# files under /etc are conffiles, as debhelper makes them
		case "$p" in etc/*) echo "/$p" >>"$d/DEBIAN/conffiles" ;; esac
	done
	{
		echo "Package: $name"
		echo "Version: $version"
		echo "Architecture: amd64"
		echo "Maintainer: Plinth Tests <test@plinth.invalid>"
		[ -n "$extra" ] && printf '%s\n' "$extra"
		echo "Description: test package $name"
	} >"$d/DEBIAN/control"
	# MKDEB_SETUID names a file to ship setuid (mode 4755)
	[ -n "${MKDEB_SETUID:-}" ] && chmod 4755 "$d/$MKDEB_SETUID"
	(cd "$d" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | sort |
		xargs -r md5sum >DEBIAN/md5sums)
	mkdir -p "$out"
	dpkg-deb --root-owner-group -Zgzip --build "$d" "$out/${name}_${version}_amd64.deb" >/dev/null
}

# gpg_key DIR: a throwaway signing key in DIR/gnupg; public key at DIR/key.gpg
gpg_key() {
	export GNUPGHOME="$1/gnupg"
	mkdir -p "$GNUPGHOME"
	chmod 700 "$GNUPGHOME"
	gpg --batch --quiet --passphrase '' --quick-gen-key "Plinth Test Repo <repo@plinth.invalid>" ed25519 sign never 2>/dev/null
	gpg --batch --quiet --export >"$1/key.gpg"
}

# index_repo REPO SUITE: Packages(.gz,.xz), Release, InRelease, Release.gpg
index_repo() {
	repo=$1 suite=$2
	dir="$repo/dists/$suite/main/binary-amd64"
	mkdir -p "$dir"
	(cd "$repo" && apt-ftparchive packages pool >"dists/$suite/main/binary-amd64/Packages")
	gzip -9nkf "$dir/Packages"
	xz -kf "$dir/Packages"
	(cd "$repo/dists/$suite" && apt-ftparchive \
		-o APT::FTPArchive::Release::Suite="$suite" \
		-o APT::FTPArchive::Release::Codename="${CODENAME:-$suite}" \
		-o APT::FTPArchive::Release::Architectures=amd64 \
		-o APT::FTPArchive::Release::Components=main release . >Release)
	sign_repo "$repo" "$suite"
}

sign_repo() {
	rm -f "$1/dists/$2/InRelease" "$1/dists/$2/Release.gpg"
	gpg --batch --quiet --yes --clearsign -o "$1/dists/$2/InRelease" "$1/dists/$2/Release"
	gpg --batch --quiet --yes --detach-sign -o "$1/dists/$2/Release.gpg" "$1/dists/$2/Release"
}
