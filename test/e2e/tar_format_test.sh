#!/usr/bin/env bash
# The tar streams of ocib's layers (lib/archive/tar_writer.h), read back by
# tools ocib did not write: GNU tar (list and extract), Python's tarfile
# (every header field, pax records and content) and umoci (unpacks the
# image). The `--file` tree has the cases ustar alone cannot hold: paths of
# more than 100 and 255 bytes, a UTF-8 name, a symlink with a 273-byte
# target, and an mtime after 2242 (SOURCE_DATE_EPOCH=9000000000); and the
# plain ones: hard links, an empty directory, an empty file. Host modes keep
# only their exec bit (README, "Reproducibility rules"): a setuid host file
# lands as 0755, and the base's /tmp (01777) carries a mode beyond 0777.
source "$(dirname "$0")/lib.sh"
need jq tar gzip zstd sha256sum umoci /usr/bin/python3
export TZ=UTC

S=$T/src
d60=$(printf 'd%.0s' {1..60}) e60=$(printf 'e%.0s' {1..60})
x100=$(printf 'x%.0s' {1..100}) y100=$(printf 'y%.0s' {1..100}) z60=$(printf 'z%.0s' {1..60})
long1="deep/$d60/$e60/file.txt"          # 134 bytes under srv/: a ustar prefix/name split
long2="$x100/$y100/$z60.txt"             # 270 bytes under srv/: a pax path
utf8="h$(printf '\xc3\xa9')llo-w$(printf '\xc3\xb6')rld-$(printf '\xe2\x98\x83').txt"  # héllo-wörld-☃.txt
mkdir -p "$S/deep/$d60/$e60" "$S/$x100/$y100" "$S/hl" "$S/empty-dir"
echo long1 > "$S/$long1"
echo long2 > "$S/$long2"
echo utf > "$S/$utf8"
ln -s "../$long2" "$S/deep/longlink"     # a 273-byte target: a pax linkpath
echo shared > "$S/hl/a.txt"
ln "$S/hl/a.txt" "$S/hl/b.txt"
: > "$S/empty.txt"
printf '#!/bin/sh\necho run\n' > "$S/run.sh"
chmod 4755 "$S/run.sh"
printf '#!/bin/sh\necho app\n' > "$T/app"
chmod 755 "$T/app"

# build OUT EPOCH COMPRESSION: an image whose layers are [base, --file tree, app].
build() {
  SOURCE_DATE_EPOCH=$2 "$OCIB" build -q --no-cache --sbom none --compression "$3" \
    --binary-unchecked --binary linux/amd64="$T/app" --file "$S:/srv" --output "oci:$1:v1" >/dev/null 2>"$T/err" ||
    { cat "$T/err"; die "ocib build failed"; }
}
# layer OUT N DEST: layer N of OUT, decompressed into DEST.
layer() {
  local m cfg d mt
  m=$(blob "$1" "$(tagged "$1" v1)")
  d=$(jq -r ".layers[$2].digest" "$m")
  mt=$(jq -r ".layers[$2].mediaType" "$m")
  case $mt in
    *+gzip) gzip -dc "$(blob "$1" "$d")" > "$3" ;;
    *+zstd) zstd -qdc "$(blob "$1" "$d")" > "$3" ;;
    *) cp "$(blob "$1" "$d")" "$3" ;;
  esac
  cfg=$(blob "$1" "$(jq -r .config.digest "$m")")
  expect_eq "layer $2 of $(basename "$1"): sha256sum of the tar is the config's diff_id" \
    "sha256:$(sha256sum < "$3" | cut -d' ' -f1)" "$(jq -r ".rootfs.diff_ids[$2]" "$cfg")"
}

build "$T/far" 9000000000 gzip
layer "$T/far" 0 "$T/base.tar"
layer "$T/far" 1 "$T/files.tar"

