#!/usr/bin/env python3
"""nvmfctl CLI tests: the real binary against nvmf-target, the fake controller and
(interop) the Linux kernel target. Issue 7's acceptance tests.

Run one: cli_tests.py TEST --nvmfctl EXE [--target EXE] [--fake EXE] [--fuse EXE].
Exit 0 pass, 1 fail, 77 skip (no FUSE for the connect tests).
"""
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctl_env import (HOSTNQN, MiB, NQN, NQN2, OTHER_HOSTNQN, Fail, SkipTest,  # noqa: E402
                     check, free_port, fuse_usable, is_mounted, log, main, unmount, wait_gone)

COMMANDS = ["discover", "connect", "connect-all", "disconnect", "disconnect-all", "list",
            "id-ctrl", "id-ns", "list-ns", "get-log", "gen-hostnqn", "show-hostnqn", "version",
            "help"]
DISC_KEYS = {"trtype", "adrfam", "subtype", "treq", "portid", "trsvcid", "subnqn", "traddr",
             "eflags", "sectype", "cntlid", "asqsz"}
SMART_KEYS = {"critical_warning", "temperature", "avail_spare", "spare_thresh", "percent_used",
              "endurance_grp_critical_warning_summary", "data_units_read", "data_units_written",
              "host_read_commands", "host_write_commands", "controller_busy_time",
              "power_cycles", "power_on_hours", "unsafe_shutdowns", "media_errors",
              "num_err_log_entries", "warning_temp_time", "critical_comp_time"}
