#!/usr/bin/env python3
"""interop_tls_derive: libnvmf's TLS PSK derivation against nvme-cli 2.13 (issue 13).

nvme-cli 2.13 with libnvme 1.13 (Debian 13, in the tls fixture's guest) derives the
TLS PSK of a configured PSK and puts it into a kernel keyring, described by its PSK
identity; `nvmet tls-derive` reads the description and the payload back. libnvmf's
src/tcp/tls_psk.c (tcp_psk_parse + tcp_psk_derive with TCP_PSK_KDF_COMPAT, through
psk_derive) must give the same identity and the same bytes, for:

  * hash ids 01 (NVMF_TEST_TLS_KEY) and 02 (NVMF_TEST_TLS_KEY384), identity versions 0
    and 1, two NQN pairs: the fixture's (check-tls-key --insert, and the keys gen-tls-key
    put in .nvme at setup) and a second one whose version 0 identity is longer than 255
    bytes (gen-tls-key --insert);
  * interchange keys formatted by tcp_psk_format: nvme-cli's check-tls-key must accept
    them (and derive the same), and gen-tls-key, given the same secret, must print the
    same string.

Any byte difference fails. As a check that the comparison can fail, RFC 8446's encoding
(TCP_PSK_KDF_RFC8446) must give a different TLS PSK than nvme-cli 2.13 for one case.

  tls_derive.py --psk-derive PATH      (NVMF_TEST_ENV names the fixture's target.env)
"""

import argparse
import hashlib
import json
import os
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.realpath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
from nvmet_support import interchange_key  # noqa: E402

# The second NQN pair: a uuid host NQN and a subsystem NQN long enough that the version 0
# identity ("NVMe0R0h " + 68 + " " + 200 bytes) passes 255 bytes, which only the COMPAT
# encoding can carry (RFC 8446's HkdfLabel context is at most 255 bytes).
HOST_B = "nqn.2014-08.org.nvmexpress:uuid:0f5a8c21-6b3e-4d7a-9c10-2e4b6f8d0a13"
SUB_B = "nqn.2014-08.org.libnvmf:tls-derive-" + "".join("%02d-" % i for i in range(55))[:165]

failures = []


def load_env():
    path = os.environ.get("NVMF_TEST_ENV")
    if not path or not os.path.exists(path):
        sys.exit("FAIL: NVMF_TEST_ENV (%s) missing: the tls fixture did not start (see interop-setup-tls)" % path)
    env = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            env[k] = " ".join(shlex.split(v)) if v else ""
    if env.get("NVMF_TEST_TLS") != "1":
        sys.exit("FAIL: %s is not a TLS fixture (NVMF_TEST_TLS=%s)" % (path, env.get("NVMF_TEST_TLS")))
    return env


def run(argv):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s%s" % (" ".join(shlex.quote(a) for a in argv), r.returncode,
                                                  r.stdout, r.stderr))
    return r.stdout


def fields(out):
    """{'identity': ..., 'psk': ..., 'nvme-cli': [lines]} from tls-derive or psk_derive output."""
    d = {"nvme-cli": []}
    for line in out.splitlines():
        line = line.rstrip("\r")
        if line.startswith("nvme-cli: "):
            d["nvme-cli"].append(line[len("nvme-cli: "):])
        elif line.startswith("identity: ") or line.startswith("identity "):
            d["identity"] = line.split(" ", 1)[1]
        elif line.startswith("psk: ") or line.startswith("psk "):
            d["psk"] = line.split(" ", 1)[1].strip()
    return d