# 1. GNU tar lists every entry with its type, mode, owner, size, time and link.
rc=0
tar --quoting-style=literal --full-time -tvf "$T/files.tar" > "$T/list" 2> "$T/list.err" || rc=$?
expect_eq "GNU tar lists the layer (exit status)" "$rc" 0
expect_eq "GNU tar says nothing on stderr" "$(cat "$T/list.err")" ""
tr -s ' ' < "$T/list" > "$T/list1"
when=$(date -u -d @9000000000 '+%Y-%m-%d %H:%M:%S')
expect_eq "the time is 9000000000 ($when)" "$(awk '{print $4" "$5}' "$T/list1" | sort -u)" "$when"
expect_eq "GNU tar lists as many entries as the tree has" "$(wc -l < "$T/list1")" \
  "$(find "$S" | wc -l)"
for line in \
  "drwxr-xr-x 0/0 0 $when srv/" \
  "-rw-r--r-- 0/0 6 $when srv/$long1" \
  "-rw-r--r-- 0/0 6 $when srv/$long2" \
  "drwxr-xr-x 0/0 0 $when srv/$x100/$y100/" \
  "-rw-r--r-- 0/0 4 $when srv/$utf8" \
  "lrwxrwxrwx 0/0 0 $when srv/deep/longlink -> ../$long2" \
  "-rw-r--r-- 0/0 7 $when srv/hl/a.txt" \
  "hrw-r--r-- 0/0 0 $when srv/hl/b.txt link to srv/hl/a.txt" \
  "drwxr-xr-x 0/0 0 $when srv/empty-dir/" \
  "-rw-r--r-- 0/0 0 $when srv/empty.txt" \
  "-rwxr-xr-x 0/0 $(stat -c %s "$S/run.sh") $when srv/run.sh"; do
  check "GNU tar lists: ${line:0:60}…" grep -qxF -- "$line" "$T/list1"
done
tar --full-time -tvf "$T/base.tar" 2>&1 | tr -s ' ' > "$T/base.list"
check "GNU tar lists the base's tmp/ as drwxrwxrwt" grep -qxF "drwxrwxrwt 0/0 0 $when tmp/" "$T/base.list"

# 2. GNU tar extracts it: the same bytes, links and times as the source.
mkdir "$T/x"
check "GNU tar extracts the layer" tar --warning=no-timestamp -xf "$T/files.tar" -C "$T/x"
check "the extracted tree has the source's content (diff -r)" diff -r "$S" "$T/x/srv"
expect_eq "the extracted hard links share an inode" "$(stat -c %i "$T/x/srv/hl/a.txt")" \
  "$(stat -c %i "$T/x/srv/hl/b.txt")"
expect_eq "the extracted symlink keeps its target" "$(readlink "$T/x/srv/deep/longlink")" "../$long2"
expect_eq "the extracted mtime is 9000000000" "$(stat -c %Y "$T/x/srv/$utf8")" 9000000000

# 3. Python's tarfile: every member against the source tree.
cat > "$T/check.py" <<'EOF'
import os, sys, tarfile
tar_path, src, dest, epoch, pax_mtime = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1"
errors = []
def want(cond, what):
    if not cond: errors.append(what)
# A path fits ustar in the 100-byte name field, or split at a '/' into a
# prefix of at most 155 bytes and a name of 1 to 100 bytes.
def fits_ustar(path):
    b = path.encode()
    return len(b) <= 100 or any(
        b[i] == ord("/") and 0 < i <= 155 and 0 < len(b) - i - 1 <= 100 for i in range(len(b)))
# The entries ocib writes for `--file src:/dest`: every path, sorted bytewise;
# directories 0755, symlinks 0777, files 0755 or 0644 by their exec bit; a
# file sharing an inode with an earlier path is a hard link to it.
paths = [""]
for root, dirs, files in os.walk(src):
    for n in dirs + files:
        paths.append(os.path.relpath(os.path.join(root, n), src))
expected, first = [], {}
for rel in sorted(paths, key=os.fsencode):
    host = os.path.join(src, rel) if rel else src
    name = dest + ("/" + rel if rel else "")
    st = os.lstat(host)
    if os.path.islink(host):
        expected.append((name, tarfile.SYMTYPE, 0o777, 0, os.readlink(host), None))
    elif os.path.isdir(host):
        expected.append((name, tarfile.DIRTYPE, 0o755, 0, "", None))
    else:
        mode = 0o755 if st.st_mode & 0o111 else 0o644
        key = (st.st_dev, st.st_ino)
        if st.st_nlink > 1 and key in first:
            expected.append((name, tarfile.LNKTYPE, mode, 0, first[key], None))
        else:
            first.setdefault(key, name)
            expected.append((name, tarfile.REGTYPE, mode, st.st_size, "", host))