UUID_NQN = re.compile(r"^nqn\.2014-08\.org\.nvmexpress:uuid:"
                      r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def fields(text):
    """'key: value' lines (nvme-cli's layout) as a dict; first occurrence wins."""
    out = {}
    for ln in text.splitlines():
        if ":" in ln:
            k, v = ln.split(":", 1)
            out.setdefault(k.strip(), v.strip())
    return out


# ---- command line, no target needed ------------------------------------------------

def t_options(env):
    r = env.ctl("--help")
    for c in COMMANDS:
        check(re.search(r"^  %s " % re.escape(c), r.out, re.M), "--help does not list %s" % c)
    for c in COMMANDS:
        r = env.ctl(c, "--help")
        check(r.out.startswith("Usage: nvmfctl %s" % c) or c == "help",
              "%s --help: %r" % (c, r.out[:80]))
        check(r.err == "", "%s --help wrote to stderr: %r" % (c, r.err))
    check(env.ctl("help", "id-ns").out.startswith("Usage: nvmfctl id-ns"), "help id-ns")
    env.fails("frobnicate", rc=2, usage=True, want=["unknown command 'frobnicate'"])
    check(env.ctl(rc=2).err.startswith("Usage: nvmfctl"), "no command: usage on stderr")
    # Options: unknown, missing values, bad values -- each named in the message.
    U = "nvme+tcp://127.0.0.1:4420/" + NQN
    for args, want in [
            (["discover", "--frob"], ["unknown option '--frob'"]),
            (["discover", "-Z"], ["unknown option '-Z'"]),
            (["discover", "--tls=yes"], ["option '--tls' takes no value"]),
            (["connect", U, "--read-only=1"], ["option '--read-only' takes no value"]),
            (["discover", "--hostnqn"], ["option '--hostnqn' needs a value"]),
            (["discover", "-a"], ["'-a' needs a value"]),
            (["discover", "-t", "rdma", "-a", "127.0.0.1"], ["'rdma' is not supported"]),
            (["discover", "-a", "127.0.0.1", "-s", "70000"], ["-s/--trsvcid", "'70000'"]),
            (["discover", "-a", "127.0.0.1", "-s", "http"], ["-s/--trsvcid", "'http'"]),
            (["discover", "-a", "127.0.0.1", "-o", "xml"], ["-o/--output-format", "'xml'"]),
            (["discover", "-a", "127.0.0.1", "-q", "x" * 224], ["-q/--hostnqn"]),
            (["discover", "-a", "127.0.0.1", "-I", "not-a-uuid"], ["-I/--hostid", "not-a-uuid"]),
            (["discover", "-a", "127.0.0.1", "-i", "2"], ["-i/--nr-io-queues does not apply"]),
            (["discover", "-a", "127.0.0.1", "-r", "f", "-o", "json"], ["--raw"]),
            (["discover", "-a", "127.0.0.1:4420"],
             ["-a/--traddr: '127.0.0.1:4420'", "use -s for the service (port)"]),
            (["connect", "-a", "[::1]:4420", "-n", NQN], ["use -s for the service (port)"]),
            (["discover", "-a", "127.0.0.1", "-r", ""], ["-r/--raw: empty file name"]),
            (["discover", "-s", "8009"], ["need -a/--traddr"]),
            (["connect", "-t", "tcp", "-a", "127.0.0.1"], ["-n/--nqn"]),
            (["connect", "-n", NQN], ["-a/--traddr"]),
            (["connect", U, "-c", "0"], ["-c/--reconnect-delay", "'0'", "from 1 to"]),
            (["connect", U, "-l", "-2"], ["-l/--ctrl-loss-tmo", "'-2'", "from -1 to"]),
            (["connect", U, "-F", "off"], ["-F/--fast_io_fail_tmo", "'off'"]),
            (["connect", U, "--fast-io-fail-tmo", "1"], ["unknown option '--fast-io-fail-tmo'"]),
            (["connect", U + "?ctrl_loss_tmo=5", "-l", "5"],
             ["-l/--ctrl-loss-tmo and the URI's ctrl_loss_tmo=5 both given"]),
            (["connect", U + "?ctrl_loss_tmo=x"], ["ctrl_loss_tmo=x"]),
            (["connect", U + "?hdgst=1"], ["unknown parameter", "hdgst"]),
            (["connect-all", "-a", "127.0.0.1", "-c", "x"], ["-c/--reconnect-delay", "'x'"]),
            (["discover", "-a", "127.0.0.1", "-l", "y"], ["-l/--ctrl-loss-tmo", "'y'"]),
            (["connect", U, "-i", "0"], ["-i/--nr-io-queues", "'0'"]),
            (["connect", U, "-Q", "1"], ["-Q/--queue-size", "'1'"]),
            (["connect", U, "-Q", "1025"], ["-Q/--queue-size", "'1025'"]),
            (["connect", U, "--tls-compat"], ["need --tls"]),
            (["discover", "-a", "127.0.0.1", "--tls-identity", "1"], ["need --tls"]),
            (["connect", U, "--tls-key", ""], ["the key is empty"]),

            (["connect", U, "--name", ".hidden"], ["--name", ".hidden"]),
            (["connect", U, "-a", "127.0.0.1"], ["either as a URI or"]),
            (["connect", "nvme+tcp://127.0.0.1"], ["discovery subsystem"]),
            (["connect", "nvme+tcp://127.0.0.1:99999/" + NQN], ["port"]),
            (["connect", "nvme+tcp://[::1/" + NQN], ["IPv6"]),
            (["connect", "http://x/" + NQN], ["URI"]),
            (["connect", "stray", U], ["unexpected argument 'stray'"]),
            (["id-ctrl"], ["no target"]),
            (["id-ctrl", U, "-n", "1"], ["unknown option '-n'"]),
            (["id-ns", U], ["no namespace"]),
            (["id-ns", U, "-n", "0"], ["-n/--namespace-id", "'0'"]),
            (["id-ns", "nvme+tcp://127.0.0.1/", "-n", "1"], ["discovery controllers"]),
            (["list-ns", U, "-o", "yaml"], ["'yaml'"]),
            (["get-log", U], ["no log page"]),
            (["get-log", U, "-i", "smart", "-l", "10"], ["-l/--log-len", "multiple of 4"]),
            (["get-log", U, "-i", "256"], ["-i/--log-id", "'256'"]),
            (["get-log", U, "-i", "discovery"], ["discovery controller"]),
            (["get-log", U, "bogus-log"], ["-i/--log-id", "'bogus-log'"]),
            (["list", "extra"], ["unexpected argument 'extra'"]),
            (["version", "-o", "text"], ["'text'"]),
            (["disconnect"], ["NAME or MOUNTPOINT"]),
            (["disconnect", "-n", NQN, "nvmf0"], ["exclude each other"]),
            (["disconnect-all", "-n", NQN], ["does not apply"])]:
        env.fails(*args, rc=2, usage=True, want=want, cmd=args[0])
    # --raw - on a terminal: refused before connecting (nothing listens on port 9),
    # naming why; stdout is a pseudo-terminal here.
    import pty
    master, slave = pty.openpty()
    try:
        p = subprocess.run([env.ctl_exe, "discover", "-a", "127.0.0.1", "-s", "9", "-r", "-"],
                           stdout=slave, stderr=subprocess.PIPE, text=True, env=env.env,
                           timeout=60, cwd=env.tmp)
    finally:
        os.close(slave)
        os.close(master)
    check(p.returncode == 2 and "-r/--raw -: standard output is a terminal" in p.stderr
          and "binary" in p.stderr, "--raw - on a terminal: %d %r" % (p.returncode, p.stderr))
    check(not os.path.exists(os.path.join(env.tmp, "-")), "--raw - wrote a file named '-'")
    # -C without -S: a usage error before any connection (with the warning a key on the
    # command line draws).
    r = env.ctl("connect", U, "-C", "DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:",
                rc=2)
    check("needs the host's too" in r.err, "-C without -S: %r" % r.err)
    # No address and no discovery.conf: nvme-cli's fallback, named in the message.
    env.fails("discover", rc=2, usage=True, want=[env.conf], cmd="discover")
    env.fails("connect-all", rc=2, usage=True, want=[env.conf], cmd="connect-all")
    with open(env.conf, "w") as f:
        f.write("# only a comment\n\n")
    env.fails("discover", rc=2, usage=True, want=["names no discovery controller"],
              cmd="discover")
    # Commands without a target.
    r = env.ctl("version")
    check(re.match(r"nvmfctl version \d+\.\d+\.\d+\nlibnvmf version \d+\.\d+\.\d+\n$", r.out),
          "version: %r" % r.out)
    j = env.ctl("version", "-o", "json").json()
    check(set(j) == {"nvmfctl", "libnvmf"}, "version json %s" % j)
    for opt in ("--version", "-V"):  # nvme --version's line, the first of 'version'
        r = env.ctl(opt)
        check(re.match(r"nvmfctl version \d+\.\d+\.\d+\n$", r.out) and r.err == "",
              "%s: %r" % (opt, r.out))
    a, b = env.ctl("gen-hostnqn").out.strip(), env.ctl("gen-hostnqn").out.strip()
    check(UUID_NQN.match(a) and UUID_NQN.match(b), "gen-hostnqn format: %r %r" % (a, b))
    check(a != b, "gen-hostnqn repeated itself: %s" % a)
    check(UUID_NQN.match(env.ctl("gen-hostnqn", "-o", "json").json()["hostnqn"]), "gen json")
    show = env.ctl("show-hostnqn").out.strip()
    check(show.startswith("nqn.") and len(show) <= 223, "show-hostnqn: %r" % show)
    check(show == env.ctl("show-hostnqn").out.strip(), "show-hostnqn is not stable")
    j = env.ctl("show-hostnqn", "-o", "json").json()
    check(j["hostnqn"] == show, "show-hostnqn json %s" % j)
    # Nothing connected: an empty list, and nothing to disconnect.
    check(env.ctl("list", "-o", "json").json() == {"connections": []}, "empty list json")
    check(len(env.ctl("list").out.splitlines()) == 1, "empty list: header only")
    env.fails("disconnect", "nvmf0", want=["no connection named or mounted at 'nvmf0'"],
              cmd="disconnect")
    # -n matching nothing: nvme-cli's line and exit 0 (teardown scripts run it
    # unconditionally); -d naming a connection that does not exist: exit 1, as
    # nvme-cli's -d of a missing device. Both take comma-separated lists.
    r = env.ctl("disconnect", "-n", NQN)
    check(r.out == "NQN:%s disconnected 0 controller(s)\n" % NQN and r.err == "",
          "disconnect -n with no connection: %r %r" % (r.out, r.err))
    r = env.ctl("disconnect", "-n", "%s,,%s" % (NQN, NQN2))
    check(r.out == "NQN:%s,,%s disconnected 0 controller(s)\n" % (NQN, NQN2),
          "disconnect -n LIST with no connection: %r" % r.out)
    r = env.ctl("disconnect", "-d", "nvmf0,nvmf1", rc=1)
    check(r.out == "" and [ln.split(": ", 2)[2] for ln in r.err_lines()] ==
          ["no connection named or mounted at '%s' (see 'nvmfctl list')" % d
           for d in ("nvmf0", "nvmf1")], "disconnect -d LIST of missing names: %r" % r.err)
    # Combined short options are parsed as getopt does: a hand-written argv scan
    # once took -fn's NQN for a name (exit 2) and dropped -fdNAME's value.
    r = env.ctl("disconnect", "-fn", NQN)
    check(r.out == "NQN:%s disconnected 0 controller(s)\n" % NQN and r.err == "",
          "disconnect -fn NQN: %r %r" % (r.out, r.err))
    r = env.ctl("disconnect", "-fdnvmf7", rc=1)
    check("no connection named or mounted at 'nvmf7'" in r.err, "disconnect -fdNAME: %r" % r.err)
    check(env.ctl("disconnect-all").out == "disconnected 0 connection(s)\n", "disconnect-all")


# ---- discover ------------------------------------------------------------------------

def check_disc_text(out, t, nqns):
    check("Discovery Log Number of Records %d, Generation counter" % len(nqns) in out,
          "discover header missing:\n%s" % out)
    entries = out.split("=====Discovery Log Entry ")[1:]
    check(len(entries) == len(nqns), "%d entries, expected %d" % (len(entries), len(nqns)))
    got = []
    for e in entries:
        f = fields(e.split("\n", 1)[1])
        for k in ("trtype", "adrfam", "subtype", "treq", "portid", "trsvcid", "subnqn", "traddr",
                  "eflags", "sectype", "cntlid", "asqsz"):
            check(k in f, "entry lacks %s:\n%s" % (k, e))
        check(f["trtype"] == "tcp" and f["adrfam"] == "ipv4" and f["subtype"] == "nvme subsystem"
              and f["traddr"] == t.addr and f["trsvcid"] == str(t.port)
              and f["sectype"] == "none", "entry fields: %s" % f)
        got.append(f["subnqn"])
    check(sorted(got) == sorted(nqns), "subsystems %s, expected %s" % (got, nqns))


def check_disc_json(j, t, nqns):
    check(isinstance(j.get("genctr"), int) and isinstance(j.get("records"), list), "json %s" % j)
    check(sorted(r["subnqn"] for r in j["records"]) == sorted(nqns), "json records %s" % j)
    for r in j["records"]:
        check(set(r) == DISC_KEYS, "json record keys %s" % sorted(r))
        check(r["trtype"] == "tcp" and r["traddr"] == t.addr and r["trsvcid"] == str(t.port)
              and isinstance(r["portid"], int) and r["subtype"] == "nvme subsystem", "json %s" % r)


def t_discover(env):
    cfg = env.path("target.conf")
    with open(cfg, "w") as f:
        f.write("subsystem %s\nnamespace ram:8M\nsubsystem %s\nnamespace ram:4M\n" % (NQN, NQN2))
    t = env.target(backing=(), config=cfg)
    nqns = [NQN, NQN2]
    r = env.ctl("discover", "-t", "tcp", "-a", t.addr, "-s", t.port, "-q", HOSTNQN)
    check_disc_text(r.out, t, nqns)
    check(r.err == "", "discover stderr: %r" % r.err)
    check_disc_json(env.ctl("discover", "-a", t.addr, "-s", t.port, "-o", "json").json(), t, nqns)
    check_disc_json(env.ctl("discover", "--traddr=%s" % t.addr, "--trsvcid=%d" % t.port,
                            "--output-format=json").json(), t, nqns)
    check_disc_text(env.ctl("discover", "nvme+tcp://%s:%d" % (t.addr, t.port)).out, t, nqns)
    # --raw and -o binary: the log page itself (header + 1024-byte entries).
    raw = env.path("disc.raw")
    r = env.ctl("discover", "-a", t.addr, "-s", t.port, "--raw", raw)
    check(r.out.strip() == "Discovery log is saved to %s" % raw, "--raw output %r" % r.out)
    with open(raw, "rb") as f:
        data = f.read()
    check(len(data) == 1024 * 3, "raw log is %d bytes" % len(data))
    genctr, numrec, recfmt = struct.unpack_from("<QQH", data, 0)
    check(numrec == 2 and recfmt == 0, "raw header numrec %d recfmt %d" % (numrec, recfmt))
    subs = sorted(data[1024 * i + 256:1024 * i + 512].rstrip(b"\0").decode() for i in (1, 2))
    check(subs == sorted(nqns), "raw subnqns %s" % subs)
    check(data[1024] == 3 and data[1026] == 2, "raw trtype/subtype")
    check(data[1024 + 32:1024 + 64].rstrip(b" ").decode() == str(t.port), "raw trsvcid")
    p = subprocess.run([env.ctl_exe, "discover", "-a", t.addr, "-s", str(t.port), "-o", "binary"],
                       capture_output=True, env=env.env, timeout=60)
    check(p.returncode == 0 and p.stdout[16:] == data[16:] and len(p.stdout) == len(data),
          "-o binary differs from --raw")
    # --raw -: the same bytes on standard output (a pipe here), no file named "-",
    # no "saved to" line among them.
    p = subprocess.run([env.ctl_exe, "discover", "-a", t.addr, "-s", str(t.port), "-r", "-"],
                       capture_output=True, env=env.env, timeout=60, cwd=env.tmp)
    check(p.returncode == 0 and p.stdout[16:] == data[16:] and len(p.stdout) == len(data)
          and p.stderr == b"", "--raw - differs from --raw FILE: %d %r" % (p.returncode, p.stderr))
    check(not os.path.exists(os.path.join(env.tmp, "-")), "--raw - wrote a file named '-'")
    # /etc/nvme/discovery.conf (here NVMF_DISCOVERY_CONF): options per line, comments.
    with open(env.conf, "w") as f:
        f.write("# discovery controllers\n\n--transport=tcp --traddr=%s --trsvcid=%d\n"
                % (t.addr, t.port))
    check_disc_text(env.ctl("discover").out, t, nqns)
    with open(env.conf, "a") as f:
        f.write("-t tcp -a %s -s %d -o json\n" % (t.addr, t.port))
        f.write("-t tcp -a 127.0.0.1 -s notaport\n")
    r = env.ctl("discover", rc=1)
    check(r.out.count("Discovery Log Number of Records 2") == 1 and '"records"' in r.out,
          "discovery.conf with three lines:\n%s" % r.out)
    check(len(r.err_lines()) == 1 and "discovery.conf line 5: -s/--trsvcid: 'notaport'"
          in r.err, "bad conf line not reported in one line: %r" % r.err)
    # A line of more words than nvmfctl reads is refused, not cut short.
    with open(env.conf, "a") as f:
        f.write("-t tcp -a %s -s %d%s\n" % (t.addr, t.port, " -g" * 62))
    r = env.ctl("discover", rc=1)
    check("discovery.conf line 6: more than 64 words on the line" in r.err,
          "a 68-word line not refused: %r" % r.err)


# ---- id-ctrl, id-ns, list-ns, get-log -------------------------------------------------

def t_inspect(env):
    t = env.target(backing=("ram:16M", "ram:4M"))
    t4k = env.target(backing=("ram:8M",), nqn=NQN2, lba=4096)
    U = t.uri()
    r = env.ctl("id-ctrl", U, "--hostnqn", HOSTNQN)
    check(r.out.startswith("NVME Identify Controller:\n"), "id-ctrl header %r" % r.out[:40])
    f = fields(r.out)
    check(f.get("mn") == "nvmf-target" and f.get("subnqn") == NQN, "id-ctrl mn/subnqn: %s" % f)
    for k in ("vid", "sn", "fr", "mdts", "cntlid", "ver", "oacs", "lpa", "elpe", "sqes", "cqes",
              "nn", "oncs", "vwc", "sgls", "ioccsz", "iorcsz", "icdoff", "msdbd"):
        check(k in f, "id-ctrl lacks %s" % k)
    check(re.search(r"^mn        : nvmf-target$", r.out, re.M), "id-ctrl layout")
    check(re.search(r"^ps +0 : mp:", r.out, re.M), "id-ctrl power states")
    j = env.ctl("id-ctrl", "--traddr", t.addr, "--trsvcid", t.port, "--nqn", NQN,
                "-o", "json").json()
    check(j["mn"] == "nvmf-target" and j["subnqn"] == NQN and isinstance(j["cntlid"], int)
          and j["nn"] >= 2 and isinstance(j["psds"], list) and j["ver"] >= 0x10300,
          "id-ctrl json %s" % {k: j.get(k) for k in ("mn", "subnqn", "cntlid", "nn", "ver")})
    p = subprocess.run([env.ctl_exe, "id-ctrl", U, "-b"], capture_output=True, env=env.env,
                       timeout=60)
    check(p.returncode == 0 and len(p.stdout) == 4096, "id-ctrl -b: %d bytes" % len(p.stdout))
    check(p.stdout[24:64].rstrip(b" ") == b"nvmf-target", "id-ctrl -b MN field")
    # Discovery controller (no NQN): CNTRLTYPE 2.
    jd = env.ctl("id-ctrl", "nvme+tcp://%s:%d" % (t.addr, t.port), "-o", "json").json()
    check(jd["cntrltype"] == 2 and jd["subnqn"] == "nqn.2014-08.org.nvmexpress.discovery",
          "discovery id-ctrl %s %s" % (jd["cntrltype"], jd["subnqn"]))
    # id-ns: -n, or the URI's /NSID; sizes from the backing.
    r = env.ctl("id-ns", t.uri(nsid=1))
    check(r.out.startswith("NVME Identify Namespace 1:\n"), "id-ns header")
    f = fields(r.out)
    check(int(f["nsze"], 16) == 16 * MiB // 512 and int(f["ncap"], 16) == 16 * MiB // 512,
          "id-ns nsze %s" % f["nsze"])
    check(re.search(r"^lbaf  0 : ms:0 +lbads:9 +rp:0 \(in use\)$", r.out, re.M), "lbaf line")
    j = env.ctl("id-ns", U, "-n", 2, "-o", "json").json()
    check(j["nsze"] == 4 * MiB // 512 and j["lbafs"][j["flbas"] & 15]["ds"] == 9, "id-ns 2 json")
    j = env.ctl("id-ns", "--traddr", t4k.addr, "--trsvcid", t4k.port, "--nqn", NQN2,
                "--namespace-id=1", "-o", "json").json()
    check(j["nsze"] == 8 * MiB // 4096 and j["lbafs"][j["flbas"] & 15]["ds"] == 12, "4K id-ns")
    p = subprocess.run([env.ctl_exe, "id-ns", U, "-n", "1", "-o", "binary"], capture_output=True,
                       env=env.env, timeout=60)
    check(p.returncode == 0 and len(p.stdout) == 4096 and
          struct.unpack_from("<Q", p.stdout, 0)[0] == 16 * MiB // 512, "id-ns binary")
    # list-ns
    check(env.ctl("list-ns", U).out == "[   0]:0x1\n[   1]:0x2\n", "list-ns text")
    check(env.ctl("list-ns", U, "-o", "json").json() == {"nsid_list": [{"nsid": 1}, {"nsid": 2}]},
          "list-ns json")
    check(env.ctl("list-ns", U, "-n", "1").out == "[   0]:0x2\n", "list-ns -n 1")
    # get-log: smart, error, discovery, and any other log by ID in hex.
    r = env.ctl("get-log", U, "smart")
    check(r.out.startswith("Smart Log for NVME device:") and "namespace-id:ffffffff" in r.out,
          "smart header %r" % r.out[:80])
    f = fields(r.out)
    for k in ("critical_warning", "temperature", "available_spare", "percentage_used",
              "Data Units Read", "host_write_commands", "power_on_hours", "media_errors"):
        check(k in f, "smart log lacks %s" % k)
    j = env.ctl("get-log", U, "-i", "2", "-o", "json").json()
    check(SMART_KEYS <= set(j) and all(isinstance(j[k], int) for k in SMART_KEYS),
          "smart json keys %s" % sorted(j))
    j = env.ctl("get-log", U, "--log-id=error", "-o", "json").json()
    check(isinstance(j["errors"], list) and len(j["errors"]) >= 1 and
          {"error_count", "sqid", "cmdid", "status_field", "lba", "nsid"} <= set(j["errors"][0]),
          "error log json")
    r = env.ctl("get-log", U, "-i", "error", "-l", "128")
    check("entries:2" in r.out and r.out.count("error_count") == 2, "error log -l 128")
    check_disc_json(env.ctl("get-log", "nvme+tcp://%s:%d" % (t.addr, t.port), "-i", "0x70",
                            "-o", "json").json(), t, [NQN])
    r = env.ctl("get-log", U, "-i", "3", "-l", "64")
    check(r.out.startswith("Device:") and "0000:" in r.out and "0030:" in r.out, "hex dump")
    env.fails("get-log", U, "-i", "0xc0", cmd="get-log", rc=2, usage=True,
              want=["-l/--log-len"])
    p = subprocess.run([env.ctl_exe, "get-log", U, "-i", "smart", "-b"], capture_output=True,
                       env=env.env, timeout=60)
    check(p.returncode == 0 and len(p.stdout) == 512, "get-log -b: %d bytes" % len(p.stdout))
    # IPv6: bare with -a, in brackets in URIs.
    try:
        t6 = env.target(backing=("ram:4M",), addr="::1")
    except Fail as e:
        log("no IPv6 loopback here, IPv6 part not run: %s" % e)
        return
    r = env.ctl("discover", "-a", "::1", "-s", t6.port)
    check("adrfam:  ipv6\n" in r.out and "traddr:  ::1\n" in r.out, "IPv6 discover:\n%s" % r.out)
    check(env.ctl("id-ctrl", t6.uri(), "-o", "json").json()["subnqn"] == NQN, "IPv6 id-ctrl")
    check(env.ctl("list-ns", "--traddr", "[::1]", "--trsvcid", t6.port, "--nqn", NQN).out
          == "[   0]:0x1\n", "IPv6 list-ns with --traddr [::1]")


# ---- failure modes -----------------------------------------------------------------------

def t_errors(env):
    U = "nvme+tcp://127.0.0.1:%d/" + NQN
    # Connection refused: a port nothing listens on.
    port = free_port()
    env.fails("id-ctrl", U % port, cmd="id-ctrl", want=["connection refused", str(port)])
    env.fails("discover", "-a", "127.0.0.1", "-s", port, cmd="discover",
              want=["connection refused"])
    # Name resolution: an empty label fails inside the resolver: no DNS query leaves
    # the machine (checked with strace on Debian 12's glibc).
    host = "no-such-host..invalid"
    env.fails("discover", "-a", host, cmd="discover", want=["name resolution failed", host])
    # ICResp rejected (PFV 1), connection lost before ICResp, no ICResp (timeout),
    # controller fatal status, in-band authentication demanded (Connect status
    # Authentication Required, or AUTHREQ.ATR in a successful Connect), Connect
    # Invalid Parameters with the offset: the scripted fake controller.
    for scenario, want in [("icresp-bad-pfv", ["ICResp rejected", "PFV"]),
                           ("icresp-digest-unrequested", ["ICResp rejected", "digest"]),
                           ("close-at-icreq", ["connection lost"]),
                           ("icresp-never", ["timed out"]),
                           ("csts-cfs", ["controller fatal status", "CSTS.CFS"]),
                           ("auth-required", ["authentication required", "SC 91h",
                                              "DH-HMAC-CHAP"]),
                           ("authreq-atr", ["authentication required", "AUTHREQ 0002h",
                                            "DH-HMAC-CHAP"]),
                           ("connect-invalid-param", ["Connect rejected",
                                                      "Connect Invalid Parameters",
                                                      "offset 256 of the Connect data"])]:
        f = env.fake(scenario)
        env.fails("id-ctrl", U % f.port, "--connect-timeout", "2", cmd="id-ctrl", want=want)
        f.stop()
    # Connect rejected, decoded: a host not on the allow-list, an unknown subsystem.
    t = env.target(hosts=[HOSTNQN])
    env.fails("id-ctrl", t.uri(), "--hostnqn", OTHER_HOSTNQN, cmd="id-ctrl",
              want=["Connect rejected", "Connect Invalid Host", "SC 84h", "-q/--hostnqn"])
    check(env.ctl("id-ctrl", t.uri(), "--hostnqn", HOSTNQN, "-o", "json").json()["subnqn"]
          == NQN, "allowed host refused")
    env.fails("id-ns", t.uri(nqn=NQN + ":nope", nsid=1), "--hostnqn", HOSTNQN, cmd="id-ns",
              want=["Connect rejected", "Connect Invalid Parameters"])
    env.fails("get-log", t.uri(), "--hostnqn", HOSTNQN, "-i", "0x42", "-l", "4096", cmd="get-log",
              want=["Get Log Page", "42h"])


# ---- connect, list, disconnect ----------------------------------------------------------

def need_fuse():
    if not fuse_usable():
        raise SkipTest("no /dev/fuse, or neither root nor fusermount3")


def write_random(path, size):
    data = os.urandom(size)
    with open(path, "wb") as f:
        f.write(data)
    return data


def connect(env, *args, **kw):
    r = env.ctl("connect", *args, **kw)
    return r


def rec_of(env, name):
    import json
    with open(os.path.join(env.rundir, name + ".json")) as f:
        return json.load(f)


def t_connect(env):
    need_fuse()
    back = env.path("back.img")
    old = write_random(back, 8 * MiB)
    t = env.target(backing=(back, "ram:4M"))
    r = connect(env, "-t", "tcp", "-a", t.addr, "-s", t.port, "-n", NQN, "-q", HOSTNQN, "-i", 2)
    check(r.out.startswith("device: nvmf0\n"), "connect output %r" % r.out)
    mp = os.path.join(env.rundir, "nvmf0")
    check("mountpoint: %s\n" % mp in r.out and "namespace 1: %s/n1 (8388608 bytes" % mp in r.out
          and "namespace 2: %s/n2 (4194304 bytes" % mp in r.out, "connect output %r" % r.out)
    check(sorted(os.listdir(mp)) == ["n1", "n2"], "files %s" % os.listdir(mp))
    with open(os.path.join(mp, "n1"), "rb") as f:
        check(f.read() == old, "n1 does not hold the backing file's data")
    new = os.urandom(MiB)
    with open(os.path.join(mp, "n1"), "r+b") as f:
        f.seek(3 * MiB)
        f.write(new)
        f.flush()
        os.fsync(f.fileno())
    with open(back, "rb") as f:
        f.seek(3 * MiB)
        check(f.read(MiB) == new, "a write through n1 did not reach the backing file")
    # reconnect: the server makes its connection anew; a file open across it stays
    # readable through the same descriptor, and the record counts it.
    with open(os.path.join(mp, "n1"), "rb", buffering=0) as f:
        f.seek(3 * MiB)
        check(f.read(4096) == new[:4096], "read before reconnect")
        r = env.ctl("reconnect", "nvmf0")
        check(re.match(r"reconnected nvmf0 \(cntlid \d+, 1 reconnect since start\)\n$", r.out),
              "reconnect output %r" % r.out)
        f.seek(3 * MiB + 4096)
        check(f.read(4096) == new[4096:8192], "read after reconnect, same descriptor")
    rec = rec_of(env, "nvmf0")
    check(rec["state"] == "live" and rec["reconnects"] == 1 and rec["outages"] == 1,
          "record after reconnect %s" % rec)
    # list: text and JSON, from the records.
    r = env.ctl("list")
    check(re.search(r"^nvmf0 +live +127\.0\.0\.1:%d +\d+ +%s +%s$" % (t.port, re.escape(NQN),
                                                                  re.escape(mp)), r.out, re.M),
          "list:\n%s" % r.out)
    check("n1 %s/n1 8.00 MiB" % mp in r.out, "list namespaces:\n%s" % r.out)
    j = env.ctl("list", "-o", "json").json()["connections"]
    check(len(j) == 1 and j[0]["name"] == "nvmf0" and j[0]["state"] == "live"
          and j[0]["subnqn"] == NQN and j[0]["traddr"] == "127.0.0.1"
          and j[0]["trsvcid"] == str(t.port) and j[0]["pid"] == rec["pid"]
          and j[0]["hostnqn"] == HOSTNQN and j[0]["cntlid"] == rec["cntlid"]
          and [n["nsid"] for n in j[0]["namespaces"]] == [1, 2], "list json %s" % j)
    # A second connection to the same subsystem and address: refused unless -D.
    env.fails("connect", t.uri(), "-q", HOSTNQN, cmd="connect",
              want=["already connected as nvmf0", "-D/--duplicate-connect"])
    check(env.records() == ["nvmf0.json"], "refused connect left %s" % env.records())
    other = env.path("mnt-dup")
    os.mkdir(other)
    j = env.ctl("connect", t.uri(nsid=2), "-D", "-q", HOSTNQN, "-m", other, "--name", "dup",
                "-i", 1, "--read-only", "-o", "json", "-c", 1, "-l", -1).json()
    check(j["name"] == "dup" and j["mountpoint"] == other and j["state"] == "live"
          and [n["nsid"] for n in j["namespaces"]] == [2] and j["read_only"], "-D json %s" % j)
    # The reconnect options reach nvmf-fuse in the URI's query, which the record keeps.
    check(j["uri"] == t.uri(nsid=2) + "?reconnect_delay=1&ctrl_loss_tmo=-1"
          and j["reconnects"] == 0 and j["outages"] == 0, "-c/-l json %s" % j)
    check(os.listdir(other) == ["n2"], "dup files %s" % os.listdir(other))
    # disconnect by mount point: process gone, mount point empty, record removed.
    pid = j["pid"]
    r = env.ctl("disconnect", other + "/")
    check(r.out == "disconnected dup (%s)\n" % NQN, "disconnect output %r" % r.out)
    check(wait_gone(pid, 1), "nvmf-fuse %d still runs after disconnect" % pid)
    check(not is_mounted(other) and os.listdir(other) == [], "mount point not empty")
    check(env.records() == ["nvmf0.json"], "records %s" % env.records())
    # A connection whose server died: listed as stale, never live; disconnect removes it.
    os.kill(rec["pid"], signal.SIGKILL)
    check(wait_gone(rec["pid"], 10), "killed nvmf-fuse still there")
    j = env.ctl("list", "-o", "json").json()["connections"]
    check(len(j) == 1 and j[0]["state"] == "stale", "stale record listed as %s" % j)
    check(re.search(r"^nvmf0 +stale ", env.ctl("list").out, re.M), "list text: stale")
    r = env.ctl("connect", t.uri(), "-q", HOSTNQN, "-i", 1)  # stale is not a duplicate
    check(r.out.startswith("device: nvmf1\n"), "connect beside a stale record: %r" % r.out)
    r = env.ctl("disconnect", "nvmf0")
    check("removed stale record" in r.err and not os.path.exists(mp), "stale disconnect %r" % r.err)
    check(env.records() == ["nvmf1.json"], "records %s" % env.records())
    # A dead server's mount point taken by a new connection: disconnecting the stale
    # record leaves the new connection mounted (it used to unmount it).
    reuse = env.path("mnt-reuse")
    os.mkdir(reuse)
    ja = env.ctl("connect", t.uri(), "-q", HOSTNQN, "-D", "-i", 1, "-m", reuse, "--name", "ra",
                 "-o", "json").json()
    os.kill(ja["pid"], signal.SIGKILL)
    check(wait_gone(ja["pid"], 10), "killed nvmf-fuse still there")
    unmount(reuse, force=True)
    jb = env.ctl("connect", t.uri(), "-q", HOSTNQN, "-D", "-i", 1, "-m", reuse, "--name", "rb",
                 "-o", "json").json()
    r = env.ctl("disconnect", "ra")
    check("removed stale record" in r.err and "is now connection rb's mount: left mounted"
          in r.err, "stale disconnect of a reused mount point: %r" % r.err)
    check(is_mounted(reuse) and "n1" in os.listdir(reuse) and not wait_gone(jb["pid"], 0.2),
          "disconnecting the stale record ended the connection mounted there now")
    env.ctl("disconnect", "rb")
    check(wait_gone(jb["pid"], 10) and not is_mounted(reuse), "rb not disconnected")
    check(env.records() == ["nvmf1.json"], "records %s" % env.records())
    # disconnect -n SUBNQN: every connection to it.
    pid1 = rec_of(env, "nvmf1")["pid"]
    env.ctl("connect", t.uri(), "-q", HOSTNQN, "-D", "-i", 1)
    pid2 = rec_of(env, "nvmf0")["pid"]
    r = env.ctl("disconnect", "-n", NQN2 + "," + NQN)
    check(r.out == "NQN:%s,%s disconnected 2 controller(s)\n" % (NQN2, NQN),
          "disconnect -n %r" % r.out)
    check(wait_gone(pid1, 1) and wait_gone(pid2, 1) and env.records() == [],
          "after disconnect -n: records %s" % env.records())
    check(os.listdir(env.rundir) == [], "runtime dir left %s" % os.listdir(env.rundir))
    with open(back, "rb") as f:
        f.seek(3 * MiB)
        check(f.read(MiB) == new, "data lost over the connections")
    # A connection nvmf-fuse cannot make: its reason, decoded, in one line; no record.
    t2 = env.target(nqn=NQN2, hosts=[HOSTNQN])
    env.fails("connect", t2.uri(), "-q", OTHER_HOSTNQN, cmd="connect",
              want=["Connect Invalid Host", "-q/--hostnqn"])
    env.fails("connect", "nvme+tcp://127.0.0.1:%d/%s" % (free_port(), NQN), cmd="connect",
              want=["connection refused"])
    env.env["NVMF_FUSE"] = env.path("no-such-nvmf-fuse")
    env.fails("connect", t.uri(), "-D", cmd="connect", want=["cannot run", "NVMF_FUSE"])
    env.env["NVMF_FUSE"] = env.fuse_exe
    check(env.records() == [], "failed connects left records %s" % env.records())


def t_connect_all(env):
    need_fuse()
    cfg = env.path("target.conf")
    with open(cfg, "w") as f:
        f.write("subsystem %s\nnamespace ram:8M\nsubsystem %s\nnamespace ram:4M\n"
                "namespace ram:4M\n" % (NQN, NQN2))
    t = env.target(backing=(), config=cfg)
    r = env.ctl("connect-all", "-t", "tcp", "-a", t.addr, "-s", t.port, "-q", HOSTNQN, "-i", 1)
    check("connect-all: 2 connected, 0 skipped, 0 failed" in r.out, "connect-all %r" % r.out)
    j = env.ctl("list", "-o", "json").json()["connections"]
    by = {c["subnqn"]: c for c in j}
    check(sorted(by) == sorted([NQN, NQN2]) and all(c["state"] == "live" for c in j),
          "connect-all connections %s" % j)
    check(len(by[NQN2]["namespaces"]) == 2 and
          all(os.path.exists(n["file"]) for c in j for n in c["namespaces"]), "files")
    # Again: both already connected, skipped with a message, not an error.
    r = env.ctl("connect-all", "nvme+tcp://%s:%d" % (t.addr, t.port), "-q", HOSTNQN, "-i", 1)
    check("0 connected, 2 skipped, 0 failed" in r.out and r.err.count("already connected") == 2,
          "second connect-all %r %r" % (r.out, r.err))
    # discovery.conf drives connect-all without an address too.
    with open(env.conf, "w") as f:
        f.write("-t tcp -a %s -s %d\n" % (t.addr, t.port))
    j = env.ctl("connect-all", "-q", HOSTNQN, "-D", "-i", 1, "-o", "json").json()
    check(j["connected"] == 2 and len(j["connections"]) == 2 and j["failed"] == 0,
          "connect-all -D json %s" % j)
    pids = [c["pid"] for c in env.ctl("list", "-o", "json").json()["connections"]]
    check(len(pids) == 4, "four connections expected, %d" % len(pids))
    r = env.ctl("disconnect-all")
    check(r.out == "disconnected 4 connection(s)\n", "disconnect-all %r" % r.out)
    check(all(wait_gone(p, 1) for p in pids) and env.records() == [], "left %s" % env.records())


# ---- strings from a hostile target --------------------------------------------------

def ctl_raw(env, *args):
    """nvmfctl's stdout and stderr as bytes (text mode would choke on raw bytes)."""
    p = subprocess.run([env.ctl_exe] + [str(a) for a in args], capture_output=True,
                       timeout=60, env=env.env)
    check(p.returncode == 0, "nvmfctl %s: exit %d\n%r" % (" ".join(map(str, args)),
                                                         p.returncode, p.stderr))
    for name, out in (("stdout", p.stdout), ("stderr", p.stderr)):
        bad = sorted({b for b in out if not (0x20 <= b <= 0x7e or b in (0x09, 0x0a))})
        check(not bad, "nvmfctl %s: raw bytes %s on %s:\n%r"
              % (" ".join(map(str, args)), ["%02x" % b for b in bad], name, out))
    return p.stdout.decode("ascii")


def lib_trimmed(raw):
    """The library's copy of a discovery field (src/host/parse.c host_copy_trim):
    up to the first NUL, control characters (below 20h, 7Fh) as '?'."""
    raw = raw.split(b"\x00", 1)[0]
    return bytes(0x3f if b < 0x20 or b == 0x7f else b for b in raw)


def t_hostile(env):
    """Identify strings and discovery records with escape sequences, newlines and
    0xFF bytes (no NUL) are printed escaped, in text and in JSON; a state record
    holding such strings too (nvmfctl list, disconnect -n)."""
    from hostile_ctrl import (FR, ID_SUBNQN, MN, REC_SUBNQN, REC_TRADDR, REC_TRSVCID, SN,
                              HostileCtrl, escaped)
    h = HostileCtrl()
    try:
        rec = {"trsvcid": escaped(lib_trimmed(REC_TRSVCID)),
               "subnqn": escaped(lib_trimmed(REC_SUBNQN)),
               "traddr": escaped(lib_trimmed(REC_TRADDR))}
        check(rec["traddr"] == "\\xff" * 256, "test's own expectation: %r" % rec["traddr"])
        out = ctl_raw(env, "discover", "-a", "127.0.0.1", "-s", h.port)
        f = fields(out)
        for k, v in rec.items():
            check(f.get(k) == v, "discover %s: %r, expected %r" % (k, f.get(k), v))
        check(sum(ln.startswith("subnqn:") for ln in out.splitlines()) == 1,
              "a forged line in discover's output:\n" + out)
        j = json.loads(ctl_raw(env, "discover", "-a", "127.0.0.1", "-s", h.port,
                               "-o", "json"))
        for k, v in rec.items():
            check(j["records"][0][k] == v, "discover JSON %s: %r, expected %r"
                  % (k, j["records"][0][k], v))
        ident = {"sn": escaped(SN), "mn": escaped(MN), "fr": escaped(FR),
                 "subnqn": escaped(ID_SUBNQN)}
        uri = "nvme+tcp://127.0.0.1:%d/" % h.port
        f = fields(ctl_raw(env, "id-ctrl", uri))
        j = json.loads(ctl_raw(env, "id-ctrl", uri, "-o", "json"))
        for k, v in ident.items():
            check(f.get(k) == v, "id-ctrl %s: %r, expected %r" % (k, f.get(k), v))
            check(j[k] == v, "id-ctrl JSON %s: %r, expected %r" % (k, j[k], v))
    finally:
        h.stop()
    # A state record with such strings (connect-all copies them from records):
    # list prints them escaped, its JSON is valid, disconnect -n takes the
    # escaped NQN that list showed.
    raw_nqn, raw_addr = REC_SUBNQN, b"10.0.0.1\x1b[2J\xff"
    text = (b'{"name": "nvmf7", "pid": 0, "state": "live", "mountpoint": "/nonexistent",'
            b' "transport": "tcp", "address": "' + raw_addr.replace(b"\x1b", b"\\u001b") +
            b'", "port": 4420, "subnqn": "' + raw_nqn.replace(b"\x01", b"\\u0001") +
            b'", "uri": "x", "namespaces": []}')
    with open(os.path.join(env.rundir, "nvmf7.json"), "wb") as fh:
        fh.write(text)
    out = ctl_raw(env, "list")
    check(escaped(raw_nqn) in out and escaped(raw_addr) in out, "list:\n" + out)
    c = json.loads(ctl_raw(env, "list", "-o", "json"))["connections"][0]
    check(c["subnqn"] == escaped(raw_nqn) and c["traddr"] == escaped(raw_addr),
          "list JSON %s" % c)
    ctl_raw(env, "disconnect", "-n", escaped(raw_nqn))
    check(env.records() == [], "disconnect -n of the escaped NQN left %s" % env.records())


DISC_NQN = "nqn.2014-08.org.nvmexpress.discovery"


def disc_service(records):
    """The scripted discovery service (hostile_ctrl.HostileCtrl): its log is
    records(port), the records given its own port, as disc_entry() keyword dicts."""
    from hostile_ctrl import HostileCtrl, disc_entry, disc_log
    h = HostileCtrl()
    h.log = disc_log([disc_entry(**r) for r in records(h.port)])
    return h


def t_referral_loop(env):
    """connect-all and autoconnect read each discovery service once, however its
    referrals spell its numeric address (127.1, 2130706433, port 016010): 48 referrals of
    a service to itself once made thousands of connections (the walk compared the
    spellings and stopped recording after 32 services); and at most 1024 services in
    all, with a message. A host name is not looked up (a lookup blocks, unbounded by
    --connect-timeout, and a name may stand for several addresses: localhost for
    127.0.0.1 and ::1 is not the service at 127.0.0.1 alone): it is a service of its
    own, read once however many referrals repeat it."""
    spell = ["127.0.0.1", "127.1", "2130706433", "0x7f.1", "127.0.1", "localhost"]
    b = disc_service(lambda p: [])
    a = disc_service(lambda p: [dict(subtype=1, traddr=x, trsvcid="0" * z + str(p),
                                     subnqn=DISC_NQN) for x in spell for z in range(8)] +
                     [dict(subtype=1, traddr="127.1", trsvcid="0%d" % b.port, subnqn=DISC_NQN)])
    from hostile_ctrl import disc_entry, disc_log
    b.log = disc_log([disc_entry(subtype=1, traddr=x, trsvcid=str(p), subnqn=DISC_NQN)
                      for x in spell for p in (a.port, b.port)])
    try:
        for args, want in [(["connect-all"], "connect-all: 0 connected, 0 skipped, 0 failed\n"),
                           (["autoconnect", "--dry-run"],
                            "autoconnect: 0 services would be started, 0 skipped, 0 failed\n")]:
            a.connects = b.connects = 0
            r = env.ctl(*(args + ["-a", "127.0.0.1", "-s", a.port]), timeout=60)
            # Each once by its numeric address, once as localhost.
            check(r.out == want and r.err == "" and (a.connects, b.connects) == (2, 2),
                  "%s: %d and %d discovery connections (2 each expected)\n%s%s"
                  % (args[0], a.connects, b.connects, r.out, r.err[-2000:]))
    finally:
        a.stop()
        b.stop()
    # 1100 services (closed ports of loopback addresses): 1024 read (1 read, 1023
    # failed), the rest skipped after one message.
    c = disc_service(lambda p: [dict(subtype=1, traddr="127.1.%d.%d" % (i // 250, 1 + i % 250),
                                     trsvcid="9", subnqn=DISC_NQN) for i in range(1100)])
    try:
        r = env.ctl("connect-all", "-a", "127.0.0.1", "-s", c.port, "--connect-timeout", 2,
                    rc=1, timeout=300)
        check("connect-all: 0 connected, 77 skipped, 1023 failed" in r.out and
              r.err.count("1024 discovery services were read") == 1,
              "1100 referrals: %s%s" % (r.out, r.err[-600:]))
    finally:
        c.stop()


def fuse_args_recorder(env):
    """A stand-in nvmf-fuse that writes its arguments, one line per run, to a file
    and fails: what connect would have run. (The path of the file, the program.)"""
    out, exe = env.path("fuse-args"), env.path("fuse-args.sh")
    if os.path.exists(out):
        os.unlink(out)
    with open(exe, "w") as f:
        f.write("#!/bin/sh\nprintf '%%s\\n' \"$*\" >> %s\necho 'nvmf-fuse: stand-in'\n"
                "exit 1\n" % out)
    os.chmod(exe, 0o755)
    return out, exe


def t_disc_records(env):
    """A discovery record's TRADDR, TRSVCID and SUBNQN go into nvmf-fuse's URI and
    autoconnect's instance file only when they are an address, a port and an NQN:
    others are skipped, the record's index and field named (they used to be pasted
    into the URI: "4420\\n", "16070/nqn...", "127.0.0.1/nqn.x:evil?"). An IPv6 zone
    is written %25 (RFC 6874), from a record as from -a fe80::1%lo. A SUBNQN with '/',
    '?' or '#' is percent-encoded, as connect -n takes it (it was skipped); one with a
    control byte (which the library shows as '?') is skipped."""
    good = "nqn.2026-11.org.libnvmf:good"
    bad = [dict(trsvcid="4420\n", subnqn=NQN),
           dict(trsvcid="16070/" + NQN + ":zz"),
           dict(traddr="127.0.0.1/nqn.x:evil?", subnqn=NQN),
           dict(traddr="[::1]", subnqn=NQN),
           dict(traddr="::1]:16997/nqn.x:y?[", subnqn=NQN),
           dict(subnqn=""),
           dict(subnqn=DISC_NQN),
           dict(subnqn="nqn.x:a/b?c#d"),                   # good: percent-encoded
           dict(subnqn="nqn.x:a\x01b"),
           dict(subtype=1, traddr="127.0.0.1", trsvcid="8009\t", subnqn=DISC_NQN)]
    want = ["record 0 ", "TRSVCID \"4420?\" is not a port number",
            "record 1 ", "TRSVCID \"16070/", "record 2 ", "TRADDR \"127.0.0.1/nqn.x:evil?\"",
            "record 3 ", "TRADDR \"[::1]\"", "record 4 ", "TRADDR \"::1]:16997",
            "record 5 ", "SUBNQN is empty", "record 6 ", "SUBNQN is the discovery NQN",
            "record 8 ", "SUBNQN \"nqn.x:a?b\" has a control byte",
            "record 9 ", "TRSVCID \"8009?\""]
    h = disc_service(lambda p: bad + [dict(traddr="fe80::1%lo", subnqn=good)])
    try:
        r = env.ctl("autoconnect", "--dry-run", "-a", "127.0.0.1", "-s", h.port, "-i", 1)
        check("autoconnect: 2 services would be started, 9 skipped, 0 failed" in r.out and
              "NVMF_URI=nvme+tcp://[fe80::1%%25lo]:4420/%s\n" % good in r.out and
              "NVMF_URI=nvme+tcp://127.0.0.1:4420/nqn.x:a%2Fb%3Fc%23d\n" in r.out,
              "autoconnect --dry-run of bad records:\n%s%s" % (r.out, r.err))
        check(len(r.err_lines()) == 9 and all(w in r.err for w in want),
              "autoconnect's messages about bad records:\n" + r.err)
        out, exe = fuse_args_recorder(env)
        e = dict(env.env, NVMF_FUSE=exe)
        r = env.ctl("connect-all", "-a", "127.0.0.1", "-s", h.port, "-i", 1, rc=1, env=e)
        check("connect-all: 0 connected, 9 skipped, 2 failed" in r.out and
              all(w in r.err for w in want), "connect-all of bad records:\n%s%s" % (r.out, r.err))
        with open(out) as f:
            runs = f.read().splitlines()
        check(len(runs) == 2 and
              "nvme+tcp://127.0.0.1:4420/nqn.x:a%2Fb%3Fc%23d" in runs[0].split() and
              "nvme+tcp://[fe80::1%%25lo]:4420/%s" % good in runs[1].split(),
              "connect-all ran nvmf-fuse with %s" % runs)
    finally:
        h.stop()
    # connect -a with a zone, as nvme-cli takes it: the URI nvmf-fuse is given.
    out, exe = fuse_args_recorder(env)
    e = dict(env.env, NVMF_FUSE=exe)
    r = env.ctl("connect", "-t", "tcp", "-a", "fe80::1%lo", "-s", "4420", "-n", NQN, rc=1,
                env=e)
    with open(out) as f:
        runs = f.read().splitlines()
    check(len(runs) == 1 and "nvme+tcp://[fe80::1%%25lo]:4420/%s" % NQN in runs[0].split(),
          "connect -a fe80::1%%lo ran nvmf-fuse with %s (%s)" % (runs, r.err))
    # A Linux interface name may hold '@' or '+' (nvme-cli passes them): the zone is
    # percent-encoded, not refused.
    os.unlink(out)
    r = env.ctl("connect", "-t", "tcp", "-a", "fe80::1%lo@x+y", "-s", "4420", "-n", NQN, rc=1,
                env=e)
    runs = []
    if os.path.exists(out):
        with open(out) as f:
            runs = f.read().splitlines()
    check(len(runs) == 1 and "nvme+tcp://[fe80::1%%25lo%%40x%%2By]:4420/%s" % NQN
          in runs[0].split(), "connect -a fe80::1%%lo@x+y ran nvmf-fuse with %s (%s)"
          % (runs, r.err))
    # An address that cannot make a URI: the message says why.
    for addr, why in (("a/b", "has a character no host name or address holds"),
                      ("fe80::1%a/b", "has a character an IPv6 zone (an interface name) "
                       "cannot hold")):
        r = env.ctl("connect", "-t", "tcp", "-a", addr, "-s", "4420", "-n", NQN, rc=1, env=e)
        check("no URI for nvmf-fuse: the address \"%s\" %s" % (addr, why) in r.err,
              "connect -a %s: %r" % (addr, r.err))


def tls_built(env):
    """Was nvmfctl built with OpenSSL (NVMF_WITH_TLS)? gen-tls-key says when not."""
    return "without OpenSSL" not in env.ctl("gen-tls-key", rc=None).err


def t_referral_tls(env):
    """A referral whose TREQ requires a secure channel is followed with TLS, as an NVM
    entry with that TREQ is connected (it was followed in plaintext: the host NQN went
    out in clear and the TLS-only service never answered); one that offers only TLS 1.2
    is skipped as such an entry is; one that neither requires nor offers TLS is followed
    in plaintext. Without OpenSSL the one requiring TLS is skipped, saying so (the
    library's "TLS options given" blamed options the user never gave)."""
    b, c, d = disc_service(lambda p: []), disc_service(lambda p: []), disc_service(lambda p: [])
    a = disc_service(lambda p: [
        dict(subtype=1, trsvcid=str(b.port), subnqn=DISC_NQN, treq=1, sectype=2),
        dict(subtype=1, trsvcid=str(c.port), subnqn=DISC_NQN, treq=2, sectype=1),
        dict(subtype=1, trsvcid=str(d.port), subnqn=DISC_NQN, treq=2, sectype=0)])
    try:
        tls = tls_built(env)
        r = env.ctl("connect-all", "-a", "127.0.0.1", "-s", a.port, rc=1 if tls else 0,
                    timeout=60)
        if tls:
            # No key given: B's connection is TLS, which says so before connecting.
            check(b.icreqs == 0 and "cannot discover from 127.0.0.1:%d: TLS failed" % b.port
                  in r.err and "TLS: no key given" in r.err, "a referral requiring a secure "
                  "channel was followed in plaintext (%d ICReq):\n%s%s"
                  % (b.icreqs, r.out, r.err))
        else:
            # No TLS in this build: B skipped, the reason the record's, not options.
            check(b.connects == 0 and "127.0.0.1:%d: its TREQ requires a secure channel (TLS), "
                  "and this build has none (built without OpenSSL)" % b.port in r.err and
                  "TLS options given" not in r.err, "a referral requiring TLS, without "
                  "OpenSSL (%d connections):\n%s%s" % (b.connects, r.out, r.err))
        check("its secure channel (TSAS sectype 1) is not TLS 1.3" in r.err and c.connects == 0,
              "a TLS 1.2-only referral was followed:\n" + r.err)
        want = "connect-all: 0 connected, %s" % ("1 skipped, 1 failed" if tls else
                                                  "2 skipped, 0 failed")
        check(d.icreqs == 1 and want in r.out,
              "a referral offering no TLS not followed in plaintext: %d\n%s%s"
              % (d.icreqs, r.out, r.err))
    finally:
        for s in (a, b, c, d):
            s.stop()


def t_disc_raw(env):
    """discover --raw FILE, discover -o binary and get-log -i discovery -b write the log
    page as received, as nvme-cli's --raw does: they used to re-encode the parsed
    records (NUL padding as spaces, control bytes as '?', reserved bytes lost)."""
    from hostile_ctrl import disc_entry, disc_log
    recs = [disc_entry(trsvcid=b"4420\x00\x00", traddr=b"127.0.0.1\x00\x00", subnqn=NQN),
            disc_entry(subtype=1, trsvcid=b"8009", subnqn=b"nqn.x:\x01\x1b[2J", sectype=2)]
    recs[1] = recs[1][:1000] + b"\xa5" * 24                    # reserved bytes
    page = bytearray(disc_log(recs, genctr=5))
    page[20:24] = b"\x01\x02\x03\x04"                        # header: reserved
    h = disc_service(lambda p: [])
    h.log = bytes(page)
    try:
        raw = env.path("disc.raw")
        env.ctl("discover", "-a", "127.0.0.1", "-s", h.port, "--raw", raw)
        with open(raw, "rb") as f:
            got = {"--raw": f.read()}
        got["-o binary"] = ctl_bytes(env, "discover", "-a", "127.0.0.1", "-s", h.port,
                                     "-o", "binary")
        got["get-log -b"] = ctl_bytes(env, "get-log", "nvme+tcp://127.0.0.1:%d" % h.port,
                                      "-i", "discovery", "-b")
        for k, v in got.items():
            diff = [i for i in range(min(len(v), len(page))) if v[i] != page[i]]
            check(v == page, "%s: %d bytes, %d expected; %d differ (first at %s)"
                  % (k, len(v), len(page), len(diff), diff[:8]))
    finally:
        h.stop()


# ---- list states and reconnect, against stand-in servers ------------------------------

# A stand-in for an nvmf-fuse server: named nvmf-fuse (so nvmfctl takes it for one),
# keeping a state record, answering SIGUSR1 as told. No FUSE, no target, no library.
# The name is the one the kernel takes from the program run: Python's own binary under
# the name nvmf-fuse (stand_in_exe()), so that it holds on Linux and FreeBSD alike.
STAND_IN = r"""
import json, os, signal, sys, time
path, mode, rec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
rec["pid"] = os.getpid()

def write():
    with open(path + ".tmp", "w") as f:
        json.dump(rec, f)
    os.rename(path + ".tmp", path)

def usr1(sig, frame):
    if mode == "answer":      # reconnected: the count goes up
        rec["reconnects"] += 1
        rec["outages"] += 1
        rec["state"] = "live"
        write()
    elif mode == "giveup":    # tries, then gives up again
        rec["state"] = "connecting"
        rec["attempt"] = 1
        write()
        time.sleep(0.3)
        rec["state"] = "dead"
        rec["last_error"] = "queue 0: connection refused"
        write()
    # "ignore": nothing changes

if mode != "default":
    signal.signal(signal.SIGUSR1, usr1)
write()
print("ready", flush=True)
while True:
    time.sleep(1)
"""


def stand_in_exe(env):
    """The Python interpreter under the file name nvmf-fuse: a hard link to it (or a
    copy, across file systems). Not a symbolic link: FreeBSD names a process after the
    file a link leads to, Linux after the path it ran. Run with PYTHONHOME set
    (stand_in()): found under another name, it cannot tell its prefix by itself."""
    d = env.path("stand-in-bin")
    exe = os.path.join(d, "nvmf-fuse")
    if not os.path.exists(exe):
        os.makedirs(d, exist_ok=True)
        real = os.path.realpath(sys.executable)
        try:
            os.link(real, exe)
        except OSError:
            shutil.copy2(real, exe)
    return exe


def stand_in(env, name, mode="answer", **fields):
    rec = {"name": name, "pid": 0, "mountpoint": env.path("mnt-" + name), "transport": "tcp",
           "address": "127.0.0.1", "port": 4420, "subnqn": NQN, "hostnqn": HOSTNQN,
           "cntlid": 7, "state": "live", "uri": "nvme+tcp://127.0.0.1/" + NQN,
           "read_only": False, "attempt": 0, "max_attempts": 0, "last_error": "",
           "outages": 0, "reconnects": 0, "namespaces": []}
    os.makedirs(rec["mountpoint"], exist_ok=True)
    rec.update(fields)
    for k in [k for k, v in rec.items() if v is None]:
        del rec[k]
    p = subprocess.Popen([stand_in_exe(env), "-c", STAND_IN,
                          os.path.join(env.rundir, name + ".json"), mode, json.dumps(rec)],
                         stdout=subprocess.PIPE, text=True,
                         env=dict(os.environ, PYTHONHOME=sys.base_prefix))
    check(p.stdout.readline() == "ready\n", "stand-in server did not start")
    env.stand_ins.append(p)
    return p


def t_records(env):
    """nvmfctl list shows the outage state of a record; nvmfctl reconnect signals only a
    running nvmf-fuse that takes SIGUSR1, and reports what came of it."""
    env.stand_ins = []
    try:
        records_and_reconnect(env)
    finally:
        for p in env.stand_ins:
            p.kill()
            p.wait()


def corrupt_records(env):
    """A record file that is not a record: a warning naming it and what is wrong, the
    others listed all the same, exit 1 (text and JSON)."""
    bad = {"garbage.json": "not JSON", "cut.json": "not JSON (cut short)",
           "list.json": "not an object", "empty.json": "empty file"}
    for name, text in [("garbage.json", "}{ not json"), ("cut.json", '{"name": "cut", "pid'),
                       ("list.json", "[1, 2]"), ("empty.json", "")]:
        with open(os.path.join(env.rundir, name), "w") as f:
            f.write(text)
    try:
        r = env.ctl("list", rc=1)
        check(re.search(r"^d +live ", r.out, re.M), "list with corrupt records:\n" + r.out)
        for name, why in bad.items():
            path = os.path.join(env.rundir, name)
            check(re.search(r"^nvmfctl: list: warning: %s: .*%s" % (re.escape(path),
                                                                     re.escape(why)),
                            r.err, re.M), "no warning for %s (%s):\n%s" % (name, why, r.err))
        check(len(r.err.splitlines()) == len(bad), "one warning per file:\n" + r.err)
        r = env.ctl("list", "-o", "json", rc=1)
        names = [c["name"] for c in json.loads(r.out)["connections"]]
        check("d" in names and "cut" not in names, "list -o json: %s" % names)
        check(len(r.err.splitlines()) == len(bad), "-o json: one warning per file:\n" + r.err)
    finally:
        for name in bad:
            os.unlink(os.path.join(env.rundir, name))
    check(env.ctl("list").err == "", "list without corrupt records warns")


def t_disconnect_corrupt(env):
    """A record file that is not a record (cut short, not JSON, empty) is removed by
    disconnect by its name, -d, its path, or disconnect-all, with a line saying it was
    corrupt and what was cleaned up (its empty default mount point too); the pid it
    shows, here a running stand-in nvmf-fuse's, is not signalled. disconnect used to
    answer "no connection named" and leave it. Against a stand-in server."""
    env.stand_ins = []
    try:
        disconnect_corrupt(env)
    finally:
        for p in env.stand_ins:
            p.kill()
            p.wait()


def disconnect_corrupt(env):
    live = stand_in(env, "live", mode="default")    # SIGTERM would end it
    rd = env.rundir
    files = {"cut": ('{"name": "cut", "pid": %d, "mountpoint": "%s/cut", "st' % (live.pid, rd),
                     "not JSON (cut short)"),
             "garbage": ("}{ pid %d" % live.pid, "not JSON"),
             "list": ("[%d]" % live.pid, "a JSON value that is not an object"),
             "empty": ("", "empty file")}
    for name, (text, _) in files.items():
        with open(os.path.join(rd, name + ".json"), "w") as f:
            f.write(text)
    os.mkdir(os.path.join(rd, "cut"))   # its default mount point, left empty

    def removed(r, name):
        path = os.path.join(rd, name + ".json")
        want = (r"^nvmfctl: disconnect: %s: the record %s was corrupt \(%s.*\): removed it; "
                r"%s was not mounted \(.*\); no process was signalled"
                % (re.escape(name), re.escape(path), re.escape(files[name][1]),
                   re.escape(os.path.join(rd, name))))
        check(re.search(want, r.err, re.M) and
              "disconnected %s (corrupt record)\n" % name in r.out,
              "%s: %r %r" % (name, r.out, r.err))
        check(not os.path.exists(path), "%s left" % path)

    r = env.ctl("disconnect", "cut")
    removed(r, "cut")
    check(not os.path.exists(os.path.join(rd, "cut")), "the empty default mount point is left")
    r = env.ctl("disconnect", "-d", "garbage,list")
    removed(r, "garbage")
    removed(r, "list")
    r = env.ctl("disconnect", os.path.join(rd, "empty.json"))
    removed(r, "empty")
    check(live.poll() is None and env.records() == ["live.json"],
          "the stand-in whose pid the corrupt records showed was ended, or its record "
          "removed: %s %s" % (live.poll(), env.records()))
    env.fails("disconnect", "cut", want=["no connection named or mounted at 'cut'"],
              cmd="disconnect")
    # disconnect-all: the stale record and a corrupt one.
    live.kill()
    live.wait()
    with open(os.path.join(rd, "again.json"), "w") as f:
        f.write('{"pid": ')
    r = env.ctl("disconnect-all")
    check("again: the record %s/again.json was corrupt" % rd in r.err and
          "disconnected 2 connection(s)" in r.out and env.records() == [],
          "disconnect-all with a corrupt record: %r %r %s" % (r.out, r.err, env.records()))


# An nvmf-fuse that never reports: it neither exits nor dies of SIGTERM (it notes it).
HANG_FUSE = """#!/bin/sh
echo $$ > "$HANG_DIR/pid"
trap 'echo TERM >> "$HANG_DIR/signals"' TERM
while :; do sleep 0.1; done
"""


def connect_hang(env):
    """connect waits for nvmf-fuse only as long as the connect timeout says (here
    1 s x (1 I/O queue + 3) + 3 s = 7 s), then stops it (SIGTERM, SIGKILL a second
    later) and fails, naming the program and the time."""
    d = env.path("hang")
    os.makedirs(d, exist_ok=True)
    exe = os.path.join(d, "hang-fuse")
    with open(exe, "w") as f:
        f.write(HANG_FUSE)
    os.chmod(exe, 0o755)
    e = dict(env.env, NVMF_FUSE=exe, HANG_DIR=d)
    t0 = time.monotonic()
    r = env.ctl("connect", "nvme+tcp://127.0.0.1:9/" + NQN, "--connect-timeout", "1", "-i", "1",
                rc=1, env=e, timeout=60)
    took = time.monotonic() - t0
    # Not a timing assertion: never before the bound; the upper one only catches a
    # wait that did not end (env.ctl's own limit is 60 s).
    check(took >= 7 and took < 55, "connect with a hanging nvmf-fuse took %.1f s" % took)
    check(r.out == "" and "%s did not report within 7 s (--connect-timeout 1 s" % exe in r.err
          and "stopped it" in r.err, "connect with a hanging nvmf-fuse: %r" % r.err)
    with open(os.path.join(d, "signals")) as f:
        check(f.read() == "TERM\n", "the hanging nvmf-fuse was not sent SIGTERM first")
    with open(os.path.join(d, "pid")) as f:
        pid = int(f.read())
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    check(not alive, "the hanging nvmf-fuse (pid %d) still runs" % pid)


def records_and_reconnect(env):
    stand_in(env, "a", state="connecting", attempt=3, max_attempts=60, outages=1,
             last_error="queue 0: connection refused")
    stand_in(env, "b", state="dead", attempt=60, max_attempts=60, outages=2, reconnects=1,
             last_error="gave up")
    stand_in(env, "c", state="connecting", attempt=2, max_attempts=0, last_error="x")
    stand_in(env, "d", state="live", outages=4, reconnects=4, last_error="old news")
    out = env.ctl("list").out
    for pat in [r"^a +connecting \(attempt 3 of 60\) +127\.0\.0\.1:4420 +7 ",
                r"^ +last error: queue 0: connection refused$",
                r"^b +dead \(gave up after 60 attempts\) ",
                r"^c +connecting \(attempt 2\) ",
                r"^d +live +127"]:
        check(re.search(pat, out, re.M), "list: no line matching %r:\n%s" % (pat, out))
    check("old news" not in out, "list shows the last error of a live connection:\n" + out)
    j = {c["name"]: c for c in env.ctl("list", "-o", "json").json()["connections"]}
    check(j["a"]["state"] == "connecting" and j["a"]["attempt"] == 3
          and j["a"]["max_attempts"] == 60 and j["a"]["outages"] == 1
          and j["a"]["reconnects"] == 0
          and j["a"]["last_error"] == "queue 0: connection refused", "list json %s" % j["a"])
    check(j["b"]["state"] == "dead" and j["d"]["reconnects"] == 4, "list json %s" % j)
    corrupt_records(env)
    connect_hang(env)

    # reconnect: SIGUSR1, then the record's count going up.
    r = env.ctl("reconnect", "d")
    check(r.out == "reconnected d (cntlid 7, 5 reconnects since start)\n", "reconnect: %r" % r.out)
    r = env.ctl("reconnect", env.path("mnt-a") + "/", "--timeout", "5")  # by mount point
    check(r.out.startswith("reconnected a "), "reconnect by mount point: %r" % r.out)
    r = env.ctl("reconnect", "--timeout", "0", "d")
    check(re.match(r"reconnect requested for d \(nvmf-fuse pid \d+\)\n$", r.out),
          "reconnect --timeout 0: %r" % r.out)
    stand_in(env, "e", mode="ignore", state="connecting", attempt=3, max_attempts=60,
             last_error="queue 0: connection refused")
    env.fails("reconnect", "--timeout", "1", "e", cmd="reconnect",
              want=["e: not reconnected within 1 s: connecting (attempt 3 of 60): "
                    "queue 0: connection refused"])
    stand_in(env, "f", mode="giveup", state="dead", attempt=1, max_attempts=1,
             last_error="before")
    env.fails("reconnect", "f", cmd="reconnect",
              want=["f: reconnect failed: dead (gave up after 1 attempt): "
                    "queue 0: connection refused"])
    g = stand_in(env, "g", mode="default")  # takes SIGUSR1 by its record, but dies of it
    env.fails("reconnect", "g", cmd="reconnect", want=["g: nvmf-fuse (pid %d) exited" % g.pid])

    # Never signalled: an older nvmf-fuse (no counts in its record), one still making
    # its first connection (a claimed record), a record whose process is gone, a pid
    # reused by another program.
    old = stand_in(env, "old", mode="default", attempt=None, max_attempts=None,
                   last_error=None, outages=None, reconnects=None)
    env.fails("reconnect", "old", cmd="reconnect",
              want=["old: nvmf-fuse (pid %d) does not take reconnect requests" % old.pid])
    check(old.poll() is None, "an nvmf-fuse without reconnect support was signalled")
    with open(os.path.join(env.rundir, "claimed.json"), "w") as f:
        json.dump({"pid": old.pid, "state": "connecting"}, f)
    env.fails("reconnect", "claimed", cmd="reconnect",
              want=["claimed: nvmf-fuse (pid %d) is still making its first connection"
                    % old.pid])
    check(old.poll() is None, "a server still connecting was signalled")
    with open(os.path.join(env.rundir, "gone.json"), "w") as f:
        json.dump({"name": "gone", "pid": 2147483000, "state": "live", "reconnects": 0}, f)
    env.fails("reconnect", "gone", cmd="reconnect",
              want=["gone: stale record: nvmf-fuse (pid 2147483000) no longer runs",
                    "'nvmfctl disconnect gone'"])
    other = subprocess.Popen(["sleep", "60"])
    env.stand_ins.append(other)
    with open(os.path.join(env.rundir, "reused.json"), "w") as f:
        json.dump({"name": "reused", "pid": other.pid, "state": "live", "reconnects": 0}, f)
    env.fails("reconnect", "reused", cmd="reconnect", want=["reused: stale record"])
    check(other.poll() is None, "a process that is not nvmf-fuse was signalled")
    env.fails("reconnect", "nope", cmd="reconnect",
              want=["no connection named or mounted at 'nope'"])
    env.fails("reconnect", rc=2, usage=True, cmd="reconnect", want=["NAME or MOUNTPOINT"])
    env.fails("reconnect", "--timeout", "x", "d", rc=2, usage=True, cmd="reconnect",
              want=["--timeout"])
    # Another user's server: named, with the reason (root only: needs a second user).
    if os.geteuid() == 0:
        os.chmod(env.tmp, 0o755)
        os.chmod(env.rundir, 0o755)
        p = subprocess.run([env.ctl_exe, "reconnect", "d"], capture_output=True, text=True,
                           env=env.env, preexec_fn=lambda: os.setuid(65534), timeout=60)
        check(p.returncode == 1 and "d: cannot signal nvmf-fuse" in p.stderr
              and "Operation not permitted" in p.stderr and "another user" in p.stderr,
              "reconnect as another user: %d %r" % (p.returncode, p.stderr))


# ---- fixes of the nvmfctl-fixes branch -----------------------------------------------

def to_full(env, *args):
    """nvmfctl with standard output on /dev/full: (rc, stderr)."""
    with open("/dev/full", "w") as full:
        p = subprocess.run([env.ctl_exe] + [str(a) for a in args], stdout=full,
                           stderr=subprocess.PIPE, text=True, env=env.env, timeout=120)
    return p.returncode, p.stderr


def t_stdout_full(env):
    """Output that cannot be written is a failure (exit 1, one line), whatever the
    command; it used to exit 0 in silence."""
    if not os.path.exists("/dev/full"):
        raise SkipTest("no /dev/full here")
    t = env.target()
    D = "nvme+tcp://%s:%d" % (t.addr, t.port)
    for args in (["version"], ["version", "-o", "json"], ["gen-hostnqn"], ["list"],
                 ["list", "-o", "json"], ["help"], ["id-ctrl", "--help"],
                 ["discover", D], ["discover", D, "-o", "json"], ["id-ctrl", t.uri()],
                 ["get-log", t.uri(), "smart"], ["list-ns", t.uri(), "-o", "json"]):
        rc, err = to_full(env, *args)
        lines = [ln for ln in err.splitlines() if ln.strip()]
        check(rc == 1 and len(lines) == 1 and lines[0].startswith("nvmfctl: ")
              and lines[0].endswith("cannot write to standard output: No space left on device"),
              "nvmfctl %s > /dev/full: exit %d, stderr %r" % (" ".join(args), rc, err))
    # The same commands with somewhere to write: 0, nothing on stderr.
    r = env.ctl("discover", D, "-o", "json")
    check(r.err == "", "discover to a pipe wrote to stderr: %r" % r.err)
    # A command that failed keeps its own status and message first.
    rc, err = to_full(env, "id-ns", t.uri(), "-n", "0")
    check(rc == 2 and "cannot write" not in err, "usage error > /dev/full: %d %r" % (rc, err))


def t_conf_json(env):
    """discovery.conf with two discovery controllers: -o json is one JSON document
    (an array of objects naming their controller), not two objects run together;
    one controller keeps the single object; connect-all sums up in one line."""
    t1 = env.target(backing=("ram:4M",), nqn=NQN)
    t2 = env.target(backing=("ram:4M",), nqn=NQN2)
    with open(env.conf, "w") as f:
        f.write("-t tcp -a %s -s %d\n# comment\n-t tcp -a %s -s %d\n"
                % (t1.addr, t1.port, t2.addr, t2.port))
    j = env.ctl("discover", "-o", "json").json()
    check(isinstance(j, list) and len(j) == 2, "discover -o json, 2 controllers: %s" % j)
    for o, t, nqn in zip(j, (t1, t2), (NQN, NQN2)):
        check(o["traddr"] == t.addr and o["trsvcid"] == str(t.port)
              and o["subnqn"] == "nqn.2014-08.org.nvmexpress.discovery",
              "the controller is not named: %s" % {k: o.get(k) for k in ("traddr", "trsvcid",
                                                                          "subnqn")})
        check_disc_json(o, t, [nqn])
    # One line: today's object, unnamed, as from the command line.
    with open(env.conf, "w") as f:
        f.write("-t tcp -a %s -s %d\n" % (t1.addr, t1.port))
    j = env.ctl("discover", "-o", "json").json()
    check(isinstance(j, dict) and "traddr" not in j, "one controller: %s" % j)
    check(j == env.ctl("discover", "-a", t1.addr, "-s", t1.port, "-o", "json").json(),
          "a one-line discovery.conf differs from the command line")
    if not fuse_usable():
        log("no FUSE here: connect-all part not run")
        return
    with open(env.conf, "w") as f:
        f.write("-t tcp -a %s -s %d\n-t tcp -a %s -s %d\n" % (t1.addr, t1.port, t2.addr,
                                                               t2.port))
    j = env.ctl("connect-all", "-q", HOSTNQN, "-i", 1, "-o", "json").json()
    check(isinstance(j, list) and len(j) == 2 and [o["connected"] for o in j] == [1, 1]
          and [o["subnqn"] for o in j] == ["nqn.2014-08.org.nvmexpress.discovery"] * 2
          and [o["connections"][0]["subnqn"] for o in j] == [NQN, NQN2]
          and [o["trsvcid"] for o in j] == [str(t1.port), str(t2.port)],
          "connect-all -o json, 2 controllers: %s" % j)
    r = env.ctl("connect-all", "-q", HOSTNQN, "-i", 1)
    check(r.out == "connect-all: 0 connected, 2 skipped, 0 failed\n",
          "connect-all text, 2 controllers: one summary line expected: %r" % r.out)
    env.ctl("disconnect-all")


def ctl_bytes(env, *args):
    p = subprocess.run([env.ctl_exe] + [str(a) for a in args], capture_output=True,
                       env=env.env, timeout=60)
    check(p.returncode == 0, "nvmfctl %s: exit %d %r" % (" ".join(map(str, args)),
                                                        p.returncode, p.stderr))
    return p.stdout


def t_log_parts(env):
    """get-log -l/-L read part of the discovery log (they were ignored: the whole
    log came back); fw-slot and changed-ns have their fixed sizes by default."""
    t = env.target(backing=("ram:4M",))
    D = "nvme+tcp://%s:%d" % (t.addr, t.port)
    whole = ctl_bytes(env, "get-log", D, "-i", "discovery", "-b")
    check(len(whole) == 2048, "whole discovery log: %d bytes" % len(whole))
    got = ctl_bytes(env, "get-log", D, "-i", "discovery", "-l", 8, "-b")
    check(got == whole[:8], "-l 8 -b: %d bytes %r" % (len(got), got[:16]))
    got = ctl_bytes(env, "get-log", D, "-i", "discovery", "-L", 1024, "-b")
    check(len(got) == 1024 and got[256:256 + len(NQN)] == NQN.encode()
          and got[4:] == whole[1024 + 4:], "-L 1024 -b: not the first entry (%d bytes)"
          % len(got))
    got = ctl_bytes(env, "get-log", D, "-i", "discovery", "-L", 1024, "-l", 512, "-b")
    check(len(got) == 512 and got[256:256 + len(NQN)] == NQN.encode(),
          "-L 1024 -l 512 -b: %d bytes" % len(got))
    r = env.ctl("get-log", D, "-i", "discovery", "-L", 1024, "-l", 64)
    check("log-id:112" in r.out and "0000: 03 " in r.out and "0030:" in r.out
          and "0040:" not in r.out, "-L 1024 -l 64 hex dump:\n%s" % r.out)
    env.fails("get-log", D, "-i", "discovery", "-L", 4096, cmd="get-log",
              want=["-L/--lpo: 4096 is beyond the discovery log (2048 bytes)"])
    env.fails("get-log", D, "-i", "discovery", "-l", 8, "-o", "json", rc=2, usage=True,
              cmd="get-log", want=["no JSON form"])
    # Fixed sizes, as nvme-cli's fw-log and changed-ns-list-log read them.
    check(len(ctl_bytes(env, "get-log", t.uri(), "-i", "fw-slot", "-b")) == 512, "fw-slot -b")
    check(len(ctl_bytes(env, "get-log", t.uri(), "-i", "changed-ns", "-b")) == 4096,
          "changed-ns -b")
    r = env.ctl("get-log", t.uri(), "fw-slot")
    check("log-id:3 " in r.out and "01f0:" in r.out and "0200:" not in r.out,
          "fw-slot hex dump:\n%s" % r.out)
    check(len(ctl_bytes(env, "get-log", t.uri(), "-i", 4, "-l", 64, "-b")) == 64,
          "changed-ns -l 64")


def t_list_ns_bound(env):
    """list-ns: -b/--raw-binary is documented (help, man page); -n above
    FFFFFFFDh (CNS 02h's bound) is a bad command line, not a failed command."""
    h = env.ctl("list-ns", "--help").out
    check("-b, --raw-binary" in h, "list-ns --help does not list -b:\n%s" % h)
    man = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools",
                       "nvmfctl", "nvmfctl.8")
    with open(man) as f:
        text = f.read()
    sect = text[text.index(".It Cm list-ns"):text.index(".It Cm get-log")]
    check("-raw-binary" in sect, "nvmfctl.8's list-ns does not name -b/--raw-binary")
    U = "nvme+tcp://127.0.0.1:%d/%s" % (free_port(), NQN)
    for args in ([U, "-n", "4294967294"], [U, "--namespace-id=4294967295"],
                 [U + "/4294967294"]):
        env.fails("list-ns", *args, rc=2, usage=True, cmd="list-ns", want=["4294967293"])
    # The bound itself is a namespace ID list-ns takes: nothing listens here.
    env.fails("list-ns", U, "-n", "4294967293", rc=1, cmd="list-ns", want=["cannot connect"])


def t_port_decimal(env):
    """-s/--trsvcid is decimal only (017523 was read as octal, port 8019; 0x1f53
    was taken); a port glued to -a is named as such, not 'not an IPv6 address'."""
    t = env.target(backing=("ram:4M",))
    # A port with leading zeros is the same decimal number; strtoul's base 0 made
    # 0NNN octal, so the discover went elsewhere (or, for 0x, worked by accident).
    lead = "0%d" % t.port
    check_disc_text(env.ctl("discover", "-a", t.addr, "-s", lead).out, t, [NQN])
    j = env.ctl("id-ctrl", "--traddr", t.addr, "--trsvcid", "00" + str(t.port), "--nqn", NQN,
                "-o", "json").json()
    check(j["subnqn"] == NQN, "id-ctrl --trsvcid 00PORT")
    for bad in ("0x%x" % t.port, "0X1F53", "1e3", "+80", "-1",
                " 80", "00", "65536", "4420x"):
        env.fails("discover", "-a", t.addr, "-s", bad, rc=2, usage=True, cmd="discover",
                  want=["-s/--trsvcid: '%s'" % bad, "decimal number from 1 to 65535"])
    env.fails("id-ns", "--traddr", t.addr, "--trsvcid", "0x10", "--nqn", NQN, "-n", 1, rc=2,
              usage=True, cmd="id-ns", want=["--trsvcid: '0x10'", "decimal"])
    # In discovery.conf too.
    with open(env.conf, "w") as f:
        f.write("-t tcp -a %s -s 0x%x\n" % (t.addr, t.port))
    r = env.ctl("discover", rc=1)
    check("line 1: -s/--trsvcid: '0x%x'" % t.port in r.err, "conf line: %r" % r.err)
    # -a ADDR:PORT: where the port goes, not "not an IPv6 address".
    for args, want in ((["discover", "-a", "127.0.0.1:8019"],
                        "-a/--traddr: '127.0.0.1:8019' has a port in it: use -s for the "
                        "service (port): -a 127.0.0.1 -s 8019"),
                       (["connect", "-a", "[::1]:4420", "-n", NQN],
                        "use -s for the service (port): -a [::1] -s 4420"),
                       (["id-ctrl", "--traddr", "localhost:4420", "--nqn", NQN],
                        "--traddr: 'localhost:4420' has a port in it: use --trsvcid for the "
                        "service (port): --traddr localhost --trsvcid 4420")):
        line = env.fails(*args, rc=2, usage=True, want=[want])
        check("IPv6" not in line, "still says IPv6: %r" % line)


def t_bad_secrets(env):
    """A malformed TLS key or DH-HMAC-CHAP secret (option, file, environment) is a
    bad command line (rc 2) naming its source, found before connecting; it was
    reported as a failed connection (rc 1, "TLS failed", "Invalid argument")."""
    if not tls_built(env):
        raise SkipTest("built without OpenSSL: no TLS, no DH-HMAC-CHAP")
    good_s = env.ctl("gen-dhchap-key", "-n", HOSTNQN).out.strip()
    good_k = env.ctl("gen-tls-key").out.strip()
    port = free_port()
    U = "nvme+tcp://127.0.0.1:%d/%s" % (port, NQN)
    secfile = env.path("secret")
    with open(secfile, "w") as f:
        f.write("DHHC-1:01:garbage:\n")

    def refused(args, want, extra_env=None, cmd=None):
        e = dict(env.env, **(extra_env or {}))
        r = env.ctl(*args, rc=2, env=e)
        lines = [ln for ln in r.err_lines() if not ln.startswith("warning:")]
        check(len(lines) >= 1 and all(w in lines[0] for w in want)
              and "connect" not in lines[0].split(":", 2)[2],
              "nvmfctl %s: %r does not say %s" % (" ".join(r.args), r.err, want))
        check(r.out == "", "output %r" % r.out)

    refused(["id-ctrl", U, "--tls-key", "NVMeTLSkey-1:01:AAAA:"],
            ["id-ctrl: --tls-key: ", "wrong key length"])
    refused(["id-ctrl", U, "--dhchap-secret", "DHHC-1:01:garbage:"],
            ["id-ctrl: --dhchap-secret: ", "not valid Base64"])
    refused(["discover", "-a", "127.0.0.1", "-s", port, "-S", "DHHC-1:07:AAAA:"],
            ["-S/--dhchap-secret: "])
    refused(["discover", "-a", "127.0.0.1", "-s", port, "-S", good_s, "-C", "DHHC-1:00:xx:"],
            ["-C/--dhchap-ctrl-secret: "])
    refused(["get-log", U, "smart", "--dhchap-secret-file", secfile],
            ["--dhchap-secret-file: ", "Base64"])
    refused(["list-ns", U], ["NVMF_TLS_KEY: ", "NVMeTLSkey-1:"], {"NVMF_TLS_KEY": "junk"})
    refused(["id-ns", U, "-n", 1], ["NVMF_DHCHAP_SECRET: "],
            {"NVMF_DHCHAP_SECRET": "DHHC-1:01:garbage:"})
    refused(["discover", "-a", "127.0.0.1", "-s", port], ["NVMF_DHCHAP_CTRL_SECRET: "],
            {"NVMF_DHCHAP_SECRET": good_s, "NVMF_DHCHAP_CTRL_SECRET": "DHHC-1:01:x:"})
    refused(["connect", U, "--tls-key", "NVMeTLSkey-1:01:AAAA:"], ["connect: --tls-key: "])
    check(env.records() == [], "a connect with a bad key left %s" % env.records())
    # Good ones pass the check: the failure is then the connection's.
    for args in (["id-ctrl", U, "--tls-key", good_k], ["id-ctrl", U, "-o", "json"]):
        r = env.ctl(*args, rc=1, env=dict(env.env, NVMF_DHCHAP_SECRET=good_s))
        check("cannot connect" in r.err, "good secrets: %r" % r.err)
    # A discovery.conf line: reported with its number.
    with open(env.conf, "w") as f:
        f.write("-t tcp -a 127.0.0.1 -s %d --dhchap-secret DHHC-1:01:garbage:\n" % port)
    r = env.ctl("discover", rc=1)
    check("line 1: -S/--dhchap-secret: DH-HMAC-CHAP secret" in r.err, "conf line: %r" % r.err)


def t_dup_addr(env):
    """connect's duplicate check compares numeric addresses and port numbers:
    "localhost" and "127.0.0.1", "::1" and "0:0:0:0:0:0:0:1", the default port and
    4420 given are the same controller (they were compared as text, so the same
    controller could be connected twice). Another host NQN is another connection, as
    nvme-cli has it (the host NQN was not compared: refused). Against stand-in
    servers; a connect that passes the check reaches NVMF_FUSE, a program that is not
    there."""
    env.stand_ins = []
    try:
        dup_addr(env)
    finally:
        for p in env.stand_ins:
            p.kill()
            p.wait()


def dup_addr(env):
    import socket as so
    try:
        lh = {a[4][0] for a in so.getaddrinfo("localhost", 4420, type=so.SOCK_STREAM)}
    except OSError:
        lh = set()
    env.env["NVMF_FUSE"] = env.path("no-such-nvmf-fuse")
    # Connected with the default host NQN, as the connects below without -q.
    mine = env.ctl("show-hostnqn").out.strip()
    check(mine and mine != OTHER_HOSTNQN, "show-hostnqn: %r" % mine)
    stand_in(env, "v4", address="127.0.0.1", port=4420, subnqn=NQN, hostnqn=mine)
    stand_in(env, "v6", address="::1", port="4421", subnqn=NQN2, hostnqn=mine)
    stand_in(env, "name", address="localhost", port="4422", subnqn=NQN, hostnqn=mine)
    stand_in(env, "host2", address="127.0.0.1", port="4424", subnqn=NQN, hostnqn=OTHER_HOSTNQN)

    def refused(args, name, at):
        line = env.fails("connect", *args, cmd="connect",
                         want=["already connected as %s" % name, "-D/--duplicate-connect"])
        check(" as %s at %s (mounted on " % (name, at) in line,
              "the existing connection's address not named: %r" % line)
        return line

    def passes(args):
        env.fails("connect", *args, cmd="connect", want=["cannot run", "NVMF_FUSE"])

    # The same address written otherwise.
    refused(["-a", "0:0:0:0:0:0:0:1", "-s", "4421", "-n", NQN2], "v6", "[::1]:4421")
    refused(["nvme+tcp://[0::1]:4421/" + NQN2], "v6", "[::1]:4421")
    refused(["-a", "::ffff:127.0.0.1", "-n", NQN], "v4", "127.0.0.1:4420")
    refused(["nvme+tcp://127.0.0.1:04420/" + NQN], "v4", "127.0.0.1:4420")
    if "127.0.0.1" in lh:
        refused(["-a", "localhost", "-n", NQN], "v4", "127.0.0.1:4420")
        refused(["-a", "localhost", "-s", "4420", "-n", NQN], "v4", "127.0.0.1:4420")
        refused(["nvme+tcp://localhost/" + NQN], "v4", "127.0.0.1:4420")
        refused(["-a", "127.0.0.1", "-s", "4422", "-n", NQN], "name", "localhost:4422")
    if "::1" in lh:
        refused(["-a", "localhost", "-s", "4421", "-n", NQN2], "v6", "[::1]:4421")
    # As before: the same text, brackets aside.
    refused(["-a", "127.0.0.1", "-s", "4420", "-n", NQN], "v4", "127.0.0.1:4420")
    refused(["-a", "[::1]", "-s", "4421", "-n", NQN2], "v6", "[::1]:4421")
    # Another address, port or NQN: not the same controller.
    passes(["-a", "127.0.0.2", "-n", NQN])
    passes(["-a", "127.0.0.1", "-s", "4423", "-n", NQN])
    passes(["-a", "::1", "-s", "4420", "-n", NQN2])
    passes(["-a", "127.0.0.1", "-s", "4421", "-n", NQN2])
    passes(["-a", "::1", "-s", "4421", "-n", NQN])
    # The host NQN: the same one (given, or the default) is the same connection,
    # another one is another (libnvme compares hostnqn too).
    refused(["-a", "127.0.0.1", "-s", "4424", "-n", NQN, "-q", OTHER_HOSTNQN], "host2",
            "127.0.0.1:4424")
    refused(["-a", "127.0.0.1", "-n", NQN, "-q", mine], "v4", "127.0.0.1:4420")
    passes(["-a", "127.0.0.1", "-s", "4424", "-n", NQN])
    passes(["-a", "127.0.0.1", "-s", "4424", "-n", NQN, "-q", HOSTNQN])
    passes(["-a", "127.0.0.1", "-n", NQN, "-q", OTHER_HOSTNQN])
    passes(["nvme+tcp://[::1]:4421/" + NQN2, "-q", OTHER_HOSTNQN])
    # -D makes the second connection all the same.
    passes(["-a", "0:0:0:0:0:0:0:1", "-s", "4421", "-n", NQN2, "-D"])
    check(env.records() == ["host2.json", "name.json", "v4.json", "v6.json"],
          "records %s" % env.records())


# A TCP listener that accepts and never answers: nvmf-fuse stays in its first
# connection (its record only claimed) until the connect timeout.
# A listener that accepts and never answers. With the argument "drop", a line on its
# standard input closes the connections it holds (the connect then fails at once,
# not at its --connect-timeout), or, when it holds none yet, the next one it accepts
# (nvmf-fuse writes its "connecting" record before it connects: the drop may come
# first); the end of its input ends it.
SILENT = """import select, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
print(s.getsockname()[1], flush=True)
held = []
pending = False
drop = sys.argv[1:] == ["drop"]
while True:
    r = select.select([s, sys.stdin] if drop else [s], [], [])[0]
    if s in r:
        held.append(s.accept()[0])
        if pending:
            held.pop().close()
            pending = False
    if sys.stdin in r:
        if not sys.stdin.readline():
            break
        pending = not held
        for c in held:
            c.close()
        held = []
"""


def silent_listener(drop=False):
    """SILENT, and its port."""
    p = subprocess.Popen([sys.executable, "-c", SILENT] + (["drop"] if drop else []),
                         stdout=subprocess.PIPE, stdin=subprocess.PIPE if drop else None,
                         text=True)
    return p, int(p.stdout.readline())


def silent_drop(p):
    """Close the connections a SILENT drop listener holds."""
    p.stdin.write("drop\n")
    p.stdin.flush()


def t_list_connecting(env):
    """list during a first connection: the address, port, NQN and mount point the
    server was given, not empty fields (they came only once connected)."""
    if not env.fuse_exe:
        raise SkipTest("no nvmf-fuse")
    # --connect-timeout 20 is the window in which the record must be seen (3 s was
    # tight on a loaded machine); the listener then drops the connection, so that
    # connect fails at once instead of after 20 s.
    sil, port = silent_listener(drop=True)
    procs = [sil]
    try:
        # The listener's own check: a drop that comes before the connection closes
        # it once accepted (the race of nvmf-fuse's record and its connect).
        silent_drop(sil)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as so:
            try:
                got = so.recv(1)
            except socket.timeout:
                got = None
            check(got == b"", "a drop before the connection did not close it (10 s)")
        mp = env.path("mnt")
        os.makedirs(mp)
        for args, want_mp, want_host in (
                ([], os.path.join(env.rundir, "first"), None),
                (["--mountpoint", mp, "--hostnqn", HOSTNQN], mp, HOSTNQN)):
            c = subprocess.Popen([env.ctl_exe, "connect", "nvme+tcp://127.0.0.1:%d/%s"
                                  % (port, NQN), "--name", "first", "--connect-timeout", "20",
                                  "-i", "1"] + args, env=env.env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            procs.append(c)
            rec = None
            end = time.monotonic() + 20
            while rec is None and time.monotonic() < end and c.poll() is None:
                j = env.ctl("list", "-o", "json").json()["connections"]
                if j and j[0]["state"] == "connecting":
                    rec = j[0]
                    break
                time.sleep(0.05)
            check(rec is not None, "no record in state connecting")
            got = {k: rec[k] for k in ("traddr", "trsvcid", "subnqn", "mountpoint")}
            check(got == {"traddr": "127.0.0.1", "trsvcid": str(port), "subnqn": NQN,
                          "mountpoint": want_mp}, "list -o json while connecting: %s" % got)
            check(rec["hostnqn"] and (want_host is None or rec["hostnqn"] == want_host),
                  "hostnqn %r" % rec["hostnqn"])
            out = env.ctl("list").out
            check(re.search(r"^first +connecting +127\.0\.0\.1:%d +- +%s +%s$"
                            % (port, re.escape(NQN), re.escape(want_mp)), out, re.M),
                  "list while connecting:\n%s" % out)
            t0 = time.monotonic()
            silent_drop(sil)
            c.wait(60)
            check(c.returncode == 1, "connect to a silent listener: exit %d" % c.returncode)
            check(time.monotonic() - t0 < 15, "connect took %.1f s to fail once its "
                  "connection was closed" % (time.monotonic() - t0))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()


def t_connect_interrupt(env):
    """SIGINT to connect while its nvmf-fuse waits for a silent target: connect
    stops that nvmf-fuse and its temporary directory goes, then it dies of the
    signal. Before, nvmfctl died at once, and the nvmf-fuse it had started went
    on alone (mounting the connection the user gave up on once the target
    answered), its /tmp/nvmfctl.XXXXXX left behind."""
    if not env.fuse_exe:
        raise SkipTest("no nvmf-fuse")
    # --connect-timeout 20: the window in which SIGINT must reach connect while it
    # waits (3 s was tight on a loaded machine); the listener then drops the
    # connection, so that the server ends at once instead of after 20 s.
    sil, port = silent_listener(drop=True)
    tmp = env.path("tmp")
    os.makedirs(tmp)
    e = dict(env.env, TMPDIR=tmp)
    c = None
    try:
        c = subprocess.Popen([env.ctl_exe, "connect", "nvme+tcp://127.0.0.1:%d/%s"
                              % (port, NQN), "--name", "intr", "--connect-timeout", "20",
                              "-i", "1"], env=e, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        end = time.monotonic() + 20
        while time.monotonic() < end and c.poll() is None:
            if os.listdir(tmp) and env.ctl("list", "-o", "json").json()["connections"]:
                break
            time.sleep(0.05)
        check(os.listdir(tmp), "connect made no temporary directory")
        c.send_signal(signal.SIGINT)
        out, err = c.communicate(timeout=60)
        check(c.returncode == -signal.SIGINT,
              "connect after SIGINT: exit %r, expected to die of SIGINT\n%s" % (c.returncode, err))
        check("interrupted: stopped" in err, "no word of the interruption: %r" % err)
        check(os.listdir(tmp) == [], "left behind in TMPDIR: %s" % os.listdir(tmp))
        # The server ends once its connection attempt is over (the listener drops
        # it now): no connection is left (a bound far above that, not a timing).
        silent_drop(sil)
        conns = None
        end = time.monotonic() + 60
        while time.monotonic() < end:
            conns = env.ctl("list", "-o", "json").json()["connections"]
            if not conns:
                break
            time.sleep(0.05)
        check(not conns, "a connection is left after the interrupted connect: %s" % conns)
    finally:
        for p in (sil, c):
            if p is not None and p.poll() is None:
                p.kill()
            if p is not None:
                p.wait()


def t_connect_race(env):
    """Connects of the same controller at once: exactly one connects, the others
    are refused naming it (each passed the duplicate check before any nvmf-fuse had
    claimed its record: as many connections). A connection still in its first
    connect counts too, whichever way its address is written; connect holds its
    lock only until the claim, so another controller's connect does not wait for
    that first connect to end."""
    race_claimed(env)
    race_concurrent(env)


def race_claimed(env):
    """A connection in its first connect (a silent listener) is a duplicate too."""
    sil, port = silent_listener()
    procs = [sil]
    try:
        slow = subprocess.Popen([env.ctl_exe, "connect", "nvme+tcp://127.0.0.1:%d/%s"
                                 % (port, NQN), "--name", "slow", "--connect-timeout", "8",
                                 "-i", "1"], env=env.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        procs.append(slow)
        for _ in range(200):
            j = env.ctl("list", "-o", "json").json()["connections"]
            if j and j[0]["state"] == "connecting":
                break
            time.sleep(0.05)
        check(j and j[0]["name"] == "slow", "no record of the first connect: %s" % j)
        t0 = time.monotonic()
        for uri in ("nvme+tcp://127.0.0.1:%d/%s" % (port, NQN),
                    "nvme+tcp://localhost:%d/%s" % (port, NQN)):
            env.fails("connect", uri, "--connect-timeout", "8", "-i", "1", cmd="connect",
                      want=["already connected as slow at 127.0.0.1:%d" % port])
        check(time.monotonic() - t0 < 6, "the duplicate of a connection in its first connect "
              "was refused only after %.1f s" % (time.monotonic() - t0))
        check(slow.poll() is None, "the first connect ended already")
        if fuse_usable():
            # Another controller meanwhile: connects at once, the lock long given back.
            t = env.target(backing=("ram:4M",), nqn=NQN2)
            t0 = time.monotonic()
            r = env.ctl("connect", t.uri(), "-i", "1", "-q", HOSTNQN, "--name", "other")
            check(r.out.startswith("device: other\n") and slow.poll() is None
                  and time.monotonic() - t0 < 6, "another controller's connect waited "
                  "%.1f s for the first's: %r" % (time.monotonic() - t0, r.out))
            env.ctl("disconnect", "other")
        slow.wait(60)
        check(slow.returncode == 1, "connect to a silent listener: exit %d" % slow.returncode)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()


def race_concurrent(env):
    """Three connects of one controller at once, three times."""
    need_fuse()
    t = env.target(backing=("ram:4M",))
    for rnd in range(3):
        cs = [subprocess.Popen([env.ctl_exe, "connect", u, "-i", "1", "-q", HOSTNQN],
                               env=env.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
              for u in (t.uri(), t.uri(), "nvme+tcp://localhost:%d/%s" % (t.port, NQN))]
        res = [c.communicate(timeout=120) + (c.returncode,) for c in cs]
        won = [r for r in res if r[2] == 0]
        check(len(won) == 1, "round %d: %d of 3 concurrent connects connected:\n%s"
              % (rnd, len(won), "\n".join("exit %d: %s%s" % (r[2], r[0], r[1]) for r in res)))
        name = won[0][0].split("\n")[0].split(": ")[1]
        for out, err, rc in res:
            if rc == 0:
                continue
            # The winner may be the connect by name: its record says "localhost".
            check(rc == 1 and any("already connected as %s at %s:%d" % (name, a, t.port) in err
                                  for a in ("127.0.0.1", "localhost"))
                  and len(err.splitlines()) == 1, "round %d: the refused connect: exit %d %r"
                  % (rnd, rc, err))
        check(len(env.records()) == 1, "round %d: records %s" % (rnd, env.records()))
        env.ctl("disconnect-all")
    check(os.listdir(env.rundir) == [], "runtime dir left %s" % os.listdir(env.rundir))


def become_subreaper():
    """Orphans (the nvmf-fuse servers connect starts) become our children, so that
    a killed one is reaped here, as init would, instead of staying a zombie (which
    still holds its name)."""
    import ctypes
    if not sys.platform.startswith("linux"):
        raise SkipTest("PR_SET_CHILD_SUBREAPER is Linux's")
    libc = ctypes.CDLL(None, use_errno=True)
    check(libc.prctl(36, 1, 0, 0, 0) == 0, "prctl(PR_SET_CHILD_SUBREAPER) failed")


def kill_and_reap(pid):
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def t_stale_takeover(env):
    """A connect taking over a dead (killed and reaped) server's name detaches the
    mount it left first: the name was reused, its record dropped, and the connect
    failed on the dead mount ("Transport endpoint is not connected"), every time."""
    need_fuse()
    become_subreaper()
    t = env.target(backing=("ram:4M",))
    mp = os.path.join(env.rundir, "nvmf0")
    for rnd in range(2):
        r = connect(env, t.uri(), "-q", HOSTNQN, "-i", 1)
        check(r.out.startswith("device: nvmf0\n"), "round %d: connect output %r" % (rnd, r.out))
        pid = rec_of(env, "nvmf0")["pid"]
        kill_and_reap(pid)
        check(is_mounted(mp), "round %d: the killed server's mount is gone" % rnd)
        check(re.search(r"^nvmf0 +stale ", env.ctl("list").out, re.M), "list: not stale")
    # The takeover left a working connection under the same name, and its record.
    r = connect(env, t.uri(), "-q", HOSTNQN, "-i", 1, rc=None)
    check(r.rc == 0 and r.out.startswith("device: nvmf0\n"),
          "connect over a dead server's mount: exit %d\n%s%s" % (r.rc, r.out, r.err))
    with open(os.path.join(mp, "n1"), "rb") as f:
        check(len(f.read(4096)) == 4096, "n1 not readable after the takeover")
    check(env.records() == ["nvmf0.json"], "records %s" % env.records())
    # disconnect -d takes a comma-separated list, as nvme-cli's.
    connect(env, t.uri(), "-q", HOSTNQN, "-i", 1, "-D")
    r = env.ctl("disconnect", "-d", "nvmf0,nvmf1")
    check(r.out == "disconnected nvmf0 (%s)\ndisconnected nvmf1 (%s)\n" % (NQN, NQN),
          "disconnect -d LIST: %r" % r.out)
    check(not is_mounted(mp) and env.records() == [], "disconnect left a mount or a record")


def busy_loop(env, n1):
    """A loop device on n1 (root with losetup only): its device path, or None."""
    if os.geteuid() != 0 or not shutil.which("losetup"):
        return None
    p = subprocess.run(["losetup", "--find", "--show", n1], capture_output=True, text=True,
                       timeout=60)
    return p.stdout.strip() if p.returncode == 0 else None


def t_disconnect_busy(env):
    """disconnect of a live connection whose mount is in use (a file open, a loop
    device on n1) fails, naming why, and leaves the connection working; it used to
    detach the mount lazily from under its users and exit 0. -f/--force does so."""
    need_fuse()
    t = env.target(backing=("ram:4M",))
    r = connect(env, t.uri(), "-q", HOSTNQN, "-i", 1)
    mp = os.path.join(env.rundir, "nvmf0")
    n1 = os.path.join(mp, "n1")
    pid = rec_of(env, "nvmf0")["pid"]
    data = os.urandom(4096)
    with open(n1, "r+b", buffering=0) as f:
        r = env.ctl("disconnect", "nvmf0", rc=1)
        check("nvmf0: %s is in use" % mp in r.err and "-f/--force" in r.err
              and "left as it is" in r.err and r.out == "", "busy disconnect: %r" % r.err)
        r = env.ctl("disconnect-all", rc=1)
        check("is in use" in r.err and "disconnected 0 connection(s)" in r.out,
              "busy disconnect-all: %r %r" % (r.out, r.err))
        check(is_mounted(mp) and not wait_gone(pid, 0.2), "the busy connection was ended")
        f.write(data)
        f.seek(0)
        check(f.read(4096) == data, "the open file does not work after the refused disconnect")
    loop = busy_loop(env, n1)
    if loop:
        try:
            r = env.ctl("disconnect", "nvmf0", rc=1)
            check("%s backs loop device %s" % (n1, loop) in r.err and "losetup -d" in r.err,
                  "disconnect with a loop device on n1: %r" % r.err)
        finally:
            subprocess.run(["losetup", "-d", loop], capture_output=True, timeout=60)
        # The loop device lets go of n1 asynchronously: on a loaded machine that
        # can take seconds, so poll for up to 30 s.
        deadline = time.monotonic() + 30
        while env.ctl("disconnect", "nvmf0", rc=None).rc != 0 and time.monotonic() < deadline:
            time.sleep(0.1)
    else:
        env.ctl("disconnect", "nvmf0")
    check(wait_gone(pid, 10) and not is_mounted(mp) and env.records() == [],
          "the connection did not end once its mount was free")
    # -f/--force: ended, its mount detached, though a file in it is open.
    connect(env, t.uri(), "-q", HOSTNQN, "-i", 1)
    pid = rec_of(env, "nvmf0")["pid"]
    fd = os.open(n1, os.O_RDONLY)
    try:
        r = env.ctl("disconnect", "--force", "nvmf0")
        check(r.out == "disconnected nvmf0 (%s)\n" % NQN, "disconnect -f: %r" % r.out)
        check(wait_gone(pid, 10) and not is_mounted(mp), "disconnect -f left the connection")
    finally:
        try:
            os.close(fd)  # its mount is gone: the close's flush fails (ENOTCONN)
        except OSError:
            pass
    check(env.records() == [], "records %s" % env.records())


def mounted_at(path):
    """Whether path is a mount point in the mount table. On Linux, decoding the
    kernel's octal escapes (a space is written \\040), which nvmf_testlib's
    is_mounted() compares raw."""
    if not sys.platform.startswith("linux"):
        return is_mounted(path)
    unesc = re.compile(r"\\([0-7]{3})")
    with open("/proc/self/mounts") as f:
        return any(unesc.sub(lambda m: chr(int(m.group(1), 8)), ln.split()[1]) == path
                   for ln in f)


def t_mount_space(env):
    """A mount point holding a space (written \\040 in /proc/self/mounts) is known
    as mounted: a busy disconnect is refused, and a stale record's dead mount is
    detached. Compared undecoded, the mount was taken for not mounted, so disconnect
    ended the connection under an open file and printed "disconnected", and the
    stale cleanup dropped the record and left the dead mount."""
    need_fuse()
    become_subreaper()
    t = env.target(backing=("ram:4M",))
    mp = env.path("m x")
    os.mkdir(mp)
    n1 = os.path.join(mp, "n1")
    connect(env, t.uri(), "-q", HOSTNQN, "-i", 1, "-m", mp, "--name", "sp")
    pid = rec_of(env, "sp")["pid"]
    check(mounted_at(mp), "%r not in the mount table" % mp)
    with open(n1, "rb") as f:
        r = env.ctl("disconnect", "sp", rc=None)
        check(r.rc == 1 and "sp: %s is in use" % mp in r.err and r.out == "",
              "busy disconnect of a mount point with a space: exit %d %r %r"
              % (r.rc, r.out, r.err))
        check(mounted_at(mp) and not wait_gone(pid, 0.2), "the busy connection was ended")
        check(len(f.read(4096)) == 4096, "the open file does not work after the refusal")
    # Stale: the dead server's mount is detached along with its record.
    kill_and_reap(pid)
    r = env.ctl("disconnect", "sp")
    check("removed stale record" in r.err, "stale disconnect: %r" % r.err)
    check(not mounted_at(mp) and env.records() == [],
          "stale disconnect left the dead mount (%s) or records %s"
          % (mounted_at(mp), env.records()))


def as_nobody():
    """preexec_fn: become uid and gid 65534 with no supplementary groups."""
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)


def t_disconnect_user(env):
    """A user's disconnect whose fusermount3 -u fails other than busy (another
    user's mount, fusermount3 not installed) says so, with its exit status and
    message; every such failure used to be reported as "is in use". Root only
    (needs a second user)."""
    need_fuse()
    if not sys.platform.startswith("linux"):
        raise SkipTest("fusermount3 is Linux's (other systems call unmount(2))")
    if os.geteuid() != 0:
        raise SkipTest("needs root to run nvmfctl as a second user")
    os.chmod(env.tmp, 0o755)
    os.chmod(env.rundir, 0o755)
    if subprocess.run([env.ctl_exe, "--help"], capture_output=True, env=env.env,
                      preexec_fn=as_nobody, timeout=60).returncode != 0:
        raise SkipTest("nvmfctl cannot run as uid 65534 here (a build tree it cannot reach)")
    t = env.target(backing=("ram:4M",))
    connect(env, t.uri(), "-q", HOSTNQN, "-i", 1)
    mp = os.path.join(env.rundir, "nvmf0")
    pid = rec_of(env, "nvmf0")["pid"]
    # Another user's mount (fusermount3 refuses it), then no fusermount3 on PATH.
    for path, want in ((env.env.get("PATH", "/usr/bin:/bin"), "fusermount3 -u exited with status"),
                       ("/nonexistent", "fusermount3 -u exited with status 127: fusermount3 "
                        "could not be run: No such file or directory")):
        p = subprocess.run([env.ctl_exe, "disconnect", "nvmf0"], capture_output=True,
                           text=True, env=dict(env.env, PATH=path),
                           preexec_fn=as_nobody, timeout=60)
        check(p.returncode == 1 and "nvmf0: cannot unmount %s: %s" % (mp, want) in p.stderr
              and "in use" not in p.stderr and "left as it is" in p.stderr,
              "disconnect as another user (PATH %s): %d %r" % (path[:40], p.returncode, p.stderr))
        check(is_mounted(mp) and not wait_gone(pid, 0.2), "the connection was ended")
    env.ctl("disconnect", "nvmf0")
    check(wait_gone(pid, 10) and not is_mounted(mp) and env.records() == [],
          "root's disconnect did not end the connection")


# A fusermount3 that hangs: it notes its pid and sleeps (SIGTERM ends it).
HANG_FUSERMOUNT = """#!/bin/sh
echo $$ >> "$HANG_DIR/pids"
exec sleep 60
"""


def hang_fusermount(env):
    """A directory holding HANG_FUSERMOUNT as fusermount3 (anyone may run it and note
    its pid there), and the environment whose PATH finds it first."""
    d = env.path("hang-fusermount")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o777)
    exe = os.path.join(d, "fusermount3")
    with open(exe, "w") as f:
        f.write(HANG_FUSERMOUNT)
    os.chmod(exe, 0o755)
    open(os.path.join(d, "pids"), "w").close()
    os.chmod(os.path.join(d, "pids"), 0o666)   # a user's fusermount3 notes its pid too
    return d, dict(env.env, HANG_DIR=d, PATH=d + ":" + env.env.get("PATH", "/usr/bin:/bin"))


def helper_pid(d, k, timeout=10):
    """The pid of the k-th (from 0) hung fusermount3 started, once it runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(os.path.join(d, "pids")) as f:
                pids = f.read().split()
            if len(pids) > k:
                return int(pids[k])
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    raise Fail("fusermount3 #%d was not started" % (k + 1))


def exists(pid):
    """Whether pid exists, a zombie too: a child nvmfctl reaped does not."""
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def interrupt(env, args, d, k, fenv, preexec_fn=None):
    """Run nvmfctl ARGS with the hung fusermount3, SIGINT to it once that runs: its
    exit status, stderr, how long it took after the signal, and the helper's pid."""
    p = subprocess.Popen([env.ctl_exe] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=fenv, preexec_fn=preexec_fn)
    try:
        helper = helper_pid(d, k)
        time.sleep(0.1)     # nvmfctl is in its wait
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        err = p.communicate(timeout=30)[1]
    except BaseException:
        p.kill()
        p.wait()
        raise
    return p.returncode, err, time.monotonic() - t0, helper


def t_unmount_helpers(env):
    """The helpers disconnect runs to unmount are bounded and never left behind. A
    stale record's detach (fusermount3 -u -z) that hangs is stopped and reaped after
    10 s, the record kept (it was left running, the record kept); a Ctrl-C during it
    ends nvmfctl at once with a line saying what was left, the helper stopped (nvmfctl
    died of it silently and left the helper running). A user's fusermount3 -u
    interrupted: nvmfctl says the connection is left as it is and dies of SIGINT (it
    went on, and failed with "did not finish"). Root only for the user's part."""
    need_fuse()
    if not sys.platform.startswith("linux"):
        raise SkipTest("fusermount3 is Linux's (other systems call unmount(2))")
    become_subreaper()
    d, fenv = hang_fusermount(env)
    t = env.target(backing=("ram:4M",))
    connect(env, t.uri(), "-q", HOSTNQN, "-i", 1, "--name", "h")
    mp = os.path.join(env.rundir, "h")
    kill_and_reap(rec_of(env, "h")["pid"])
    # Ctrl-C while the dead mount is being detached.
    rc, err, took, helper = interrupt(env, ["disconnect", "h"], d, 0, fenv)
    check(rc == -signal.SIGINT and took < 5 and
          "h: interrupted while detaching the dead server's mount %s: stopped fusermount3 "
          "-u -z; its record is kept" % mp in err,
          "disconnect interrupted in the detach: exit %d after %.1f s, %r" % (rc, took, err))
    check(not exists(helper), "the interrupted detach's fusermount3 (pid %d) was left "
          "behind" % helper)
    check(env.records() == ["h.json"] and is_mounted(mp), "record or mount gone: %s %s"
          % (env.records(), is_mounted(mp)))
    # A detach that does not finish: stopped after 10 s.
    t0 = time.monotonic()
    r = env.ctl("disconnect", "h", rc=1, env=fenv, timeout=60)
    took = time.monotonic() - t0
    helper = helper_pid(d, 1)
    check(took >= 10 and took < 30 and
          "h: detaching the dead server's mount %s (fusermount3 -u -z) did not finish within "
          "10 s: stopped it; its record is kept" % mp in r.err,
          "hung detach: %.1f s, %r" % (took, r.err))
    check(not exists(helper), "the hung detach's fusermount3 (pid %d) was left behind" % helper)
    check(env.records() == ["h.json"], "records %s" % env.records())
    r = env.ctl("disconnect", "h")
    check("removed stale record" in r.err and not is_mounted(mp) and env.records() == [],
          "stale disconnect: %r %s" % (r.err, env.records()))
    # A user's fusermount3 -u interrupted.
    if os.geteuid() != 0:
        return
    os.chmod(env.tmp, 0o755)
    os.chmod(env.rundir, 0o755)
    if subprocess.run([env.ctl_exe, "--help"], capture_output=True, env=env.env,
                      preexec_fn=as_nobody, timeout=60).returncode != 0:
        log("nvmfctl cannot run as uid 65534 here: the user's part is skipped")
        return
    connect(env, t.uri(), "-q", HOSTNQN, "-i", 1, "--name", "u")
    mp = os.path.join(env.rundir, "u")
    pid = rec_of(env, "u")["pid"]
    rc, err, took, helper = interrupt(env, ["disconnect", "u"], d, 2, fenv, as_nobody)
    check(rc == -signal.SIGINT and took < 5 and
          "u: interrupted while unmounting %s: stopped fusermount3 -u; the connection is "
          "left as it is" % mp in err,
          "a user's disconnect interrupted: exit %d after %.1f s, %r" % (rc, took, err))
    check(not exists(helper), "the interrupted fusermount3 -u (pid %d) was left behind"
          % helper)
    check(is_mounted(mp) and not wait_gone(pid, 0.2), "the connection was ended")
    env.ctl("disconnect", "u")
    check(wait_gone(pid, 10) and not is_mounted(mp) and env.records() == [],
          "u not disconnected")


def t_corrupt_mount(env):
    """disconnect of a live connection whose record was garbled: no pid is trusted,
    the default mount point is unmounted the ordinary way (refused while a file in it
    is open, the corrupt record kept), and the server, its session ended, exits by
    itself. disconnect answered "no connection named" and left it all."""
    need_fuse()
    become_subreaper()
    t = env.target(backing=("ram:4M",))
    connect(env, t.uri(), "-q", HOSTNQN, "-i", 1, "--name", "c")
    mp = os.path.join(env.rundir, "c")
    path = os.path.join(env.rundir, "c.json")
    pid = rec_of(env, "c")["pid"]
    try:
        corrupt_mount(env, mp, path, pid)
    finally:
        # Its record no longer says which server to end (env.cleanup_connections).
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        wait_gone(pid, 10)
        if is_mounted(mp):
            unmount(mp, force=True)


def corrupt_mount(env, mp, path, pid):
    with open(path, "w") as f:
        f.write('{"name": "c", "pid": %d, "mou' % pid)
    with open(os.path.join(mp, "n1"), "rb") as f:
        r = env.ctl("disconnect", "c", rc=1)
        check("c: %s is in use" % mp in r.err and "the corrupt record is kept" in r.err
              and r.out == "",
              "busy disconnect of a corrupt record: %r %r" % (r.out, r.err))
        check(os.path.exists(path) and is_mounted(mp) and not wait_gone(pid, 0.2),
              "the busy connection was ended, or its corrupt record removed")
        check(len(f.read(4096)) == 4096, "n1 does not work after the refusal")
    r = env.ctl("disconnect", "c")
    check("c: the record %s was corrupt (not JSON" % path in r.err and
          "unmounted %s; no process was signalled" % mp in r.err and
          r.out == "disconnected c (corrupt record)\n",
          "disconnect of a corrupt record: %r %r" % (r.out, r.err))
    check(wait_gone(pid, 10) and not is_mounted(mp) and env.records() == [] and
          not os.path.exists(mp), "the server behind the corrupt record is left: alive %s, "
          "mounted %s, records %s" % (not wait_gone(pid, 0), is_mounted(mp), env.records()))


def has_open(pid, path, timeout):
    """Whether process pid has path open (it waits for the flock on it: the
    lock is polled, so /proc/locks shows no waiter)."""
    deadline = time.monotonic() + timeout
    fds = "/proc/%d/fd" % pid
    while time.monotonic() < deadline:
        try:
            if any(os.readlink(os.path.join(fds, d)) == path for d in os.listdir(fds)):
                return True
        except OSError:
            pass
        time.sleep(0.02)
    return False


def t_stale_race(env):
    """A stale record's cleanup (nvmfctl disconnect, nvmf-fuse's takeover of the
    name) checks under <rundir>/.claim.lock that the record still names the dead
    server: one that saw the same dead pid while another took the name over (and
    mounted) leaves the new record and mount alone. It used to remove the new
    server's record and detach its live mount. Deterministic: the test holds the
    lock while it takes the name over itself."""
    import fcntl
    need_fuse()
    if not sys.platform.startswith("linux"):
        raise SkipTest("watches the waiter through /proc/PID/fd")
    become_subreaper()
    t = env.target(backing=("ram:4M",))
    connect(env, t.uri(), "-q", HOSTNQN, "-i", 1, "--name", "x")
    mp = os.path.join(env.rundir, "x")
    dead = rec_of(env, "x")["pid"]
    kill_and_reap(dead)
    lock = os.path.join(env.rundir, ".claim.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    p = subprocess.Popen([env.ctl_exe, "disconnect", "x"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env.env)
    try:
        check(has_open(p.pid, lock, 10), "nvmfctl disconnect of a stale record did not wait "
              "for .claim.lock (exit %s)" % p.poll())
        # Meanwhile another process took the name over: the dead mount detached,
        # the record gone, and a new server claimed x and mounted.
        unmount(mp, force=True)
        os.unlink(os.path.join(env.rundir, "x.json"))
        connect(env, t.uri(), "-q", HOSTNQN, "-i", 1, "--name", "x")
        new = rec_of(env, "x")["pid"]
    except BaseException:
        p.kill()
        p.wait()
        raise
    finally:
        os.unlink(lock)
        os.close(fd)
    out, err = p.communicate(timeout=60)
    check(p.returncode == 0 and "x: taken over by a new server meanwhile" in err,
          "disconnect racing a takeover: %d %r %r" % (p.returncode, out, err))
    check(rec_of(env, "x")["pid"] == new and is_mounted(mp) and not wait_gone(new, 0.2),
          "the new server's record or mount was removed by the stale cleanup")
    with open(os.path.join(mp, "n1"), "rb") as f:
        check(len(f.read(4096)) == 4096, "n1 not readable after the race")
    env.ctl("disconnect", "x")
    check(wait_gone(new, 10) and not is_mounted(mp) and env.records() == [],
          "x not disconnected")


TESTS = {"options": t_options, "discover": t_discover, "inspect": t_inspect,
         "errors": t_errors, "connect": t_connect, "connect_all": t_connect_all,
         "hostile": t_hostile, "records": t_records, "stdout_full": t_stdout_full,
         "conf_json": t_conf_json, "log_parts": t_log_parts,
         "list_ns_bound": t_list_ns_bound, "port_decimal": t_port_decimal,
         "bad_secrets": t_bad_secrets, "list_connecting": t_list_connecting,
         "connect_interrupt": t_connect_interrupt, "dup_addr": t_dup_addr,
         "connect_race": t_connect_race, "stale_takeover": t_stale_takeover,
         "disconnect_busy": t_disconnect_busy, "mount_space": t_mount_space,
         "disconnect_user": t_disconnect_user, "stale_race": t_stale_race,
         "referral_loop": t_referral_loop, "disc_records": t_disc_records,
         "referral_tls": t_referral_tls, "disc_raw": t_disc_raw,
         "disconnect_corrupt": t_disconnect_corrupt, "unmount_helpers": t_unmount_helpers,
         "corrupt_mount": t_corrupt_mount}

if __name__ == "__main__":
    try:
        import cli_interop
        TESTS.update(cli_interop.TESTS)
    except ImportError:
        pass
    sys.exit(main(TESTS))
