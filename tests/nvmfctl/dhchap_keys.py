#!/usr/bin/env python3
"""nvmfctl gen-dhchap-key / check-dhchap-key: nvme-cli's output, and nvme-cli itself.

  dhchap_keys.py keys      --nvmfctl EXE  outputs against values nvme-cli printed (see
                                          below); options, errors, warnings, argv wiped
  dhchap_keys.py nvme_cli  --nvmfctl EXE  against the nvme command of this machine (or
                                          $NVME_CLI): keys of each tool checked by the
                                          other, damaged keys refused by both, the same
                                          output for the same --secret/--hmac/--nqn
  dhchap_keys.py notls     --nvmfctl EXE  a build without OpenSSL: both commands listed,
                                          both fail with "built without OpenSSL"

Where the expected values come from: Debian 12's nvme-cli 2.3 (libnvme 1.3),
`nvme gen-dhchap-key --secret=S --hmac=M --nqn=N [--key-length=L]` and
`nvme check-dhchap-key --key=K`; nvme-cli 2.13 (Debian 13) and 2.16 (Debian sid),
unpacked and run with their own loader, print the same for every one of them.
Exit 0 pass, 1 fail, 77 skip (no nvme command).
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctl_env import Fail, SkipTest, check, log, main  # noqa: E402

SECRET = bytes(range(64)).hex()          # 000102...3f: SECRET[:2 * len]
UUID_NQN = "nqn.2014-08.org.nvmexpress:uuid:6a1e7c52-3b9d-4e0f-8c21-7d4b5a6e9f10"
# (hmac, key length, nqn) -> (key, CRC) as nvme-cli printed them; for hmac 0 the
# NQN plays no part.
VECTORS = {
    (0, 32, None): ("DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:", "91267e8a"),
    (0, 48, None): ("DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp"
                    "KissLS4vcSEgBQ==:", "05202171"),
    (0, 64, None): ("DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp"
                    "KissLS4vMDEyMzQ1Njc4OTo7PD0+P4zODhA=:", "100ece8c"),
    (1, 32, "nqn.host"): ("DHHC-1:01:yI3mmuRg+UJDXk85BFwtwbGxRfqgGJmco5HpbAnDQnDuyhrN:",
                          "cd1acaee"),
    (1, 32, UUID_NQN): ("DHHC-1:01:SVvKzU5pe/Q/JNI7Sea1FiMHeWjHACIusXGgcaxCj8yVkxWI:",
                        "88159395"),
    (2, 48, "nqn.host"): ("DHHC-1:02:/JmeQdvZhbNCCSTcfxLyrkkYBoBIy2S+rInpiZweKzBd7s3fgKOn3NC5"
                          "ykrgGkEszS3eKw==:", "2bde2dcd"),
    (2, 48, UUID_NQN): ("DHHC-1:02:gJjap8h9D8GjuKEZ1pdomZKcEdFmnRRj9zvdmy1TDQpEZ+1GC5ncALrm"
                        "PZ2ILQk6HqmuTw==:", "4faea91e"),
    (3, 64, "nqn.host"): ("DHHC-1:03:h0MUJTIFLQ7yCJUIy6iLAdgSCRHrXp/cpkCd4U9c4TcB69MQMtfVnsyg"
                          "SiWLS6ynLyQ7g8AQcwHTnkFoqBOa/no95EA=:", "40e43d7a"),
    (3, 64, UUID_NQN): ("DHHC-1:03:DiRjI4vuwnXE0Cg6Bi9FJLFmuG3ZHfOSH3JyiKPUYKj/X5/H48J1jooK"
                        "TzRpIN8lE+wpCSFHxfV4qxtlAsKDgUDxnxc=:", "179ff140"),
}
KEY1 = VECTORS[(1, 32, "nqn.host")][0]
# Every (hmac, length) nvme-cli makes: hh 00 any of the three, else the hash's.
SHAPES = [(0, 32), (0, 48), (0, 64), (1, 32), (2, 48), (3, 64)]
KEY_RE = re.compile(r"^DHHC-1:0([0-3]):([A-Za-z0-9+/]+={0,2}):$")
VALID_RE = re.compile(r"^Key is valid \(HMAC ([0-3]), length (32|48|64), CRC ([0-9a-f]{8})\)$")


def make_key(hh, raw, crc=None, b64=None):
    """A DHHC-1 text of raw (bytes), with its CRC (or the one given)."""
    if crc is None:
        crc = zlib.crc32(raw)
    body = b64 or base64.b64encode(raw + crc.to_bytes(4, "little")).decode()
    return "DHHC-1:%02x:%s:" % (hh, body)


def key_shape(key):
    m = KEY_RE.match(key)
    check(m, "not a DHHC-1 key: %r" % key)
    return int(m.group(1)), len(base64.b64decode(m.group(2))) - 4


def damaged(key):
    """(name, key) pairs every checker must refuse, made from a good key."""
    hh, _ = key_shape(key)
    body = key[10:-1]
    raw = base64.b64decode(body)[:-4]
    crc = zlib.crc32(raw)
    out = [
        ("bad CRC", make_key(hh, raw, crc ^ 0x00010000)),
        ("bad key byte", make_key(hh, bytes([raw[0] ^ 1]) + raw[1:], crc)),
        ("trailing character", key + "x"),
        ("trailing ':'", key + ":"),
        ("trailing space", key + " "),
        ("hh 04", "DHHC-1:04:" + body + ":"),
        ("hh 0a", "DHHC-1:0a:" + body + ":"),
        ("hh 'xx'", "DHHC-1:xx:" + body + ":"),
        ("no hh", "DHHC-1::" + body + ":"),
        ("lower-case prefix", "dhhc-1:%02x:%s:" % (hh, body)),
        ("40-byte key, good CRC", make_key(hh, bytes(range(40)))),
        ("16-byte key, good CRC", make_key(hh, bytes(range(16)))),
        ("truncated", key[:-5] + ":"),
    ]
    # the wrong length for each other hh (a good CRC): 01 wants 32, 02 48, 03 64
    for other in (1, 2, 3):
        if other != hh and not (hh == 0 and len(raw) == 16 + 16 * other):
            out.append(("hh %02x with a %d-byte key" % (other, len(raw)),
                        make_key(other, raw)))
    return out


def ctl_in(env, stdin, *args, rc=0):
    """nvmfctl with text on standard input."""
    args = [str(a) for a in args]
    p = subprocess.run([env.ctl_exe] + args, input=stdin, capture_output=True, text=True,
                       timeout=60, env=env.env)
    if rc is not None and p.returncode != rc:
        raise Fail("nvmfctl %s: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s"
                   % (" ".join(args), p.returncode, rc, p.stdout, p.stderr))
    return p


def no_secret(text, *secrets):
    """Neither a secret nor a stretch of one in text."""
    for s in secrets:
        for piece in {s, s[10:34], s[16:40]}:
            if len(piece) >= 12:
                check(piece not in text, "key material %r in %r" % (piece, text))


def argv_warning(err, what):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    check(len(lines) == 1 and "warning" in lines[0] and "visible to other users" in lines[0]
          and what in lines[0], "expected one argv warning naming %s, got %r" % (what, err))
    return lines[0]


def error_lines(err):
    return [ln for ln in err.splitlines()
            if not ln.startswith("Try ") and "visible to other users" not in ln]


def hostnqn_file():
    """nvme-cli's default host NQN (/etc/nvme/hostnqn), if usable as one."""
    try:
        with open("/etc/nvme/hostnqn") as f:
            nqn = f.read().strip()
    except OSError:
        return None
    return nqn if nqn.startswith("nqn.") and len(nqn) <= 223 and " " not in nqn else None


