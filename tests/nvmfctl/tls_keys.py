#!/usr/bin/env python3
"""nvmfctl gen-tls-key / check-tls-key: nvme-cli's output, the key file, and
nvme-cli itself.

  tls_keys.py keys      --nvmfctl EXE   outputs and key file against values nvme-cli
                                        2.16 printed and wrote (see below); options,
                                        errors, warnings
  tls_keys.py nvme_cli  --nvmfctl EXE   against the nvme command of this machine:
                                        keys of each tool checked by the other;
                                        identities compared if it derives them

Where the expected values come from: nvme-cli 2.16 / libnvme 1.16.2 (Debian sid,
unpacked, run with its own loader, never installed) in a throwaway keyring, as
tests/unit/test_tls_keyfile.c says; CRC lines: Debian 12's nvme-cli 2.3
(`nvme check-tls-key --key=K`).
Exit 0 pass, 1 fail, 77 skip (no nvme command).
"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctl_env import Fail, SkipTest, check, log, main  # noqa: E402

SECRET32 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
KEY32 = "NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"
KEY48_LIBNVME = ("NVMeTLSkey-1:02:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwP/"
                 "w0S89ELi3W2LxIcLXVsDn8kXZQ==:")
KEY32_00 = "NVMeTLSkey-1:00:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"
H, S = "nqn.host", "nqn.sub"
# What nvme-cli 2.16's four --insert --keyfile runs wrote (identity, TLS PSK), and
# its version 1 identities of KEY32 (RFC 8446; --compat).
NVME_CLI_FILE = [
    "NVMe0R01 nqn.host nqn.sub "
    "NVMeTLSkey-0:01:F9Be2EJXzaSbjGMSuXy0IwqjA7utVUsMmUgho4WBNGEYKlLL:",
    "NVMe1R01 nqn.host nqn.sub gEqCzkl04JXNNRhlec5POtT02lIVWjYjIzXBKFW3oOw= "
    "NVMeTLSkey-1:01:7JNBthLAjkIDLPyIkiiGkvrBvNZJGv9bf2i4W5pB0ceokDyy:",
    "NVMe0R02 nqn.host nqn.sub "
    "NVMeTLSkey-0:02:UwmWWyXWsYnuZNtIqdjHzGSgfX9HJoVsKp6F6ukJHl89juI6GZzDK9O15+nP/hC35l6pFg==:",
    "NVMe1R01 nqn.host nqn.sub 6fvSfHpRrEYkTqcBT/UrIzuCy+POrVQVh5/TxGzCOYg= "
    "NVMeTLSkey-1:01:0yiltoMndMXkPVKjvlpVKb0iZO6T8SVYkTdaip5jf6ZIWBJr:",
]
ID1_RFC = "NVMe1R01 nqn.host nqn.sub gEqCzkl04JXNNRhlec5POtT02lIVWjYjIzXBKFW3oOw="
ID1_COMPAT = "NVMe1R01 nqn.host nqn.sub a0GofTg9YIYsEBBtbHd3kZG2Xu9iYHBumDqEOh+WXmI="
KEY_RE = {1: re.compile(r"^NVMeTLSkey-1:01:[A-Za-z0-9+/]{48}:$"),
          2: re.compile(r"^NVMeTLSkey-1:02:[A-Za-z0-9+/]{70}==:$")}
VALID_RE = re.compile(r"^Key is valid \(HMAC ([0-2]), length (32|48), CRC ([0-9a-f]{8})\)$")


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
    for s in secrets:
        for piece in (s, s[16:40]):
            check(piece not in text, "key material %r in %r" % (piece, text))


def argv_warning(err, what):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    check(len(lines) == 1 and "warning" in lines[0] and "visible to other users" in lines[0]
          and what in lines[0], "expected one argv warning naming %s, got %r" % (what, err))
    return lines[0]


# ---- nvmfctl alone ------------------------------------------------------------------

def t_keys(env):
    r = env.ctl("--help")
    for c in ("gen-tls-key", "check-tls-key"):
        check(re.search(r"^  %s " % c, r.out, re.M), "--help does not list " + c)
        h = env.ctl(c, "--help")
        check(h.out.startswith("Usage: nvmfctl " + c) and h.err == "", c + " --help")
    check(env.ctl("help", "check-tls-key").out.startswith("Usage: nvmfctl check-tls-key"),
          "help check-tls-key")

    # Random keys: nvme-cli's line, one per run, nothing on stderr.
    seen = set()
    for hmac in (1, 2):
        for _ in range(3):
            r = env.ctl("gen-tls-key", "-m", hmac)
            key = r.out.rstrip("\n")
            check(KEY_RE[hmac].match(key) and r.out.count("\n") == 1, "gen-tls-key: %r" % r.out)
            check(r.err == "", "gen-tls-key wrote to stderr: %r" % r.err)
            check(key not in seen, "the same random key twice")
            seen.add(key)
    check(env.ctl("gen-tls-key").out.startswith("NVMeTLSkey-1:01:"), "default --hmac is 1")

    # A given secret: nvme-cli 2.16's output; on argv with a warning, from stdin without.
    r = env.ctl("gen-tls-key", "--secret=" + SECRET32)
    check(r.out == KEY32 + "\n", "gen-tls-key --secret: %r" % r.out)
    no_secret(argv_warning(r.err, "--secret"), SECRET32, KEY32)
    p = ctl_in(env, SECRET32 + "\n", "gen-tls-key", "-s", "-", "--hmac=1")
    check(p.stdout == KEY32 + "\n" and p.stderr == "", "--secret=-: %r %r" % (p.stdout, p.stderr))
    p = ctl_in(env, SECRET32 + "\r\n", "gen-tls-key", "-s", "-")
    check(p.stdout == KEY32 + "\n", "--secret=- with CRLF")
    secret48 = SECRET32 + "202122232425262728292a2b2c2d2e2f"
    p = ctl_in(env, secret48, "gen-tls-key", "-s", "-", "-m", "2")
    check(p.stdout == ("NVMeTLSkey-1:02:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIj"
                       "JCUmJygpKissLS4vcSEgBQ==:\n"), "-m 2 --secret: %r" % p.stdout)
    for args, want in [
            (["-s", SECRET32 + "00"], "64 hex digits"),
            (["-s", SECRET32[:-2]], "64 hex digits"),
            (["-s", SECRET32, "-m", "2"], "96 hex digits"),
            (["-s", "zz" + SECRET32[2:]], "not hexadecimal"),
            (["-s", "pin:" + SECRET32[4:]], "'pin:'"),
            (["-m", "0"], "-m/--hmac"), (["-m", "3"], "-m/--hmac"),
            (["-I", "2"], "-I/--identity"),
            (["-i"], "needs -c/--subsysnqn"),
            (["-d", KEY32], "-d/--keydata does not apply"),
            (["-k", ".nvme"], "no kernel keyring"), (["-t", "psk"], "no kernel keyring"),
            (["-o", "binary"], "-o/--output-format"), (["stray"], "unexpected argument")]:
        r = env.ctl("gen-tls-key", *args, rc=2)
        lines = [ln for ln in r.err.splitlines() if not ln.startswith("Try ")]
        lines = [ln for ln in lines if "visible to other users" not in ln]
        check(len(lines) == 1 and lines[0].startswith("nvmfctl: gen-tls-key: ")
              and want in lines[0], "gen-tls-key %s: %r" % (args, r.err))
        check(r.out == "", "gen-tls-key %s printed %r" % (args, r.out))
        no_secret(r.err, SECRET32, "zz" + SECRET32[2:])

    # check-tls-key: nvme-cli 2.3's line without -c, 2.16's identity with it.
    p = ctl_in(env, KEY32 + "\n", "check-tls-key")
    check(p.stdout == "Key is valid (HMAC 1, length 32, CRC 91267e8a)\n" and p.stderr == "",
          "check-tls-key: %r %r" % (p.stdout, p.stderr))
    for opt in ("-d", "--keydata", "--key", "-k"):
        r = env.ctl("check-tls-key", opt, KEY32)
        check(r.out == "Key is valid (HMAC 1, length 32, CRC 91267e8a)\n", opt)
        no_secret(argv_warning(r.err, "key"), KEY32)
    for extra, want in [([], "NVMe0R01 nqn.host nqn.sub"), (["-I", "1"], ID1_RFC),
                        (["--identity=1", "--compat"], ID1_COMPAT), (["-I", "1", "-C"], ID1_COMPAT),
                        (["-I", "0", "-C"], "NVMe0R01 nqn.host nqn.sub")]:
        p = ctl_in(env, KEY32, "check-tls-key", "-n", H, "-c", S, *extra)
        check(p.stdout == want + "\n", "check-tls-key %s: %r" % (extra, p.stdout))
    p = ctl_in(env, KEY48_LIBNVME, "check-tls-key")
    check(p.stdout == "Key is valid (HMAC 2, length 48, CRC 6517c99f)\n", "48: %r" % p.stdout)
    p = ctl_in(env, KEY32_00, "check-tls-key", "-o", "json", "-n", H, "-c", S)
    j = json.loads(p.stdout)
    check(j == {"hmac": 0, "length": 32, "crc": "d9baf45f", "identity":
                "NVMe0R01 nqn.host nqn.sub"}, "check-tls-key -o json: %r" % j)
    damaged = KEY32[:-2] + "S:"
    for key, want in [(damaged, "CRC-32 mismatch"), ("NVMeTLSkey-1:01:AAAA:", "wrong key length"),
                      ("DHHC-1:00:" + KEY32[16:], "not a PSK interchange key"), ("", "")]:
        p = ctl_in(env, key + "\n" if key else "", "check-tls-key", rc=1)
        lines = p.stderr.splitlines()
        check(len(lines) == 1 and lines[0].startswith("nvmfctl: check-tls-key: ")
              and want in lines[0] and p.stdout == "", "check-tls-key %r: %r" % (key, p.stderr))
        no_secret(p.stderr, KEY32, damaged)
    # A bad NQN is a usage error, found before anything is read or printed.
    p = ctl_in(env, KEY32, "check-tls-key", "-n", "nqn.host", "-c", "nqn with space", rc=2)
    check("-c/--subsysnqn: 'nqn with space' is not an NQN" in p.stderr and p.stdout == "",
          "bad NQN: %r %r" % (p.stdout, p.stderr))
    # gen-tls-key -i: every check before the key is printed; a failure prints nothing
    # on stdout and leaves no key file.
    for args, rc, want in [
            (["-c", ""], 2, "-c/--subsysnqn: '' is not an NQN"),
            (["-c", S, "-n", ""], 2, "-n/--hostnqn: '' is not an NQN"),
            (["-c", S, "-n", H, "-f", env.path("no/such/dir/keys")], 1, "cannot insert"),
            (["-c", S, "-n", H, "-o", "json", "-f", env.path("no/such/dir/keys")], 1,
             "cannot insert")]:
        r = env.ctl("gen-tls-key", "-i", *args, rc=rc)
        check(r.out == "" and want in r.err, "gen-tls-key -i %s: stdout %r, stderr %r"
              % (args, r.out, r.err))
    # Without -i, -c and -n have no effect (nvme-cli): not checked either.
    check(KEY_RE[1].match(env.ctl("gen-tls-key", "-c", "").out.rstrip("\n")),
          "gen-tls-key -c '' without -i")
    for args, want in [(["-i", "-n", H], "needs -c/--subsysnqn"), (["-m", "1"], "-m/--hmac"),
                       (["-s", SECRET32], "-s/--secret"), (["-I", "x"], "-I/--identity"),
                       (["-k", "mykeyring"], "no kernel keyring")]:
        p = ctl_in(env, KEY32, "check-tls-key", *args, rc=2)
        check(want in p.stderr and p.stdout == "", "check-tls-key %s: %r" % (args, p.stderr))
        no_secret(p.stderr, SECRET32, KEY32)

    # --insert: the key file nvme-cli 2.16 wrote for the same four runs, except
    # NVMeTLSkey-1 throughout (nvme-cli's import refuses its own NVMeTLSkey-0).
    kf = env.path("tls-keys")
    runs = [(None, ["gen-tls-key", "-s", "-"], SECRET32),
            (None, ["gen-tls-key", "-s", "-", "-I", "1"], SECRET32),
            (KEY48_LIBNVME, ["check-tls-key"], None),
            (KEY32_00, ["check-tls-key", "-I", "1", "--compat"], None)]
    for key, args, secret in runs:
        p = ctl_in(env, secret or key, *(args + ["-n", H, "-c", S, "-i", "-f", kf]))
        check(p.stderr == "", "%s --insert wrote to stderr: %r" % (args, p.stderr))
        last = p.stdout.splitlines()[-1]
        check(re.match(r'^Inserted TLS key "NVMe[01]R0[12] nqn\.host nqn\.sub.*" into %s$'
                       % re.escape(kf), last), "%s --insert: %r" % (args, p.stdout))
        no_secret(p.stdout.replace(KEY32, ""), SECRET32)
    with open(kf) as f:
        got = f.read()
    want = "".join(ln.replace("NVMeTLSkey-0:", "NVMeTLSkey-1:") + "\n" for ln in NVME_CLI_FILE)
    check(got == want, "key file:\n%s\nexpected:\n%s" % (got, want))
    check(stat.S_IMODE(os.stat(kf).st_mode) == 0o600, "key file mode %o"
          % stat.S_IMODE(os.stat(kf).st_mode))
    # An existing file open to others: made 0600, with a warning (no key in it).
    os.chmod(kf, 0o644)
    p = ctl_in(env, KEY32, "check-tls-key", "-n", H, "-c", S, "-i", "--keyfile=" + kf)
    check("0644" in p.stderr and "now 0600" in p.stderr and p.stderr.count("\n") == 1,
          "chmod warning: %r" % p.stderr)
    no_secret(p.stderr, KEY32)
    check(stat.S_IMODE(os.stat(kf).st_mode) == 0o600, "not made 0600")
    # JSON, and a key file that cannot be written.
    p = ctl_in(env, SECRET32, "gen-tls-key", "-s", "-", "-o", "json", "-n", H, "-c", S, "-i",
               "-f", kf)
    j = json.loads(p.stdout)
    check(j == {"key": KEY32, "identity": "NVMe0R01 nqn.host nqn.sub", "keyfile": kf},
          "gen-tls-key -o json -i: %r" % j)
    p = ctl_in(env, KEY32, "check-tls-key", "-n", H, "-c", S, "-i", "-f",
               env.path("no/such/dir"), rc=1)
    check("cannot insert" in p.stderr and "no/such/dir" in p.stderr, "unwritable: %r" % p.stderr)
    no_secret(p.stderr, KEY32)


# ---- against nvme-cli ---------------------------------------------------------------------

def nvme(*args, rc=0):
    p = subprocess.run(["nvme"] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=60, stdin=subprocess.DEVNULL)
    if rc is not None and p.returncode != rc:
        raise Fail("nvme %s: exit %d\nstdout:\n%s\nstderr:\n%s"
                   % (" ".join(map(str, args)), p.returncode, p.stdout, p.stderr))
    return p


def t_nvme_cli(env):
    if not shutil.which("nvme"):
        raise SkipTest("no nvme command (nvme-cli); on Debian: apt-get install nvme-cli")
    log(nvme("version").stdout.strip().replace("\n", "; "))
    helptext = nvme("check-tls-key", "--help", rc=None)
    helptext = helptext.stdout + helptext.stderr
    derives = "--identity" in helptext         # 2.6 and later; 2.3 only checks
    keyopt = "--keydata" if "--keydata" in helptext else "--key"
    # libnvme before 1.16 derived with the non-RFC 8446 labels only; 2.16 has
    # --compat for those (tls_psk.h, enum tcp_psk_kdf)
    compat = [] if "--compat" in helptext else ["--compat"]

    def nvme_check(key):
        """What nvme-cli says of key: 2.3 the 'Key is valid' line; later ones need
        a subsystem NQN and print the identity."""
        if derives:
            return nvme("check-tls-key", keyopt + "=" + key, "-n", H, "-c", S).stdout
        return nvme("check-tls-key", keyopt + "=" + key).stdout

    def ours(key):
        extra = ["-n", H, "-c", S] + compat if derives else []
        return ctl_in(env, key, "check-tls-key", *extra).stdout

    # Keys from nvmfctl, checked by nvme-cli; keys from nvme-cli, checked by nvmfctl.
    mine = [KEY32, ctl_in(env, SECRET32 + "202122232425262728292a2b2c2d2e2f", "gen-tls-key",
                          "-s", "-", "-m", "2").stdout.strip()]
    mine += [env.ctl("gen-tls-key", "-m", m).out.strip() for m in (1, 2) for _ in range(4)]
    theirs = [nvme("gen-tls-key", "--hmac=%d" % m).stdout.strip() for m in (1, 2)
              for _ in range(4)]
    for key in mine + theirs:
        check(KEY_RE[int(key[14])].match(key), "not a key: %r" % key)
        a, b = nvme_check(key), ours(key)
        check(a == b, "nvme and nvmfctl disagree on %s:\n  nvme:    %r\n  nvmfctl: %r"
              % (key, a, b))
        if not derives:
            m = VALID_RE.match(a.strip())
            check(m and int(m.group(1)) == int(key[14]), "nvme check-tls-key: %r" % a)
    # A damaged key: both refuse it.
    bad = KEY32[:-2] + "S:"
    check(nvme("check-tls-key", keyopt + "=" + bad, *(["-c", S] if derives else []),
               rc=None).returncode != 0, "nvme accepted a damaged key")
    ctl_in(env, bad, "check-tls-key", rc=1)
    if derives:
        for v in (0, 1):
            a = nvme("check-tls-key", keyopt + "=" + KEY32, "-n", H, "-c", S, "-I", v).stdout
            b = ctl_in(env, KEY32, "check-tls-key", "-n", H, "-c", S, "-I", v,
                       *compat).stdout
            check(a == b, "identity version %d: nvme %r, nvmfctl %s%r" % (v, a, compat, b))
        log("identities cross-checked with nvme-cli%s"
            % (" (nvmfctl --compat: this libnvme derives the pre-1.16 way)" if compat else ""))
    else:
        log("this nvme-cli derives no identities or TLS PSKs (2.3 has no --identity or "
            "--insert): no derivation cross-check; test_tls_psk.c and test_tls_keyfile.c "
            "hold nvme-cli 2.16's values")


if __name__ == "__main__":
    sys.exit(main({"keys": t_keys, "nvme_cli": t_nvme_cli}))
