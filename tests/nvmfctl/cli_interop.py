"""nvmfctl against the Linux kernel target (tests/interop fixtures, NVMF_TEST_ENV).

interop:      discover (normal, JSON), id-ctrl, id-ns, list-ns, get-log smart, and a
              connection whose writes are checked in the target's backing image.
interop_auth: a target that requires DH-HMAC-CHAP (the auth fixture: nvmet 6.12, hmac(sha256),
              ffdhe2048, host and controller secrets): id-ctrl with the host secret from
              NVMF_DHCHAP_SECRET, both secrets from --dhchap-secret/--dhchap-ctrl-secret (a
              warning that argv is public) and from --dhchap-secret-file/--dhchap-ctrl-secret-file
              (LIBNVMF_DEBUG log: the queue authenticated, sha256, ffdhe2048, bidirectional);
              connect (nvme-cli's -S/-C) with one I/O queue: 1 MiB written through the namespace
              file reaches the backing image, the secrets are not on nvmf-fuse's command line nor
              in its state record; a wrong host secret, a wrong controller secret and no secret:
              one error line each, exit 1. No secret in any output.

The discovery log of the guest reports its own address (10.0.2.15): it is checked,
never connected to; connections go to NVMF_TEST_TRADDR.
"""
import os

from ctl_env import MiB, Fail, check, fuse_usable, log, wait_gone


def load_env():
    path = os.environ.get("NVMF_TEST_ENV")
    if not path:
        raise Fail("NVMF_TEST_ENV is not set: run this test from ctest's interop fixture")
    env = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" not in line or line.startswith("#"):
                continue
            k, v = line.split("=", 1)
            if len(v) >= 2 and v[0] == v[-1] == "'":
                v = v[1:-1]
            env[k] = v
    return env