with tarfile.open(tar_path, "r:") as t:
    members = t.getmembers()
    want(len(members) == len(expected) and [m.name for m in members] == [e[0] for e in expected],
         "names differ: %r" % sorted(set(m.name for m in members) ^ set(e[0] for e in expected)))
    for m, (name, typ, mode, size, link, host) in zip(members, expected):
        got = (m.name, m.type, m.mode, m.size, m.linkname, m.mtime, m.uid, m.gid, m.uname, m.gname)
        exp = (name, typ, mode, size, link, epoch, 0, 0, "", "")
        want(got == exp, "%s: got %r, want %r" % (name, got, exp))
        if host is not None:
            with open(host, "rb") as f:
                want(t.extractfile(m).read() == f.read(), name + ": content differs")
        # pax records only where ustar cannot hold the value.
        needs_path = not m.name.isascii() or not fits_ustar(m.name + ("/" if m.isdir() else ""))
        want(("path" in m.pax_headers) == needs_path, "%s: pax path %r" % (name, m.pax_headers))
        if needs_path:
            want(m.pax_headers["path"].rstrip("/") == name, "%s: pax path value" % name)
        want(("linkpath" in m.pax_headers) == (len(link.encode()) > 100 and m.issym()),
             "%s: pax linkpath %r" % (name, m.pax_headers))
        want(m.pax_headers.get("mtime") == (str(epoch) if pax_mtime else None),
             "%s: pax mtime %r" % (name, m.pax_headers))
        want(not (set(m.pax_headers) - {"path", "linkpath", "mtime"}),
             "%s: unexpected pax records %r" % (name, m.pax_headers))
for e in errors:
    print(e)
print("%d members checked, %d errors" % (len(expected), len(errors)))
sys.exit(1 if errors else 0)
EOF
check "Python's tarfile reads every member as the source has it (mtime 9000000000 as pax)" \
  /usr/bin/python3 "$T/check.py" "$T/files.tar" "$S" srv 9000000000 1
check "Python's tarfile sees the base's tmp as a 01777 directory" /usr/bin/python3 -c '
import sys, tarfile
m = tarfile.open(sys.argv[1]).getmember("tmp")
sys.exit(0 if m.isdir() and m.mode == 0o1777 and m.mtime == 9000000000 else 1)' "$T/base.tar"

# An mtime ustar holds needs no pax mtime; zstd gives the same tar bytes.
build "$T/near" 1700000000 zstd
layer "$T/near" 1 "$T/near.tar"
check "Python's tarfile reads the 1700000000 layer (no pax mtime)" \
  /usr/bin/python3 "$T/check.py" "$T/near.tar" "$S" srv 1700000000 0
check "GNU tar lists the 1700000000 layer" bash -c 'tar -tf "$1" > /dev/null' _ "$T/near.tar"

# 4. umoci unpacks the image (gzip layers) into a root filesystem.
umoci unpack --image "$T/far:v1" "$T/bundle" >/dev/null 2>"$T/err" || { cat "$T/err"; die "umoci unpack failed"; }
R=$T/bundle/rootfs
check "umoci's rootfs has the source's content (diff -r)" diff -r "$S" "$R/srv"
expect_eq "umoci: the hard links share an inode" "$(stat -c %i "$R/srv/hl/a.txt")" \
  "$(stat -c %i "$R/srv/hl/b.txt")"
expect_eq "umoci: the long symlink target" "$(readlink "$R/srv/deep/longlink")" "../$long2"
expect_eq "umoci: modes of the UTF-8 file, run.sh, empty-dir, tmp" \
  "$(stat -c %a "$R/srv/$utf8" "$R/srv/run.sh" "$R/srv/empty-dir" "$R/tmp" | tr '\n' ' ')" \
  "644 755 755 1777 "
expect_eq "umoci: the empty file is empty" "$(stat -c %s "$R/srv/empty.txt")" 0
expect_eq "umoci: mtime 9000000000" "$(stat -c %Y "$R/srv/$long2")" 9000000000
finish
