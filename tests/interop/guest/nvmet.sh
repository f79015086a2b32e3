# nvmet configfs helpers, sourced by the requests the host sends over the
# control channel (". /lib/nvmet.sh; ns_add ..."). Each function checks its
# arguments, says what failed on stderr and returns non-zero, so a test sees
# the reason in the ctl output. Layout: Documentation/nvme/nvmet (kernel),
# drivers/nvme/target/configfs.c.
CFS=/sys/kernel/config/nvmet
GUEST_ADDR=10.0.2.15

die() { echo "nvmet.sh: $*" >&2; return 1; }
wr() { printf '%s\n' "$2" > "$1" || die "cannot write '$2' to $1"; }

# Block device whose virtio serial is $1 (the host names every disk).
dev_by_serial() {
	for d in /sys/block/vd*; do
		[ -e "$d/serial" ] || continue
		if [ "$(cat "$d/serial")" = "$1" ]; then echo "/dev/${d##*/}"; return 0; fi
	done
	die "no virtio disk with serial '$1'"
}

subsys_add() {	# NQN [ALLOW_ANY=1]
	[ -n "$1" ] || die "subsys_add: NQN missing" || return
	mkdir -p "$CFS/subsystems/$1" || die "cannot create subsystem $1" || return
	wr "$CFS/subsystems/$1/attr_allow_any_host" "${2:-1}"
}

subsys_remove() {	# NQN: unlinks it from every port and drops its namespaces first
	s="$CFS/subsystems/$1"
	[ -d "$s" ] || die "no subsystem $1" || return
	for l in "$CFS"/ports/*/subsystems/"$1"; do [ -L "$l" ] && rm "$l"; done
	for h in "$s"/allowed_hosts/*; do [ -L "$h" ] && rm "$h"; done
	for n in "$s"/namespaces/*; do [ -d "$n" ] && ns_remove "$1" "${n##*/}"; done
	rmdir "$s"
}

allow_any() {	# NQN 0|1 (nvmet refuses 1 while the allow-list is not empty)
	[ -d "$CFS/subsystems/$1" ] || die "no subsystem $1" || return
	if [ "$2" = 1 ] && [ -n "$(ls "$CFS/subsystems/$1/allowed_hosts")" ]; then
		die "allow_any_host 1 needs an empty allow-list (host-deny first): $(ls "$CFS/subsystems/$1/allowed_hosts")"
		return
	fi
	wr "$CFS/subsystems/$1/attr_allow_any_host" "$2"
}

ns_add() {	# NQN NSID PATH [UUID NGUID] (block device or file)
	s="$CFS/subsystems/$1"
	[ -d "$s" ] || die "no subsystem $1" || return
	[ -e "$3" ] || die "backing '$3' does not exist" || return
	n="$s/namespaces/$2"
	mkdir "$n" || die "cannot create namespace $2 in $1" || return
	# tmpfs has no O_DIRECT, which nvmet's file backend uses unless told otherwise.
	[ -f "$3" ] && wr "$n/buffered_io" 1
	# A fixed identity: without it nvmet makes up a new UUID (and reports no
	# NGUID) each time the namespace is created, so a host reconnecting after
	# a guest restart would rightly take it for a different namespace. Both
	# attributes can only be written while the namespace is disabled.
	if { [ -z "$4" ] || wr "$n/device_uuid" "$4"; } &&
		{ [ -z "$5" ] || wr "$n/device_nguid" "$5"; } &&
		wr "$n/device_path" "$3" && wr "$n/enable" 1; then return 0; fi
	rmdir "$n"
	return 1
}

ns_add_disk() {	# NQN NSID SERIAL [UUID NGUID]
	dev=$(dev_by_serial "$3") || return
	ns_add "$1" "$2" "$dev" "$4" "$5"
}

ns_add_file() {	# NQN NSID SIZE: a namespace backed by a file in the guest's tmpfs
	f="/run/ns-$(echo "$1" | md5sum | cut -c1-8)-$2.img"
	truncate -s "$3" "$f" || die "cannot create $f of size $3" || return
	ns_add "$1" "$2" "$f" || { rm -f "$f"; return 1; }
}

ns_remove() {	# NQN NSID
	n="$CFS/subsystems/$1/namespaces/$2"
	[ -d "$n" ] || die "no namespace $2 in $1" || return
	f=$(cat "$n/device_path")
	echo 0 > "$n/enable"
	rmdir "$n" || die "cannot remove namespace $2 of $1" || return
	case "$f" in /run/ns-*) rm -f "$f" ;; esac
	return 0
}