def theirs_batch(env, cases):
    """nvme-cli 2.13's results for cases (via, version, key, hostnqn, subnqn), all in one guest
    request (`nvmet tls-derive --batch`); a list of dicts: identity, psk, nvme-cli, status."""
    stdin = "".join("%s %d %s %s %s\n" % c for c in cases)
    r = subprocess.run([env["NVMF_TEST_CTL"], "tls-derive", "--batch"], input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    out = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    if r.returncode != 0 or len(out) != len(cases):
        raise RuntimeError("nvmet tls-derive --batch: exit %d, %d of %d results: %s%s"
                           % (r.returncode, len(out), len(cases), r.stdout, r.stderr))
    return out


def ours(psk_derive, key, host, sub, version, kdf="compat"):
    return fields(run([psk_derive, "derive", key, host, sub, str(version), kdf]))


def compare(label, t, o):
    bad = []
    if t.get("identity") != o.get("identity"):
        bad.append("identity: nvme-cli 2.13 %r, libnvmf %r" % (t.get("identity"), o.get("identity")))
    if not t.get("psk") or t.get("psk") != o.get("psk"):
        bad.append("TLS PSK: nvme-cli 2.13 %s, libnvmf %s" % (t.get("psk"), o.get("psk")))
    if bad:
        failures.append(label)
        print("not ok - %s\n    %s" % (label, "\n    ".join(bad)))
    else:
        print("ok - %s: %s | %s" % (label, o["identity"][:40] + ("..." if len(o["identity"]) > 40 else ""),
                                    o["psk"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--psk-derive", required=True, help="the psk_derive program (tests/interop/psk_derive.c)")
    a = ap.parse_args()
    env = load_env()
    t0 = time.monotonic()
    host, sub = env["NVMF_TEST_HOSTNQN"], env["NVMF_TEST_SUBNQN"]
    keys = {1: env["NVMF_TEST_TLS_KEY"], 2: env["NVMF_TEST_TLS_KEY384"]}
    versions = [int(v) for v in env["NVMF_TEST_TLS_IDENTITY_VERSIONS"].split(",")]
    print("# nvme-cli in the guest: %s" % env.get("NVMF_TEST_TLS_PACKAGES"))
    print("# NQN pair A: %s %s" % (host, sub))
    print("# NQN pair B: %s %s (version 0 identity %d bytes)" % (HOST_B, SUB_B, 9 + len(HOST_B) + 1 + len(SUB_B)))

    # What gen-tls-key put into .nvme at setup (the keys the target serves), by identity.
    ring = {}
    for line in open(env["NVMF_TEST_TLS_KEYRING"]):
        hexkey, ident = line.rstrip("\n").split(" ", 1)
        ring[ident] = hexkey

    # Every nvme-cli case, in one guest request.
    cases, formatted = [], {}
    for hmac in (1, 2):
        for v in (0, 1):
            cases.append(("check", v, keys[hmac], host, sub))
            cases.append(("gen", v, keys[hmac], HOST_B, SUB_B))
    # Interchange keys libnvmf formats (tcp_psk_format), with secrets of their own.
    for hmac, n in ((1, 32), (2, 48)):
        secret = hashlib.sha384(("libnvmf interop tcp_psk_format %02d" % hmac).encode()).digest()[:n]
        mine = run([a.psk_derive, "format", str(hmac), secret.hex()]).strip()
        formatted[hmac] = mine
        if mine != interchange_key(hmac, secret):
            failures.append("tcp_psk_format hmac %d" % hmac)
            print("not ok - tcp_psk_format hmac %d: %s, the harness's own encoding gives %s"
                  % (hmac, mine, interchange_key(hmac, secret)))
        cases.append(("check", 0, mine, host, sub))
        cases.append(("gen", 0, mine, host, sub))
    t1 = time.monotonic()
    res = theirs_batch(env, cases)
    print("# nvme-cli 2.13: %d derivations in one guest request, %.1fs" % (len(cases), time.monotonic() - t1))

    gen_out = None
    for (via, v, key, h, s_), t in zip(cases, res):
        hmac = int(key[14])
        if key in formatted.values():
            label = "tcp_psk_format hmac %d" % hmac
            if via == "check":
                if t["status"] != 0:
                    failures.append(label)
                    print("not ok - %s: check-tls-key refused %s: %s" % (label, key, t["nvme-cli"]))
                    continue
                compare("%s: %s accepted by check-tls-key" % (label, key), t, ours(a.psk_derive, key, h, s_, v))
            else:
                # gen-tls-key, given the same secret, prints the same interchange key.
                printed = [x for x in t["nvme-cli"] if x.startswith("NVMeTLSkey-1:")]
                if printed != [key]:
                    failures.append(label + " (gen-tls-key)")
                    print("not ok - %s: gen-tls-key --secret prints %s, libnvmf %s" % (label, printed, key))
                else:
                    print("ok - %s: gen-tls-key --secret prints the same key" % label)
            continue
        pair = "A" if h == host else "B"
        how = "check-tls-key" if via == "check" else "gen-tls-key"
        if t["status"] != 0:
            failures.append("hmac %d v%d pair %s" % (hmac, v, pair))
            print("not ok - hmac %d, identity v%d, pair %s: nvme-cli %s failed: %s"
                  % (hmac, v, pair, how, t.get("error") or t["nvme-cli"]))
            continue
        if via == "gen":
            gen_out = gen_out or t["nvme-cli"]
        o = ours(a.psk_derive, key, h, s_, v)
        compare("hmac %d, identity v%d, pair %s, %s --insert" % (hmac, v, pair, how), t, o)
        if pair == "A" and v in versions:
            compare("hmac %d, identity v%d, pair A, gen-tls-key --insert into .nvme at setup" % (hmac, v),
                    {"identity": o["identity"] if o["identity"] in ring else None,
                     "psk": ring.get(o["identity"])}, o)

    # The comparison can fail: RFC 8446's HkdfLabel gives other bytes than nvme-cli 2.13.
    rfc = ours(a.psk_derive, keys[1], host, sub, 0, "rfc8446")
    t = {"identity": rfc["identity"], "psk": ring.get(rfc["identity"])}
    if t["psk"] and t["psk"] != rfc["psk"]:
        print("ok - TCP_PSK_KDF_RFC8446 differs from nvme-cli 2.13 as expected (%s vs %s)" % (rfc["psk"], t["psk"]))
    else:
        failures.append("rfc8446 control")
        print("not ok - TCP_PSK_KDF_RFC8446 gives %s, nvme-cli 2.13 %s: expected them to differ" % (rfc["psk"], t["psk"]))

    print("# nvme-cli 2.13 gen-tls-key --insert output format:")
    for line in gen_out or []:
        print("#   %s" % line)
    print("# %d failure(s), %.1fs" % (len(failures), time.monotonic() - t0))
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:
        print("FAIL: %s" % e)
        sys.exit(1)
