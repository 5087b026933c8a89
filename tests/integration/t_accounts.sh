# Declared accounts merge with an /etc/passwd and /etc/group that earlier
# layers brought, keep their lines, and refuse conflicting ids.
. "$(dirname "$0")/lib.sh"

R="$T/repo"
new_repo "$R"
mkdir -p "$R/files"
mktar "$R/files/etc.tar" d:etc "f:etc/passwd:root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin" "f:etc/group:root:x:0:
daemon:x:1:"
cat >"$R/recipes/acc.yaml" <<YAML
name: acc
layers:
  - tarballs: [{source: files/etc.tar, sha256: "$(sha256 "$R/files/etc.tar")"}]
accounts:
  users:
    - {name: svc, uid: 1000, home: /var/lib/svc, shell: /bin/false, gecos: "Service user"}
YAML
commit "$R"
cd "$R"
$PLINTH build --out "oci:$T/l" acc >/dev/null
umoci unpack --rootless --image "$T/l:acc:latest" "$T/b" >/dev/null
printf 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nsvc:x:1000:1000:Service user:/var/lib/svc:/bin/false\n' >"$T/want.passwd"
cmp "$T/b/rootfs/etc/passwd" "$T/want.passwd" || { cat "$T/b/rootfs/etc/passwd"; fail "merged passwd"; }
printf 'root:x:0:\ndaemon:x:1:\nsvc:x:1000:\n' >"$T/want.group"
cmp "$T/b/rootfs/etc/group" "$T/want.group" || { cat "$T/b/rootfs/etc/group"; fail "merged group"; }
[ -d "$T/b/rootfs/var/lib/svc" ] || fail "home directory"
ok "accounts merged with the image's own"

# a user whose gid the image already has joins that group
sed -i 's/uid: 1000,/uid: 1000, gid: 1,/' "$R/recipes/acc.yaml"
commit "$R"
$PLINTH build --out "oci:$T/l" acc >/dev/null
umoci unpack --rootless --image "$T/l:acc:latest" "$T/b2" >/dev/null
grep -q '^svc:x:1000:1:' "$T/b2/rootfs/etc/passwd" || fail "user in the image's group"
! grep -q '^svc:' "$T/b2/rootfs/etc/group" || fail "a group was made although gid 1 exists"
ok "joins an existing group"
sed -i 's/uid: 1000, gid: 1,/uid: 1000,/' "$R/recipes/acc.yaml"

# a declared uid that the image already gives to someone else is an error
sed -i 's/uid: 1000/uid: 1/' "$R/recipes/acc.yaml"
commit "$R"
expect_fail "uid conflict" "recipes/acc.yaml:6:7: uid 1 of user 'svc' is taken in /etc/passwd" $PLINTH build --out "oci:$T/l" acc