ns_resize() {	# NQN NSID [SIZE]: SIZE resizes a file-backed namespace; a disk is resized by the host first
	n="$CFS/subsystems/$1/namespaces/$2"
	[ -d "$n" ] || die "no namespace $2 in $1" || return
	f=$(cat "$n/device_path")
	if [ -n "$3" ]; then
		[ -f "$f" ] || die "namespace $2 is backed by $f, not a file: resize the disk from the host" || return
		truncate -s "$3" "$f" || return
	fi
	wr "$n/revalidate_size" 1
}

port_add() {	# ID TRSVCID [NQN...]: links NQNs, or what port_remove saved, or every subsystem
	p="$CFS/ports/$1"
	mkdir "$p" || die "cannot create port $1" || return
	wr "$p/addr_trtype" tcp && wr "$p/addr_adrfam" ipv4 &&
		wr "$p/addr_traddr" "$GUEST_ADDR" && wr "$p/addr_trsvcid" "$2" || return
	# A TLS port (port_add_tls) stays one across port_remove/port_add. tsas before treq:
	# writing tsas resets treq. Both only while the port is disabled (no subsystem linked).
	if [ -f "/run/port-$1.tls" ]; then
		wr "$p/addr_tsas" tls1.3 && wr "$p/addr_treq" "$(cat "/run/port-$1.tls")" ||
			die "port $1: this kernel refuses TLS (CONFIG_NVME_TARGET_TCP_TLS?)" || return
	fi
	id=$1; shift 2
	if [ $# -eq 0 ] && [ -f "/run/port-$id.links" ]; then
		set -- $(cat "/run/port-$id.links")
	elif [ $# -eq 0 ]; then
		for s in "$CFS"/subsystems/*; do [ -d "$s" ] && set -- "$@" "${s##*/}"; done
	fi
	for nqn in "$@"; do port_link "$id" "$nqn" || return; done
	rm -f "/run/port-$id.links"
}

port_add_tls() {	# ID TRSVCID TREQ [NQN...]: port_add with addr_tsas tls1.3 and addr_treq TREQ
	# ("required" or "not required"). The kernel hands each handshake to tlshd, which finds
	# the PSK by the identity the host sends in the .nvme keyring (tls_key_add).
	printf '%s\n' "$3" > "/run/port-$1.tls"
	id=$1 svc=$2
	shift 3
	port_add "$id" "$svc" "$@"
}

port_link() {	# ID NQN
	[ -d "$CFS/subsystems/$2" ] || die "no subsystem $2" || return
	ln -s "$CFS/subsystems/$2" "$CFS/ports/$1/subsystems/$2" || die "cannot link $2 to port $1"
}

port_remove() {	# ID: remembers its links for a later port_add
	p="$CFS/ports/$1"
	[ -d "$p" ] || die "no port $1" || return
	: > "/run/port-$1.links"
	for l in "$p"/subsystems/*; do
		[ -L "$l" ] || continue
		echo "${l##*/}" >> "/run/port-$1.links"
		rm "$l"
	done
	rmdir "$p"
}

host_add() {	# HOSTNQN [KEY [CTRL_KEY [HASH [DHGROUP]]]]: creates or updates a host entry
	h="$CFS/hosts/$1"
	[ -n "$1" ] || die "host_add: host NQN missing" || return
	mkdir -p "$h" || die "cannot create host $1" || return
	if [ -n "$2" ]; then
		[ -e "$h/dhchap_key" ] || die "this kernel has no DH-HMAC-CHAP (CONFIG_NVME_TARGET_AUTH)" || return
		wr "$h/dhchap_key" "$2" || return
	fi
	[ -z "$3" ] || wr "$h/dhchap_ctrl_key" "$3" || return
	[ -z "$4" ] || wr "$h/dhchap_hash" "$4" || return
	[ -z "$5" ] || wr "$h/dhchap_dhgroup" "$5" || return
	return 0
}

host_allow() {	# NQN HOSTNQN: puts the host on the subsystem's allow-list
	[ -d "$CFS/subsystems/$1" ] || die "no subsystem $1" || return
	[ -d "$CFS/hosts/$2" ] || host_add "$2" || return
	[ -L "$CFS/subsystems/$1/allowed_hosts/$2" ] && return 0
	# nvmet refuses allow-list entries while allow_any_host is set.
	wr "$CFS/subsystems/$1/attr_allow_any_host" 0 || return
	ln -s "$CFS/hosts/$2" "$CFS/subsystems/$1/allowed_hosts/$2" ||
		die "cannot put $2 on the allow-list of $1"
}

host_deny() {	# NQN HOSTNQN
	l="$CFS/subsystems/$1/allowed_hosts/$2"
	[ -L "$l" ] || die "host $2 is not on the allow-list of $1" || return
	rm "$l"
}

