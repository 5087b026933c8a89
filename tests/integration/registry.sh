# Registry peers for the integration tests (sourced after lib.sh; POSIX sh,
# set -eu safe). Everything listens on 127.0.0.1 only and lives under $T.
#
#   reg_free_port                 print a free TCP port on 127.0.0.1
#   reg_ca DIR                    DIR/ca.crt, DIR/server.crt, DIR/server.key
#                                 (127.0.0.1, localhost), DIR/other-ca.crt
#   reg_token_cert DIR            DIR/token.key, DIR/token.crt (token signer)
#   reg_start NAME [--tls CADIR] [--htpasswd USER:PASS]... \
#             [--token REALM_URL CERT] [--port PORT]
#                                 docker-registry in $T/reg-NAME (config.yml,
#                                 data/, log); sets REG_NAME=127.0.0.1:PORT
#   proxy_start NAME UPSTREAM_ADDR PLANFILE
#                                 faultproxy.py; sets PROXY_NAME=127.0.0.1:PORT,
#                                 logs to $T/proxy-NAME/log.jsonl
#   token_start NAME KEYDIR [--users U:P[:ACTIONS],...] [--ttl S] [--anonymous pull|none]
#                                 tokenserver.py with KEYDIR/token.{key,crt};
#                                 sets TOKEN_NAME=127.0.0.1:PORT, realm is
#                                 http://$TOKEN_NAME/token, log in
#                                 $T/token-NAME/log.jsonl
#   reg_stop_all                  stop every server started here
#
# The variables are set, not printed, because the PID bookkeeping must happen
# in the test's own shell: never call these in $(...). NAME is [A-Za-z0-9_].
# Tests do `trap reg_stop_all EXIT`. Needs docker-registry, openssl, curl,
# htpasswd (apache2-utils), ss (iproute2) and python3.

# the directory of the sourcing test script, where the python servers live
REG_HERE=${REG_HERE:-$(cd "$(dirname "$0")" && pwd)}
REG_PIDS="$T/.reg-pids"

# reg_free_port: a port the kernel just handed out on 127.0.0.1. Another
# process could take it before we bind it; run.sh runs tests one at a time,
# so that race is theoretical here.
reg_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

reg_check_name() {
	case "$1" in
	'' | *[!A-Za-z0-9_]*) echo "registry.sh: bad server name '$1'" >&2 && return 1 ;;
	esac
}

# reg_ca DIR: a throwaway CA, a server certificate it signs for 127.0.0.1 and
# localhost, and an unrelated CA for "unknown CA" tests. EC P-256 keys: fast.
reg_ca() {
	d=$1
	mkdir -p "$d"
	for ca in ca other-ca; do
		openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-keyout "$d/$ca.key" -out "$d/$ca.crt" -days 7 \
			-subj "/CN=Plinth Test $ca" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	done
	openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=localhost" 2>/dev/null
	printf '%s\n' "basicConstraints=CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=serverAuth" \
		"subjectAltName=IP:127.0.0.1,DNS:localhost" >"$d/server.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
		-days 7 -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null
	rm -f "$d/server.csr" "$d/server.ext"
}

# reg_token_cert DIR: the token signer, an RSA key and a self-signed
# certificate for it. The certificate is both the registry's rootcertbundle
# and the token's x5c chain.
reg_token_cert() {
	mkdir -p "$1"
	openssl req -x509 -new -nodes -newkey rsa:2048 -keyout "$1/token.key" \
		-out "$1/token.crt" -days 7 -subj "/CN=plinth-test-issuer" 2>/dev/null
}

# reg_alive PID: the process exists and is not a zombie (a child of this
# shell that has exited stays a zombie until waited for, and kill -0 still
# succeeds on it)
reg_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]
}

# reg_listening PID PORT: PID itself listens on 127.0.0.1:PORT. A probe
# alone is not enough: with a port taken by someone else, the probe would
# reach that other server while ours dies with "address already in use".
reg_listening() {
	ss -Hltnp "sport = :$2" 2>/dev/null | grep -q "^LISTEN .* 127\.0\.0\.1:$2 .*pid=$1,"
}