# ---- nvmfctl alone ------------------------------------------------------------------

def t_keys(env):
    r = env.ctl("--help")
    for c in ("gen-dhchap-key", "check-dhchap-key"):
        check(re.search(r"^  %s " % c, r.out, re.M), "--help does not list " + c)
        h = env.ctl(c, "--help")
        check(h.out.startswith("Usage: nvmfctl " + c) and h.err == "", c + " --help")
        check(env.ctl("help", c).out == h.out, "help " + c)

    # nvme-cli's keys for the same secret, hmac and NQN; from argv (one warning, no
    # key in it) and from standard input (nothing on stderr).
    for (hmac, ln, nqn), (key, crc) in sorted(VECTORS.items(), key=str):
        secret = SECRET[:2 * ln]
        args = ["gen-dhchap-key", "--hmac=%d" % hmac, "-n", nqn or "nqn.unused"]
        if hmac == 0 or ln != 32:
            args += ["-l", ln]
        r = env.ctl(*(args + ["-s", secret]))
        check(r.out == key + "\n", "gen-dhchap-key %s: %r, nvme-cli printed %s"
              % (args, r.out, key))
        no_secret(argv_warning(r.err, "--secret"), secret, key)
        p = ctl_in(env, secret + "\n", *(args + ["--secret=-"]))
        check(p.stdout == key + "\n" and p.stderr == "", "--secret=- %s: %r %r"
              % (args, p.stdout, p.stderr))
        # check-dhchap-key: nvme-cli's line, with -k, --key, -k - and standard input
        want = "Key is valid (HMAC %d, length %d, CRC %s)\n" % (hmac, ln, crc)
        for opt in ("-k", "--key"):
            r = env.ctl("check-dhchap-key", opt, key)
            check(r.out == want, "check-dhchap-key %s %s: %r" % (opt, key, r.out))
            no_secret(argv_warning(r.err, "key"), key)
        for extra in ([], ["-k", "-"], ["--key=-"]):
            p = ctl_in(env, key + "\n", "check-dhchap-key", *extra)
            check(p.stdout == want and p.stderr == "", "check-dhchap-key %s < key: %r %r"
                  % (extra, p.stdout, p.stderr))
    # upper-case hex, CRLF, the key length by default (32 for hmac 0, else the hash's)
    k0, k3 = VECTORS[(0, 32, None)][0], VECTORS[(3, 64, "nqn.host")][0]
    check(ctl_in(env, SECRET[:64].upper() + "\r\n", "gen-dhchap-key", "-s", "-").stdout
          == k0 + "\n", "upper-case hex / CRLF / default hmac 0, length 32")
    check(ctl_in(env, SECRET, "gen-dhchap-key", "-s", "-", "-m", "3", "--nqn=nqn.host")
          .stdout == k3 + "\n", "-m 3: default length 64")
    check(ctl_in(env, SECRET[:64], "gen-dhchap-key", "-s", "-", "-l", "0", "-m", "0",
                 "-n", "").stdout == k0 + "\n", "-l 0 is the default; -n has no part in hh 00")
    # hh != 00 without -n: the default host NQN (show-hostnqn), as nvme-cli's
    # /etc/nvme/hostnqn
    hostnqn = env.ctl("show-hostnqn", rc=None).out.strip() or "nqn.host"
    a = ctl_in(env, SECRET[:64], "gen-dhchap-key", "-s", "-", "-m", "1").stdout
    b = ctl_in(env, SECRET[:64], "gen-dhchap-key", "-s", "-", "-m", "1", "-n", hostnqn).stdout
    check(a == b and a != KEY1 + "\n" or hostnqn == "nqn.host",
          "no -n: not transformed with the host NQN %s: %r %r" % (hostnqn, a, b))
    # -o json
    p = ctl_in(env, SECRET[:64], "gen-dhchap-key", "-s", "-", "-m", "1", "-n", "nqn.host",
               "-o", "json")
    check(json.loads(p.stdout) == {"key": KEY1}, "gen-dhchap-key -o json: %r" % p.stdout)
    p = ctl_in(env, KEY1, "check-dhchap-key", "--output-format=json", "-v")
    check(json.loads(p.stdout) == {"hmac": 1, "length": 32, "crc": "cd1acaee"},
          "check-dhchap-key -o json: %r" % p.stdout)

    # Random keys: one line of nvme-cli's shape, each different, nothing on stderr.
    seen = set()
    for hmac, ln in SHAPES:
        for extra in ([], ["-n", "nqn.host"]):
            args = ["gen-dhchap-key", "-m", hmac] + (["-l", ln] if hmac == 0 else []) + extra
            r = env.ctl(*args)
            key = r.out.rstrip("\n")
            check(r.out.count("\n") == 1 and key_shape(key) == (hmac, ln) and r.err == "",
                  "%s: %r %r" % (args, r.out, r.err))
            check(key not in seen, "the same random key twice")
            seen.add(key)
            check(env.ctl("check-dhchap-key", "-k", key).out.startswith(
                "Key is valid (HMAC %d, length %d, " % (hmac, ln)), "random key not valid")

    # Command line errors: one line (and "Try ..."), exit 2, nothing on stdout, no
    # secret in it.
    bad_hex = "zz" + SECRET[2:64]
    for args, want in [
            (["-s", SECRET[:66]], "64 hex digits expected for a 32-byte key, got 66"),
            (["-s", SECRET[:62]], "64 hex digits"),
            (["-s", SECRET[:63]], "64 hex digits"),
            (["-s", SECRET[:64], "-m", "2"], "96 hex digits"),
            (["-s", SECRET[:96], "-l", "64"], "128 hex digits"),
            (["-s", "x" * 600], "got 600 characters"),
            (["-s", bad_hex], "not hexadecimal"),
            (["-s", " " + SECRET[:63]], "not hexadecimal"),
            (["-m", "4"], "-m/--hmac"), (["-m", "-1"], "-m/--hmac"), (["-m", "x"], "-m/--hmac"),
            # The accepted values and the one given, in range or not.
            (["-l", "40"], "-l/--key-length: '40' is not 32, 48 or 64"),
            (["-l", "128"], "-l/--key-length: '128' is not 32, 48 or 64"),
            (["-l", "-32"], "-l/--key-length: '-32' is not 32, 48 or 64"),
            (["-l", "x"], "-l/--key-length: 'x' is not 32, 48 or 64"),
            (["-m", "1", "-l", "48"], "does not fit -m/--hmac 1"),
            (["-m", "3", "-l", "32"], "does not fit -m/--hmac 3"),
            (["-m", "1", "-n", "", "-s", SECRET[:64]], "-n/--nqn"),
            (["-m", "1", "-n", "nqn." + "x" * 220], "-n/--nqn"),
            (["-o", "binary"], "-o/--output-format"),
            (["-k", KEY1], "unknown option '-k'"),
            (["--secert=" + SECRET[:64]], "unknown option '--secert'"),
            ([SECRET[:64]], "unexpected argument"),
            (["-s"], "needs a value")]:
        r = env.ctl("gen-dhchap-key", *args, rc=2)
        lines = error_lines(r.err)
        check(len(lines) == 1 and lines[0].startswith("nvmfctl: gen-dhchap-key: ")
              and want in lines[0], "gen-dhchap-key %s: %r" % (args, r.err))
        check(r.out == "", "gen-dhchap-key %s printed %r" % (args, r.out))
        no_secret(r.err, SECRET[:64], bad_hex, KEY1)
    for args, want in [(["-s", SECRET[:64]], "unknown option '-s'"),
                       (["--ky=" + KEY1], "unknown option '--ky'"),
                       ([KEY1], "unexpected argument"), (["-o", "xml"], "-o/--output-format"),
                       (["-k"], "needs a value")]:
        r = env.ctl("check-dhchap-key", *args, rc=2)
        lines = error_lines(r.err)
        check(len(lines) == 1 and lines[0].startswith("nvmfctl: check-dhchap-key: ")
              and want in lines[0] and r.out == "", "check-dhchap-key %s: %r" % (args, r.err))
        no_secret(r.err, SECRET[:64], KEY1)

    # Damaged keys: one line naming what is wrong, never the key; exit 1.
    whats = {"bad CRC": "CRC-32 mismatch", "bad key byte": "CRC-32 mismatch",
             "trailing character": "after the closing ':'", "trailing ':'": "after the",
             "trailing space": "after the", "hh 04": "hash id", "hh 0a": "hash id",
             "hh 'xx'": "hash id", "no hh": "hash id", "lower-case prefix": "DHHC-1:",
             "40-byte key, good CRC": "wrong key length", "truncated": "",
             "16-byte key, good CRC": "wrong key length"}
    for good in (KEY1, k3, VECTORS[(0, 48, None)][0]):
        for name, key in damaged(good):
            for how in ("stdin", "argv") if good == KEY1 else ("stdin",):
                if how == "stdin":
                    p = ctl_in(env, key + "\n", "check-dhchap-key", rc=1)
                    out, err = p.stdout, p.stderr
                else:
                    r = env.ctl("check-dhchap-key", "-k", key, rc=1)
                    out, err = r.out, "\n".join(error_lines(r.err))
                lines = err.splitlines()
                check(len(lines) == 1 and lines[0].startswith("nvmfctl: check-dhchap-key: ")
                      and whats.get(name, "wrong key length") in lines[0] and out == "",
                      "check-dhchap-key %s (%s, %s): %r" % (key, name, how, err))
                no_secret(err, key, good)
    # A valid key with a non-canonical Base64 ending (non-zero padding bits, which
    # nvme-cli 2.x ignores) is refused: a key has one text.
    k48 = VECTORS[(0, 48, None)][0]
    p = ctl_in(env, k48.replace("BQ==:", "BR==:"), "check-dhchap-key", rc=1)
    check("Base64" in p.stderr, "non-canonical Base64: %r" % p.stderr)
    for stdin, want in [("", "no key on standard input"), ("x" * 600 + "\n", "too long")]:
        p = ctl_in(env, stdin, "check-dhchap-key", rc=1)
        check(want in p.stderr and p.stdout == "", "stdin %r: %r" % (stdin[:8], p.stderr))
    r = env.ctl("check-dhchap-key", "-k", "DHHC-1:01:" + "A" * 600 + ":", rc=1)
    check("wrong key length" in r.err, "600 characters: %r" % r.err)
    p = ctl_in(env, "", "gen-dhchap-key", "-s", "-", rc=1)
    check("no secret on standard input" in p.stderr, "gen: empty stdin: %r" % p.stderr)

    # The argv copy is wiped once read: a second -s / -k of '-' makes nvmfctl wait on
    # standard input, while /proc shows its command line.
    if os.path.exists("/proc/self/cmdline"):
        for args, secret in [(["gen-dhchap-key", "-m", "1", "-n", "nqn.host", "-s",
                               SECRET[:64], "-s", "-"], SECRET[:64]),
                             (["check-dhchap-key", "-k", KEY1, "-k", "-"], KEY1)]:
            p = subprocess.Popen([env.ctl_exe] + [str(a) for a in args],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=env.env)
            try:
                # until nvmfctl runs (not the forked python) and has read argv
                word, cmdline = args[0].encode(), b""
                for _ in range(200):
                    with open("/proc/%d/cmdline" % p.pid, "rb") as f:
                        cmdline = f.read()
                    if word in cmdline and secret.encode() not in cmdline:
                        break
                    time.sleep(0.025)
                out, err = p.communicate(SECRET[:64] if args[0].startswith("gen") else KEY1,
                                         timeout=30)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            check(word in cmdline and secret[:16].encode() not in cmdline,
                  "%s: argv still holds the key: %r" % (args[0], cmdline))
            want = KEY1 + "\n" if args[0].startswith("gen") else \
                "Key is valid (HMAC 1, length 32, CRC cd1acaee)\n"
            check(p.returncode == 0 and out == want, "%s: %r %r" % (args[0], out, err))
            argv_warning(err, "--secret" if args[0].startswith("gen") else "key")
    else:
        log("no /proc: argv wiping not observed")