discovery_nqn() {	# [NQN]: renames the discovery subsystem (TP 8013; Linux 6.2 and later), then prints its NQN
	[ -e "$CFS/discovery_nqn" ] || die "this kernel's nvmet has no $CFS/discovery_nqn (Linux 6.2 or later)" || return
	# No newline: nvmet's store returns the NQN's length, not the bytes
	# written, so the shell writes the newline again and gets EINVAL
	# (configfs.c, nvmet_root_discovery_nqn_store), after the first write
	# did rename the subsystem. nvmet says why it refused a name (that of
	# a subsystem) only in the kernel log.
	if [ -n "$1" ]; then
		printf '%s' "$1" > "$CFS/discovery_nqn" ||
			{ dmesg | tail -n 3 >&2; die "cannot set the discovery NQN to '$1'"; return; }
	fi
	cat "$CFS/discovery_nqn"
}

state() {	# the configfs tree, one "path = value" per attribute, for tests and logs
	cd "$CFS" || return
	find . -mindepth 1 | sort | while read -r f; do
		if [ -L "$f" ]; then echo "${f#./} -> $(readlink "$f")"
		elif [ -d "$f" ]; then echo "${f#./}/"
		elif [ -r "$f" ]; then
			case "$f" in *dhchap_key|*dhchap_ctrl_key|*revalidate_size|*passthru*) continue ;; esac
			v=$(cat "$f" 2>/dev/null | head -c 200 | tr '\n' ' ')
			echo "${f#./} = $v"
		fi
	done
}

# ---- TLS (tls configuration: Debian 13's tlshd, keyctl and nvme-cli 2.13 in /usr) ----

tls_key_add() {	# HMAC VERSION SECRET_HEX HOSTNQN SUBNQN: the TLS PSK nvme-cli derives, into .nvme
	# gen-tls-key prints the configured PSK in the interchange format and inserts the TLS PSK
	# (type psk, described by its identity) into .nvme, where tlshd looks for it. Its output
	# lines come back as "GEN HMAC VERSION <line>".
	out=$(nvme gen-tls-key --hmac="$1" --identity="$2" --secret="$3" --hostnqn="$4" --subsysnqn="$5" \
		--insert 2>&1) || { echo "$out" >&2; die "nvme gen-tls-key --hmac=$1 --identity=$2 failed"; return 1; }
	printf '%s\n' "$out" | sed "s/^/GEN $1 $2 /"
}

keyring_list() {	# KEYRING: "KEY <payload hex> <description>" for every key in it
	for k in $(keyctl rlist "$1"); do
		d=$(keyctl rdescribe "$k") || continue	# type;uid;gid;perm;description
		printf 'KEY %s %s\n' "$(keyctl pipe "$k" | od -An -v -tx1 | tr -d ' \n')" "${d#*;*;*;*;}"
	done
}

tls_keys() {	# the keys in .nvme, as keyring_list prints them
	# Reading a key needs possession of it: link the kernel's .nvme keyring into the user
	# session keyring, which is the session keyring of every process here (none has its own).
	keyctl link %:.nvme @us >/dev/null || die "no .nvme keyring (nvme-keyring, CONFIG_NVME_KEYRING)" || return
	keyring_list %:.nvme
}

tls_derive() {	# nvme-cli ARGS...: "nvme ARGS --keyring=<private keyring> --insert", its output as
	# "NVME <line>", then the key it inserted (keyring_list); the keyring goes away after.
	# The keyring hangs off a new session keyring of this request's shell (keyctl new_session
	# replaces the caller's), so this shell and nvme-cli possess it and the keys in it: a
	# keyring in @us got nvme-cli's add_key refused (EACCES) here.
	keyctl new_session >/dev/null || die "keyctl new_session failed" || return
	name="nvmf-derive-$$"
	ring=$(keyctl newring "$name" @s) || die "cannot create keyring $name" || return
	out=$(nvme "$@" --keyring="$name" --insert 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/NVME /'
	[ $rc -ne 0 ] || keyring_list "$ring"
	keyctl unlink "$ring" @s >/dev/null
	return $rc
}

tls_derive_gen() {	# HMAC VERSION SECRET_HEX HOSTNQN SUBNQN
	tls_derive gen-tls-key --hmac="$1" --identity="$2" --secret="$3" --hostnqn="$4" --subsysnqn="$5"
}

tls_derive_check() {	# KEY VERSION HOSTNQN SUBNQN (KEY in the interchange format)
	tls_derive check-tls-key --keydata="$1" --identity="$2" --hostnqn="$3" --subsysnqn="$4"
}
