"""nvmfctl against the Linux kernel target (tests/interop fixtures, NVMF_TEST_ENV).

interop:      discover (normal, JSON), id-ctrl, id-ns, list-ns, get-log smart, and a
              connection whose writes are checked in the target's backing image.
interop_auth: a target that requires DH-HMAC-CHAP: one line saying so, exit 1.

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


def t_interop_auth(env):
    e = load_env()
    uri = "nvme+tcp://%s:%s/%s" % (e["NVMF_TEST_TRADDR"], e["NVMF_TEST_TRSVCID"],
                                   e["NVMF_TEST_SUBNQN"])
    env.fails("id-ctrl", uri, "--hostnqn", e["NVMF_TEST_HOSTNQN"], cmd="id-ctrl",
              want=["authentication required", "DH-HMAC-CHAP"])


TESTS = {"interop": t_interop, "interop_auth": t_interop_auth}