# ---- against nvme-cli ---------------------------------------------------------------------

def nvme_exe():
    exe = os.environ.get("NVME_CLI") or shutil.which("nvme")
    if not exe:
        raise SkipTest("no nvme command (nvme-cli); on Debian: apt-get install nvme-cli")
    return exe


def t_nvme_cli(env):
    exe = nvme_exe()
    # nvme-cli 2.13 and later take LIBNVME_HOSTNQN as the default host NQN: not here
    nenv = dict(os.environ)
    nenv.pop("LIBNVME_HOSTNQN", None)

    def nvme(*args, rc=0):
        p = subprocess.run([exe] + [str(a) for a in args], capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL, env=nenv)
        if rc is not None and p.returncode != rc:
            raise Fail("nvme %s: exit %d\nstdout:\n%s\nstderr:\n%s"
                       % (" ".join(map(str, args)), p.returncode, p.stdout, p.stderr))
        return p

    log(nvme("version").stdout.strip().replace("\n", "; "))

    def nvme_check(key):
        return nvme("check-dhchap-key", "--key=" + key, rc=None)

    def ours(key, rc=0):
        return ctl_in(env, key + "\n", "check-dhchap-key", rc=rc)

    def gen_args(hmac, ln):
        return ["-m", hmac] + (["-l", ln] if hmac == 0 else [])

    # The same --secret/--hmac/--nqn: the same key. nvme-cli needs a host NQN even
    # for hh 00 (2.3 reads /etc/nvme/hostnqn), so -n is always given.
    nqns = ["nqn.host", UUID_NQN, "nqn.2014-08.org.example:" + "x" * 190]
    count = 0
    for hmac, ln in SHAPES:
        secret = SECRET[:2 * ln]
        for nqn in nqns:
            a = nvme("gen-dhchap-key", "--secret=" + secret, "--nqn=" + nqn,
                     *gen_args(hmac, ln)).stdout
            b = ctl_in(env, secret, "gen-dhchap-key", "--secret=-", "--nqn=" + nqn,
                       *gen_args(hmac, ln)).stdout
            check(a == b, "gen-dhchap-key -m %d -l %d -n %s: nvme %r, nvmfctl %r"
                  % (hmac, ln, nqn, a, b))
            count += 1
    # Without --nqn, hh != 00: both transform with the host NQN of /etc/nvme/hostnqn.
    default = hostnqn_file()
    if default and env.ctl("show-hostnqn").out.strip() == default:
        for hmac, ln in SHAPES[3:]:
            a = nvme("gen-dhchap-key", "--secret=" + SECRET[:2 * ln], "-m", hmac).stdout
            b = ctl_in(env, SECRET[:2 * ln], "gen-dhchap-key", "-s", "-", "-m", hmac).stdout
            check(a == b, "default host NQN, -m %d: nvme %r, nvmfctl %r" % (hmac, a, b))
            count += 1
    else:
        log("no usable /etc/nvme/hostnqn: the default host NQN not compared")
    log("gen-dhchap-key: %d outputs equal to nvme-cli's" % count)

    # Keys of each tool, checked by both: each hmac and length, random and given.
    mine, theirs = [], []
    for hmac, ln in SHAPES:
        for _ in range(3):
            mine.append(env.ctl("gen-dhchap-key", "-n", "nqn.host",
                                *gen_args(hmac, ln)).out.strip())
            theirs.append(nvme("gen-dhchap-key", "-n", "nqn.host",
                               *gen_args(hmac, ln)).stdout.strip())
        mine.append(ctl_in(env, SECRET[:2 * ln], "gen-dhchap-key", "-s", "-", "-n", UUID_NQN,
                           *gen_args(hmac, ln)).stdout.strip())
    for who, keys in (("nvmfctl", mine), ("nvme-cli", theirs)):
        for key in keys:
            shape = key_shape(key)
            check(shape in SHAPES, "%s made %r" % (who, key))
            a, b = nvme_check(key), ours(key, rc=None)
            check(a.returncode == 0 and b.returncode == 0 and a.stdout == b.stdout
                  and VALID_RE.match(a.stdout.strip()),
                  "a key of %s: nvme %d %r %r, nvmfctl %d %r %r"
                  % (who, a.returncode, a.stdout, a.stderr, b.returncode, b.stdout, b.stderr))
            m = VALID_RE.match(a.stdout.strip())
            check((int(m.group(1)), int(m.group(2))) == shape, "wrong shape: %r" % a.stdout)
    log("%d nvmfctl keys accepted by nvme-cli, %d nvme-cli keys by nvmfctl, same lines"
        % (len(mine), len(theirs)))

    # Damaged keys: both refuse them.
    n = 0
    for good in [theirs[i] for i in range(0, len(theirs), 3)] + mine[3::4]:
        for name, key in damaged(good):
            a = nvme_check(key)
            b = ours(key, rc=None)
            check(a.returncode != 0 and a.stdout == "",
                  "nvme-cli accepted %s (%s): %r" % (key, name, a.stdout))
            check(b.returncode == 1 and b.stdout == "",
                  "nvmfctl accepted %s (%s): %r" % (key, name, b.stdout))
            n += 1
    log("%d damaged keys refused by both" % n)


# ---- without OpenSSL -----------------------------------------------------------------

def t_notls(env):
    r = env.ctl("--help")
    for c, args in (("gen-dhchap-key", ["-m", "1"]), ("check-dhchap-key", ["-k", KEY1])):
        check(re.search(r"^  %s " % c, r.out, re.M), "--help does not list " + c)
        r2 = env.ctl(c, *args, rc=1)
        check(r2.err == "nvmfctl: %s: built without OpenSSL\n" % c and r2.out == "",
              "%s without OpenSSL: %r" % (c, r2.err))


if __name__ == "__main__":
    sys.exit(main({"keys": t_keys, "nvme_cli": t_nvme_cli, "notls": t_notls}))