def t_interop(env):
    e = load_env()
    addr, port, nqn = e["NVMF_TEST_TRADDR"], e["NVMF_TEST_TRSVCID"], e["NVMF_TEST_SUBNQN"]
    host, lba, size = e["NVMF_TEST_HOSTNQN"], int(e["NVMF_TEST_LBA"]), int(e["NVMF_TEST_DISK_SIZE"])
    uri = "nvme+tcp://%s:%s/%s" % (addr, port, nqn)
    # discover: on the forwarded 8009 when the fixture has one, else on the I/O port.
    dport = e.get("NVMF_TEST_DISC_TRSVCID") or port
    r = env.ctl("discover", "-t", "tcp", "-a", addr, "-s", dport, "-q", host)
    check("Discovery Log Number of Records" in r.out and "subnqn:  %s\n" % nqn in r.out,
          "discover:\n%s" % r.out)
    j = env.ctl("discover", "-a", addr, "-s", dport, "-q", host, "-o", "json").json()
    mine = [x for x in j["records"] if x["subnqn"] == nqn]
    check(len(mine) >= 1, "discovery log lacks %s: %s" % (nqn, j))
    # nvmet lists the subsystem at the guest port the discovery controller was reached
    # on; NVMF_TEST_PORTMAP maps guest ports to the forwarded ones.
    guest_ports = [p.split("=")[0] for p in e.get("NVMF_TEST_PORTMAP", "4420=").split(",")]
    check(all(x["trtype"] == "tcp" and x["adrfam"] == "ipv4" and x["subtype"] == "nvme subsystem"
              and x["traddr"] == e.get("NVMF_TEST_GUEST_TRADDR", "10.0.2.15")
              and x["trsvcid"] in guest_ports for x in mine), "discovery records %s" % mine)
    # id-ctrl, id-ns, list-ns, get-log.
    r = env.ctl("id-ctrl", uri, "--hostnqn", host)
    check(r.out.startswith("NVME Identify Controller:") and "subnqn    : %s\n" % nqn in r.out,
          "id-ctrl:\n%s" % r.out[:400])
    j = env.ctl("id-ctrl", uri, "--hostnqn", host, "-o", "json").json()
    check(j["subnqn"] == nqn and j["mn"] == "Linux" and j["cntrltype"] in (0, 1)
          and j["ioccsz"] >= 4 and isinstance(j["cntlid"], int), "id-ctrl json %s"
          % {k: j[k] for k in ("mn", "subnqn", "cntrltype", "ioccsz", "cntlid")})
    nsid = e.get("NVMF_TEST_NSID", "1")
    j = env.ctl("id-ns", uri + "/" + nsid, "--hostnqn", host, "-o", "json").json()
    ds = j["lbafs"][j["flbas"] & 15]["ds"]
    check(1 << ds == lba and j["nsze"] * lba == size, "id-ns: nsze %d ds %d, expected %d of %d"
          % (j["nsze"], ds, size // lba, lba))
    r = env.ctl("id-ns", "--traddr", addr, "--trsvcid", port, "--nqn", nqn, "--hostnqn", host,
                "-n", nsid)
    check(int(r.out.split("nsze    : ", 1)[1].split()[0], 16) * lba == size, "id-ns text")
    ids = [x["nsid"] for x in env.ctl("list-ns", uri, "--hostnqn", host, "-o", "json")
           .json()["nsid_list"]]
    check(int(nsid) in ids, "list-ns %s lacks %s" % (ids, nsid))
    j = env.ctl("get-log", uri, "smart", "--hostnqn", host, "-o", "json").json()
    check("critical_warning" in j and "data_units_written" in j, "smart log %s" % j)
    if not fuse_usable():
        log("no FUSE here: the connect part is left out")
        return
    # connect: the namespace file holds the disk; writes reach the backing image.
    image = e["NVMF_TEST_IMAGE"]
    r = env.ctl("connect", uri + "/" + nsid, "-q", host, "-i", 1, "--name", "interop")
    f = os.path.join(env.rundir, "interop", "n" + nsid)
    check(("namespace %s: %s (%d bytes" % (nsid, f, size)) in r.out, "connect:\n%s" % r.out)
    check(os.stat(f).st_size == size, "file size %d, expected %d" % (os.stat(f).st_size, size))
    off = size - 3 * MiB
    data = os.urandom(MiB)
    with open(f, "r+b") as fh:
        fh.seek(off)
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
        fh.seek(off)
        check(fh.read(MiB) == data, "read back through the file")
    pid = env.ctl("list", "-o", "json").json()["connections"][0]["pid"]
    env.ctl("disconnect", "interop")
    check(wait_gone(pid, 1) and env.records() == [], "disconnect left %s" % env.records())
    with open(image, "rb") as fh:
        fh.seek(off)
        check(fh.read(MiB) == data, "the write did not reach the target's image %s" % image)


# A well-formed DH-HMAC-CHAP secret nobody configured (key bytes 0..31).
WRONG_DHCHAP = "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"


def _leaks(text, secret):
    """Whether text holds the secret, its Base64 part or the first 12 characters of that."""
    body = secret[10:].rstrip(":")
    return secret in text or body in text or body[:12] in text


def t_interop_auth(env):
    e = load_env()
    check(e.get("NVMF_TEST_AUTH") == "1", "%s is not the auth fixture" % os.environ["NVMF_TEST_ENV"])
    addr, port, nqn = e["NVMF_TEST_TRADDR"], e["NVMF_TEST_TRSVCID"], e["NVMF_TEST_SUBNQN"]
    host, key, ckey = e["NVMF_TEST_HOSTNQN"], e["NVMF_TEST_DHCHAP_KEY"], e["NVMF_TEST_DHCHAP_CTRL_KEY"]
    secrets = (key, ckey, WRONG_DHCHAP)
    uri = "nvme+tcp://%s:%s/%s" % (addr, port, nqn)
    bugs = []  # broken promises of the product: reported at the end, the test goes on

    def run(*args, hs=None, cs=None, debug=False, rc=0):
        """nvmfctl with the secrets in NVMF_DHCHAP_SECRET / NVMF_DHCHAP_CTRL_SECRET."""
        x = dict(env.env)
        for var, val in (("NVMF_DHCHAP_SECRET", hs), ("NVMF_DHCHAP_CTRL_SECRET", cs)):
            x.pop(var, None)
            if val:
                x[var] = val
        if debug:
            x["LIBNVMF_DEBUG"] = "1"
        r = env.ctl(*args, rc=rc, env=x)
        for k in secrets:
            check(not _leaks(r.out + r.err, k), "nvmfctl %s: its output holds a DH-HMAC-CHAP secret"
                  % args[0])
        return r

    def refused(what, want, hs=None, cs=None):
        r = run("id-ctrl", uri, "--hostnqn", host, hs=hs, cs=cs, rc=1)
        lines = r.err_lines()
        log("%s: %s" % (what, lines[0] if lines else "(nothing)"))
        check(r.out == "" and len(lines) == 1 and lines[0].startswith("nvmfctl: id-ctrl: "),
              "%s: want one error line, got:\nstdout:\n%s\nstderr:\n%s" % (what, r.out, r.err))
        for w in want:
            check(w in lines[0], "%s: the error line does not say %r" % (what, w))
        return lines[0]

    def id_ctrl_ok(what, *extra, hs=None, cs=None, bidi=False):
        r = run("id-ctrl", uri, "--hostnqn", host, "-o", "json", *extra, hs=hs, cs=cs, debug=True)
        j = r.json()
        check(j["subnqn"] == nqn and j["mn"] == "Linux", "%s: id-ctrl %s" % (what, j.get("subnqn")))
        check("queue 0: authenticated" in r.err, "%s: the debug log does not say the admin queue "
              "authenticated:\n%s" % (what, r.err[-2000:]))
        want = "DH-HMAC-CHAP: sha256, ffdhe2048" + (", bidirectional" if bidi else "\n")
        check(want in r.err, "%s: the debug log lacks %r" % (what, want.strip()))
        log("%s: authenticated (%s)" % (what, want.strip()))
        return r

    # The right secrets, three ways.
    id_ctrl_ok("NVMF_DHCHAP_SECRET", hs=key)
    r = id_ctrl_ok("--dhchap-secret/--dhchap-ctrl-secret", "--dhchap-secret", key,
                   "--dhchap-ctrl-secret", ckey, bidi=True)
    warn = [ln for ln in r.err_lines() if ln.startswith("warning:")]
    check(len(warn) == 2 and all("visible to other users" in ln for ln in warn),
          "secrets on argv: want a warning for each, got %s" % warn)
    hf, cf = env.path("dhchap.key"), env.path("dhchap-ctrl.key")
    for path, k in ((hf, key), (cf, ckey)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(k + "\n")
    r = id_ctrl_ok("--dhchap-secret-file/--dhchap-ctrl-secret-file", "--dhchap-secret-file", hf,
                   "--dhchap-ctrl-secret-file", cf, bidi=True)
    check(not any(ln.startswith("warning:") for ln in r.err_lines()),
          "secret files: unexpected warning %s" % r.err_lines())

    # Refusals: one line each, no secret.
    refused("wrong host secret", ["authentication failed", "DH-HMAC-CHAP"], hs=WRONG_DHCHAP)
    refused("wrong controller secret", ["authentication failed", "controller secret"],
            hs=key, cs=WRONG_DHCHAP)
    line = refused("no secret", ["authentication required", "DH-HMAC-CHAP"])
    # The hint must name options id-ctrl takes (its connection options have no letters).
    if "-S/" in line and env.ctl("id-ctrl", uri, "-S", key, rc=None).rc == 2:
        bugs.append("id-ctrl's refusal hints at -S/--dhchap-secret, but id-ctrl rejects -S "
                    "(\"unknown option '-S'\"): %s" % line)
    for cmd in ("connect", "id-ctrl"):
        if "--dhchap-secret" not in env.ctl(cmd, "--help").out:
            bugs.append("nvmfctl %s --help does not list the DH-HMAC-CHAP options "
                        "(--dhchap-secret, --dhchap-ctrl-secret, their -file forms), which it "
                        "takes" % cmd)

    if not fuse_usable():
        log("no FUSE here: the connect part is left out")
    else:
        # connect in nvme-cli's spelling, secrets on argv (-S, -C): nvmfctl hands them to
        # nvmf-fuse, which must not get them on its (public) command line.
        image, nsid = e["NVMF_TEST_IMAGE"], e.get("NVMF_TEST_NSID", "1")
        r = run("connect", "-t", "tcp", "-a", addr, "-s", port, "-n", nqn, "-q", host,
                "-S", key, "-C", ckey, "-i", 1, "--name", "auth")
        f = os.path.join(env.rundir, "auth", "n" + nsid)
        check(("namespace %s: %s" % (nsid, f)) in r.out, "connect:\n%s" % r.out)
        rec = env.ctl("list", "-o", "json").json()["connections"][0]
        check(rec["state"] == "live", "state record: %s" % rec)
        with open("/proc/%d/cmdline" % rec["pid"], "rb") as fh:
            argv = fh.read().replace(b"\0", b" ").decode(errors="replace")
        with open(os.path.join(env.rundir, "auth.json")) as fh:
            record = fh.read()
        for k in secrets:
            check(not _leaks(argv, k), "nvmf-fuse's command line holds a secret")
            check(not _leaks(record, k), "the state record holds a secret")
        off = 32 * MiB
        data = os.urandom(MiB)
        with open(f, "r+b") as fh:
            fh.seek(off)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with open(f, "rb") as fh:
            fh.seek(off)
            check(fh.read(MiB) == data, "read back through the file")
        env.ctl("disconnect", "auth")
        check(wait_gone(rec["pid"], 1) and env.records() == [], "disconnect left %s" % env.records())
        with open(image, "rb") as fh:
            fh.seek(off)
            check(fh.read(MiB) == data, "the write did not reach the target's image %s" % image)
        log("connect -S -C: 1 MiB written through %s is in the target's image" % f)
    if bugs:
        raise Fail("%d product bug(s):\n  %s" % (len(bugs), "\n  ".join(bugs)))


TESTS = {"interop": t_interop, "interop_auth": t_interop_auth}
