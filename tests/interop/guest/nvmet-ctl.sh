# Control channel server, run by /init on ttyS1.
#
# Protocol (one request at a time; the host side holds a lock):
#   host -> guest:  "REQ <id>\n", the shell script base64-encoded in lines, "END\n"
#   guest -> host:  "BEGIN <id>\n", its output (stdout+stderr) base64-encoded, "DONE <id> <status>\n"
# Base64 keeps the tty away from control characters and long lines; the id
# lets the host skip the answer of a request it gave up on. Lines that are
# not part of a request (noise from before the port was opened) are ignored.
tty=/dev/ttyS1
stty -F $tty raw -echo 115200 || exit 1
exec < $tty > $tty 2>&1
id=
while IFS= read -r line; do
	case "$line" in
	"REQ "*)
		id=${line#REQ }
		: > /tmp/ctl.b64 ;;
	END)
		[ -n "$id" ] || continue
		if base64 -d /tmp/ctl.b64 > /tmp/ctl.sh 2>/dev/null; then
			( cd / && timeout 120 sh /tmp/ctl.sh ) < /dev/null > /tmp/ctl.out 2>&1
			rc=$?
		else
			echo "nvmet-ctl: request $id is not valid base64" > /tmp/ctl.out
			rc=125
		fi
		echo "BEGIN $id"
		base64 < /tmp/ctl.out
		echo "DONE $id $rc"
		id= ;;
	*)
		[ -n "$id" ] && echo "$line" >> /tmp/ctl.b64 ;;
	esac
done