# reg_wait NAME PID PORT LOG [PROBE...]: wait until PID listens on PORT and
# PROBE (if any) succeeds, 10 s at most; fail early, showing LOG, if PID dies.
reg_wait() {
	_n=$1 _pid=$2 _port=$3 _log=$4
	shift 4
	_i=0
	until reg_listening "$_pid" "$_port" && { [ $# -eq 0 ] || "$@" >/dev/null 2>&1; }; do
		if ! reg_alive "$_pid"; then
			echo "registry.sh: $_n exited during startup; its log:" >&2
			cat "$_log" >&2 || true
			return 1
		fi
		_i=$((_i + 1))
		if [ "$_i" -ge 100 ]; then
			echo "registry.sh: $_n not ready on port $_port after 10 s; its log:" >&2
			cat "$_log" >&2 || true
			return 1
		fi
		sleep 0.1
	done
}

# reg_http_up URL [CURL-ARGS...]: the server answers HTTP at all (any status)
reg_http_up() {
	_code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@") || return 1
	[ "$_code" != 000 ]
}

reg_start() {
	_name=$1
	shift
	reg_check_name "$_name"
	_tls="" _port="" _realm="" _tcert="" _users=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--tls) _tls=$2 && shift 2 ;;
		--htpasswd) _users="$_users $2" && shift 2 ;; # no spaces in USER:PASS
		--token) _realm=$2 _tcert=$3 && shift 3 ;;
		--port) _port=$2 && shift 2 ;;
		*) echo "reg_start: unknown option '$1'" >&2 && return 1 ;;
		esac
	done
	if [ -n "$_users" ] && [ -n "$_realm" ]; then
		echo "reg_start: --htpasswd and --token exclude each other" >&2
		return 1
	fi
	[ -n "$_port" ] || _port=$(reg_free_port)
	_d="$T/reg-$_name"
	mkdir -p "$_d/data"
	: >"$_d/log"
	{
		echo "version: 0.1"
		echo "log:"
		echo "  level: warn"
		echo "storage:"
		echo "  filesystem:"
		echo "    rootdirectory: $_d/data"
		echo "  delete:"
		echo "    enabled: true"
		echo "  maintenance:"
		echo "    uploadpurging:"
		echo "      enabled: false"
		echo "http:"
		echo "  addr: 127.0.0.1:$_port"
		# fixed: the default is random per start, which breaks upload URLs
		# across a restart of the same registry
		echo "  secret: plinth-test-secret"
		echo "  headers:"
		echo "    X-Content-Type-Options: [nosniff]"
		if [ -n "$_tls" ]; then
			echo "  tls:"
			echo "    certificate: $_tls/server.crt"
			echo "    key: $_tls/server.key"
		fi
		if [ -n "$_users" ]; then
			echo "auth:"
			echo "  htpasswd:"
			echo "    realm: plinth-test"
			echo "    path: $_d/htpasswd"
		fi
		if [ -n "$_realm" ]; then
			echo "auth:"
			echo "  token:"
			echo "    realm: $_realm"
			echo "    service: plinth-test"
			echo "    issuer: plinth-test-issuer"
			echo "    rootcertbundle: $_tcert"
		fi
	} >"$_d/config.yml"
	: >"$_d/htpasswd"
	for _u in $_users; do
		# the password goes in on stdin, not in argv
		printf '%s\n' "${_u#*:}" | htpasswd -niB "${_u%%:*}" 2>/dev/null | grep . >>"$_d/htpasswd"
	done
	docker-registry serve "$_d/config.yml" >>"$_d/log" 2>&1 &
	_pid=$!
	echo "$_pid" >>"$REG_PIDS"
	if [ -n "$_tls" ]; then
		reg_wait "registry $_name" "$_pid" "$_port" "$_d/log" \
			reg_http_up --cacert "$_tls/ca.crt" "https://127.0.0.1:$_port/v2/"
	else
		reg_wait "registry $_name" "$_pid" "$_port" "$_d/log" reg_http_up "http://127.0.0.1:$_port/v2/"
	fi
	eval "REG_$_name=127.0.0.1:$_port"
}

proxy_start() {
	_name=$1 _up=$2 _plan=$3
	reg_check_name "$_name"
	_port=$(reg_free_port)
	_d="$T/proxy-$_name"
	mkdir -p "$_d"
	: >"$_d/log.jsonl"
	python3 "$REG_HERE/faultproxy.py" --listen "127.0.0.1:$_port" --upstream "$_up" \
		--plan "$_plan" --log "$_d/log.jsonl" >"$_d/stderr" 2>&1 &
	_pid=$!
	echo "$_pid" >>"$REG_PIDS"
	reg_wait "proxy $_name" "$_pid" "$_port" "$_d/stderr"
	eval "PROXY_$_name=127.0.0.1:$_port"
}

token_start() {
	_name=$1 _kd=$2
	shift 2
	reg_check_name "$_name"
	_port=$(reg_free_port)
	_d="$T/token-$_name"
	mkdir -p "$_d"
	: >"$_d/log.jsonl"
	python3 "$REG_HERE/tokenserver.py" --listen "127.0.0.1:$_port" \
		--key "$_kd/token.key" --cert "$_kd/token.crt" --log "$_d/log.jsonl" "$@" \
		>"$_d/stderr" 2>&1 &
	_pid=$!
	echo "$_pid" >>"$REG_PIDS"
	reg_wait "token server $_name" "$_pid" "$_port" "$_d/stderr"
	eval "TOKEN_$_name=127.0.0.1:$_port"
}

# reg_stop_all: TERM every server started here, wait for each, KILL what is
# still there after 5 s. Never fails, so it is safe in an EXIT trap.
reg_stop_all() {
	[ -f "$REG_PIDS" ] || return 0
	for _p in $(cat "$REG_PIDS"); do
		kill "$_p" 2>/dev/null || true
	done
	for _p in $(cat "$REG_PIDS"); do
		_i=0
		while reg_alive "$_p" && [ "$_i" -lt 50 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -9 "$_p" 2>/dev/null || true
		wait "$_p" 2>/dev/null || true
	done
	rm -f "$REG_PIDS"
	return 0
}
