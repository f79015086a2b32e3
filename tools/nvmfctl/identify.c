/*
 * nvmfctl id-ctrl, id-ns and list-ns: Identify (NVMe Base 2.0, 5.17) of a
 * remote controller without mounting anything. Field names and value
 * formats are nvme-cli's ("vid       : 0x1b36"), the JSON keys too.
 */
#include "nvmfctl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char id_ctrl_help[] =
	"Usage: nvmfctl id-ctrl nvme+tcp://HOST[:PORT][/SUBNQN] [OPTIONS]\n"
	"       nvmfctl id-ctrl --traddr ADDR [--trsvcid PORT] [--nqn SUBNQN] [OPTIONS]\n"
	"Print the Identify Controller data of a remote controller (a discovery\n"
	"controller when no subsystem NQN is given).\n\n"
	"      --traddr ADDR          controller address\n"
	"      --trsvcid PORT         port (default 4420, 8009 without --nqn)\n"
	"      --nqn SUBNQN           subsystem NQN\n"
	"      --transport tcp        transport (only tcp)\n"
	"      --hostnqn NQN          host NQN\n"
	"      --hostid UUID          host ID\n"
	"      --connect-timeout S    give up connecting after S seconds (default 10)\n"
	"      --tls                  TLS 1.3 with a pre-shared key (see nvmfctl(8), TLS)\n"
	"      --tls-key KEY          configured PSK, NVMeTLSkey-1:...; implies --tls\n"
	"                             (visible to other users: prefer NVMF_TLS_KEY)\n"
	"      --tls-key-file FILE    key file (default /etc/nvme/tls-keys)\n"
	"      --tls-identity 0|1     PSK identity version (default 0)\n"
	"      --tls-compat           derive the TLS PSK as nvme-cli 2.15 and older do\n"
	"      --dhchap-secret KEY    DH-HMAC-CHAP host secret (DHHC-1:...; argv is public)\n"
	"      --dhchap-ctrl-secret KEY  controller secret: bidirectional authentication\n"
	"      --dhchap-secret-file FILE, --dhchap-ctrl-secret-file FILE  the same from files\n"
	"                             (or NVMF_DHCHAP_SECRET, NVMF_DHCHAP_CTRL_SECRET)\n"
	"  -o, --output-format FMT    normal, json or binary\n"
	"  -b, --raw-binary           the 4096 raw bytes on standard output\n"
	"  -h, --help                 this text\n";

static const char id_ns_help[] =
	"Usage: nvmfctl id-ns nvme+tcp://HOST[:PORT]/SUBNQN[/NSID] [-n NSID] [OPTIONS]\n"
	"       nvmfctl id-ns --traddr ADDR [--trsvcid PORT] --nqn SUBNQN -n NSID [OPTIONS]\n"
	"Print the Identify Namespace data of a remote namespace.\n\n"
	"  -n, --namespace-id NSID    namespace (default: the URI's /NSID)\n"
	"      --traddr ADDR          controller address\n"
	"      --trsvcid PORT         port (default 4420)\n"
	"      --nqn SUBNQN           subsystem NQN\n"
	"      --transport tcp        transport (only tcp)\n"
	"      --hostnqn NQN          host NQN\n"
	"      --hostid UUID          host ID\n"
	"      --connect-timeout S    give up connecting after S seconds (default 10)\n"
	"      --tls                  TLS 1.3 with a pre-shared key (see nvmfctl(8), TLS)\n"
	"      --tls-key KEY          configured PSK, NVMeTLSkey-1:...; implies --tls\n"
	"                             (visible to other users: prefer NVMF_TLS_KEY)\n"
	"      --tls-key-file FILE    key file (default /etc/nvme/tls-keys)\n"
	"      --tls-identity 0|1     PSK identity version (default 0)\n"
	"      --tls-compat           derive the TLS PSK as nvme-cli 2.15 and older do\n"
	"      --dhchap-secret KEY    DH-HMAC-CHAP host secret (DHHC-1:...; argv is public)\n"
	"      --dhchap-ctrl-secret KEY  controller secret: bidirectional authentication\n"
	"      --dhchap-secret-file FILE, --dhchap-ctrl-secret-file FILE  the same from files\n"
	"                             (or NVMF_DHCHAP_SECRET, NVMF_DHCHAP_CTRL_SECRET)\n"
	"  -o, --output-format FMT    normal, json or binary\n"
	"  -b, --raw-binary           the 4096 raw bytes on standard output\n"
	"  -h, --help                 this text\n";

static const char list_ns_help[] =
	"Usage: nvmfctl list-ns nvme+tcp://HOST[:PORT]/SUBNQN [-n NSID] [OPTIONS]\n"
	"       nvmfctl list-ns --traddr ADDR [--trsvcid PORT] --nqn SUBNQN [OPTIONS]\n"
	"Print the active namespace IDs of a remote controller (Identify CNS 02h).\n\n"
	"  -n, --namespace-id NSID    list IDs greater than NSID (default 0, at most\n"
	"                             4294967293 = FFFFFFFDh)\n"
	"      --traddr ADDR          controller address\n"
	"      --trsvcid PORT         port (default 4420)\n"
	"      --nqn SUBNQN           subsystem NQN\n"
	"      --transport tcp        transport (only tcp)\n"
	"      --hostnqn NQN          host NQN\n"
	"      --hostid UUID          host ID\n"
	"      --connect-timeout S    give up connecting after S seconds (default 10)\n"
	"      --tls                  TLS 1.3 with a pre-shared key (see nvmfctl(8), TLS)\n"
	"      --tls-key KEY          configured PSK, NVMeTLSkey-1:...; implies --tls\n"
	"                             (visible to other users: prefer NVMF_TLS_KEY)\n"
	"      --tls-key-file FILE    key file (default /etc/nvme/tls-keys)\n"
	"      --tls-identity 0|1     PSK identity version (default 0)\n"
	"      --tls-compat           derive the TLS PSK as nvme-cli 2.15 and older do\n"
	"      --dhchap-secret KEY    DH-HMAC-CHAP host secret (DHHC-1:...; argv is public)\n"
	"      --dhchap-ctrl-secret KEY  controller secret: bidirectional authentication\n"
	"      --dhchap-secret-file FILE, --dhchap-ctrl-secret-file FILE  the same from files\n"
	"                             (or NVMF_DHCHAP_SECRET, NVMF_DHCHAP_CTRL_SECRET)\n"
	"  -o, --output-format FMT    normal, json or binary\n"
	"  -b, --raw-binary           the 4096 raw bytes (the Identify data) on standard\n"
	"                             output\n"
	"  -h, --help                 this text\n";

/* ---- Field tables ----------------------------------------------------------- */

enum kind { HEX, DEC, STR, U128, IEEE, UUID, HEXSTR };

struct field {
	const char *name;
	size_t off, size;
	enum kind kind;
};

#define C(n, k) { #n, offsetof(struct nvmf_id_ctrl, n), sizeof(((struct nvmf_id_ctrl *)0)->n), k }
#define N(n, k) { #n, offsetof(struct nvmf_id_ns, n), sizeof(((struct nvmf_id_ns *)0)->n), k }

/* nvme-cli's order and formats. */
static const struct field ctrl_fields[] = {
	C(vid, HEX), C(ssvid, HEX), C(sn, STR), C(mn, STR), C(fr, STR), C(rab, DEC),
	C(ieee, IEEE), C(cmic, HEX), C(mdts, DEC), C(cntlid, HEX), C(ver, HEX), C(rtd3r, HEX),
	C(rtd3e, HEX), C(oaes, HEX), C(ctratt, HEX), C(rrls, HEX), C(cntrltype, DEC),
	C(fguid, UUID), C(crdt1, DEC), C(crdt2, DEC), C(crdt3, DEC), C(nvmsr, DEC),
	C(vwci, DEC), C(mec, DEC), C(oacs, HEX), C(acl, DEC), C(aerl, DEC), C(frmw, HEX),
	C(lpa, HEX), C(elpe, DEC), C(npss, DEC), C(avscc, HEX), C(apsta, HEX), C(wctemp, DEC),
	C(cctemp, DEC), C(mtfa, DEC), C(hmpre, DEC), C(hmmin, DEC), C(tnvmcap, U128),
	C(unvmcap, U128), C(rpmbs, HEX), C(edstt, DEC), C(dsto, DEC), C(fwug, DEC),
	C(kas, DEC), C(hctma, HEX), C(mntmt, DEC), C(mxtmt, DEC), C(sanicap, HEX),
	C(hmminds, DEC), C(hmmaxd, DEC), C(nsetidmax, DEC), C(endgidmax, DEC), C(anatt, DEC),
	C(anacap, DEC), C(anagrpmax, DEC), C(nanagrpid, DEC), C(pels, DEC), C(domainid, DEC),
	C(megcap, U128), C(sqes, HEX), C(cqes, HEX), C(maxcmd, DEC), C(nn, DEC), C(oncs, HEX),
	C(fuses, HEX), C(fna, HEX), C(vwc, HEX), C(awun, DEC), C(awupf, DEC), C(icsvscc, DEC),
	C(nwpc, DEC), C(acwu, DEC), C(ocfs, HEX), C(sgls, HEX), C(mnan, DEC), C(maxdna, U128),
	C(maxcna, DEC), C(subnqn, STR), C(ioccsz, DEC), C(iorcsz, DEC), C(icdoff, DEC),
	C(fcatt, HEX), C(msdbd, DEC), C(ofcs, DEC),
};

static const struct field ns_fields[] = {
	N(nsze, HEX), N(ncap, HEX), N(nuse, HEX), N(nsfeat, HEX), N(nlbaf, DEC), N(flbas, HEX),
	N(mc, HEX), N(dpc, HEX), N(dps, HEX), N(nmic, HEX), N(rescap, HEX), N(fpi, HEX),
	N(dlfeat, DEC), N(nawun, DEC), N(nawupf, DEC), N(nacwu, DEC), N(nabsn, DEC),
	N(nabo, DEC), N(nabspf, DEC), N(noiob, DEC), N(nvmcap, U128), N(npwg, DEC),
	N(npwa, DEC), N(npdg, DEC), N(npda, DEC), N(nows, DEC), N(mssrl, DEC), N(mcl, DEC),
	N(msrc, DEC), N(nulbaf, DEC), N(anagrpid, DEC), N(nsattr, DEC), N(nvmsetid, DEC),
	N(endgid, DEC), N(nguid, HEXSTR), N(eui64, HEXSTR),
};

static uint64_t get_uint(const uint8_t *p, size_t size)
{
	switch (size) {
	case 1: return p[0];
	case 2: return nvmf_get_le16(p);
	case 4: return nvmf_get_le32(p);
	case 8: return nvmf_get_le64(p);
	default: return 0;
	}
}

/* Text of a field's value, as nvme-cli prints it. */
static const char *field_text(const uint8_t *base, const struct field *f, char *buf,
			      size_t len)
{
	const uint8_t *p = base + f->off;
	uint64_t v;

	switch (f->kind) {
	case HEX:
		v = get_uint(p, f->size);
		if (v)
			snprintf(buf, len, "%#" PRIx64, v);
		else
			snprintf(buf, len, "0");
		break;
	case DEC:
		snprintf(buf, len, "%" PRIu64, get_uint(p, f->size));
		break;
	case STR: {
		/* SN, MN, FR, SUBNQN: the target's bytes, printed escaped. */
		char raw[NVMF_NQN_BUFSZ];

		nc_trim(raw, sizeof(raw), (const char *)p, f->size);
		tc_escape(buf, len, raw);
		break;
	}
	case U128:
		nc_u128_str(p, false, buf, len);
		break;
	case IEEE:
		snprintf(buf, len, "%02x%02x%02x", p[2], p[1], p[0]);
		break;
	case UUID:
		nvmf_hostid_format(p, buf);
		break;
	case HEXSTR: {
		size_t o = 0;

		for (size_t i = 0; i < f->size && o + 3 <= len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%02x", p[i]);
		break;
	}
	}
	return buf;
}

/* Room for any field's text: SUBNQN (256 bytes) escaped. */
#define FIELD_TEXT_MAX TC_ESC_SIZE(NVMF_NQN_FIELD_LEN)

static json_object *field_json(const uint8_t *base, const struct field *f)
{
	const uint8_t *p = base + f->off;
	char buf[FIELD_TEXT_MAX];

	switch (f->kind) {
	case HEX:
	case DEC:
		return nc_json_u64(get_uint(p, f->size));
	case U128:
		return nc_json_u128(p);
	case IEEE:
		return json_object_new_int((int)(p[0] | p[1] << 8 | p[2] << 16));
	default:
		return json_object_new_string(field_text(base, f, buf, sizeof(buf)));
	}
}

static void print_fields(const uint8_t *base, const struct field *t, size_t n, int width)
{
	char buf[FIELD_TEXT_MAX];

	for (size_t i = 0; i < n; i++)
		printf("%-*s: %s\n", width, t[i].name, field_text(base, &t[i], buf, sizeof(buf)));
}

static json_object *json_fields(const uint8_t *base, const struct field *t, size_t n)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < n; i++)
		json_object_object_add(o, t[i].name, field_json(base, &t[i]));
	return o;
}

/* ---- Power states ------------------------------------------------------------ */

/* MP in centiwatts, or 0.0001 W units when MXPS (flags bit 0) is set. */
static void power_str(const struct nvmf_id_psd *ps, char *buf, size_t len)
{
	unsigned mp = nvmf_le16toh(ps->mp);

	if (ps->flags & 0x1)
		snprintf(buf, len, "%u.%04uW", mp / 10000, mp % 10000);
	else
		snprintf(buf, len, "%u.%02uW", mp / 100, mp % 100);
}

static void print_psd(const struct nvmf_id_ctrl *id)
{
	char mp[32];

	for (unsigned i = 0; i <= id->npss && i < 32; i++) {
		const struct nvmf_id_psd *ps = &id->psd[i];

		power_str(ps, mp, sizeof(mp));
		printf("ps %4u : mp:%s %soperational enlat:%u exlat:%u rrt:%u rrl:%u\n", i, mp,
		       (ps->flags & 0x2) ? "non-" : "", nvmf_le32toh(ps->enlat),
		       nvmf_le32toh(ps->exlat), ps->rrt, ps->rrl);
		printf("          rwt:%u rwl:%u idle_power:%u active_power:%u\n", ps->rwt, ps->rwl,
		       nvmf_le16toh(ps->idlp), nvmf_le16toh(ps->actp));
	}
}

static json_object *json_psd(const struct nvmf_id_ctrl *id)
{
	json_object *arr = json_object_new_array();

	for (unsigned i = 0; i <= id->npss && i < 32; i++) {
		const struct nvmf_id_psd *ps = &id->psd[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "max_power", json_object_new_int(nvmf_le16toh(ps->mp)));
		json_object_object_add(o, "max_power_scale", json_object_new_int(ps->flags & 1));
		json_object_object_add(o, "non-operational_state",
				       json_object_new_int((ps->flags >> 1) & 1));
		json_object_object_add(o, "entry_lat", nc_json_u64(nvmf_le32toh(ps->enlat)));
		json_object_object_add(o, "exit_lat", nc_json_u64(nvmf_le32toh(ps->exlat)));
		json_object_object_add(o, "read_tput", json_object_new_int(ps->rrt));
		json_object_object_add(o, "read_lat", json_object_new_int(ps->rrl));
		json_object_object_add(o, "write_tput", json_object_new_int(ps->rwt));
		json_object_object_add(o, "write_lat", json_object_new_int(ps->rwl));
		json_object_object_add(o, "idle_power", json_object_new_int(nvmf_le16toh(ps->idlp)));
		json_object_object_add(o, "idle_scale", json_object_new_int(ps->ips >> 6));
		json_object_object_add(o, "active_power",
				       json_object_new_int(nvmf_le16toh(ps->actp)));
		json_object_object_add(o, "active_power_work", json_object_new_int(ps->apws & 7));
		json_object_object_add(o, "active_scale", json_object_new_int(ps->apws >> 6));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* ---- Commands ------------------------------------------------------------------ */

/* Connect, run one Identify, disconnect. 0 or an exit status. */
static int identify(struct nc_inspect *x, uint8_t cns, uint32_t nsid, void *buf)
{
	struct nvmf_ctrl *c;
	char what[128];
	int r = nc_connect_admin(&x->t, &c);

	if (r)
		return r;
	r = nvmf_identify(c, cns, nsid, 0, 0, buf);
	if (r < 0) {
		if (cns == 0)
			snprintf(what, sizeof(what), "Identify Namespace %u failed", nsid);
		else
			snprintf(what, sizeof(what), "Identify (CNS %02xh) failed", cns);
		r = nc_lib_fail(what, r);
	}
	nvmf_disconnect(c);
	return r < 0 ? NC_EXIT_FAIL : r;
}

int cmd_id_ctrl(int argc, char **argv)
{
	struct nvmf_id_ctrl *id;
	struct nc_inspect x;
	int r;

	nc_inspect_init(&x, INSP_ID_CTRL);
	r = nc_inspect_parse(argc, argv, &x, id_ctrl_help);
	if (r)
		return r < 0 ? 0 : r;
	id = calloc(1, sizeof(*id));
	if (!id) {
		nc_err("out of memory");
		return NC_EXIT_FAIL;
	}
	r = identify(&x, NVMF_CNS_CTRL, 0, id);
	if (r == 0) {
		if (x.fmt == NC_FMT_BINARY) {
			r = nc_write_binary(id, sizeof(*id)) < 0 ? NC_EXIT_FAIL : 0;
		} else if (x.fmt == NC_FMT_JSON) {
			json_object *o = json_fields((const uint8_t *)id, ctrl_fields,
						     sizeof(ctrl_fields) / sizeof(ctrl_fields[0]));

			json_object_object_add(o, "psds", json_psd(id));
			nc_json_print(o);
		} else {
			printf("NVME Identify Controller:\n");
			print_fields((const uint8_t *)id, ctrl_fields,
				     sizeof(ctrl_fields) / sizeof(ctrl_fields[0]), 10);
			print_psd(id);
		}
	}
	free(id);
	return r;
}

static void print_lbafs(const struct nvmf_id_ns *ns)
{
	unsigned in_use = nvmf_id_ns_flbas_index(ns->flbas);

	for (unsigned i = 0; i <= ns->nlbaf && i < 64; i++) {
		const struct nvmf_lbaf *f = &ns->lbaf[i];

		printf("lbaf %2u : ms:%-3u lbads:%-2u rp:%#x %s\n", i, nvmf_le16toh(f->ms),
		       f->lbads, f->rp & 3, i == in_use ? "(in use)" : "");
	}
}

static json_object *json_lbafs(const struct nvmf_id_ns *ns)
{
	json_object *arr = json_object_new_array();

	for (unsigned i = 0; i <= ns->nlbaf && i < 64; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "ms", json_object_new_int(nvmf_le16toh(ns->lbaf[i].ms)));
		json_object_object_add(o, "ds", json_object_new_int(ns->lbaf[i].lbads));
		json_object_object_add(o, "rp", json_object_new_int(ns->lbaf[i].rp & 3));
		json_object_array_add(arr, o);
	}
	return arr;
}

int cmd_id_ns(int argc, char **argv)
{
	struct nvmf_id_ns *ns;
	struct nc_inspect x;
	int r;

	nc_inspect_init(&x, INSP_ID_NS);
	r = nc_inspect_parse(argc, argv, &x, id_ns_help);
	if (r)
		return r < 0 ? 0 : r;
	if (!x.have_nsid)
		return nc_usage_err("no namespace: give -n/--namespace-id NSID or a URI "
				     "ending in /NSID");
	if (!x.t.o.subnqn[0])
		return nc_usage_err("no subsystem NQN: discovery controllers have no namespaces");
	ns = calloc(1, sizeof(*ns));
	if (!ns) {
		nc_err("out of memory");
		return NC_EXIT_FAIL;
	}
	r = identify(&x, NVMF_CNS_NS, x.nsid, ns);
	if (r == 0) {
		if (x.fmt == NC_FMT_BINARY) {
			r = nc_write_binary(ns, sizeof(*ns)) < 0 ? NC_EXIT_FAIL : 0;
		} else if (x.fmt == NC_FMT_JSON) {
			json_object *o = json_fields((const uint8_t *)ns, ns_fields,
						     sizeof(ns_fields) / sizeof(ns_fields[0]));

			json_object_object_add(o, "lbafs", json_lbafs(ns));
			nc_json_print(o);
		} else {
			printf("NVME Identify Namespace %u:\n", x.nsid);
			print_fields((const uint8_t *)ns, ns_fields,
				     sizeof(ns_fields) / sizeof(ns_fields[0]), 8);
			print_lbafs(ns);
		}
		/* An inactive NSID answers all zeroes (Base 2.0, 5.17.2.1). */
		if (r == 0 && ns->nsze == 0 && x.fmt == NC_FMT_NORMAL)
			fprintf(stderr, "nvmfctl: id-ns: namespace %u is not active (all zeroes)\n",
				x.nsid);
	}
	free(ns);
	return r;
}

int cmd_list_ns(int argc, char **argv)
{
	uint32_t *list;
	struct nc_inspect x;
	int r;

	nc_inspect_init(&x, INSP_LIST_NS);
	r = nc_inspect_parse(argc, argv, &x, list_ns_help);
	if (r)
		return r < 0 ? 0 : r;
	if (!x.t.o.subnqn[0])
		return nc_usage_err("no subsystem NQN: discovery controllers have no namespaces");
	/* -n is bounded when parsed; the URI's /NSID may be FFFFFFFEh. */
	if (x.have_nsid && x.nsid > NC_LIST_NS_MAX)
		return nc_usage_err("namespace ID %u: list-ns lists IDs greater than one from 0 "
				    "to %u (FFFFFFFDh, the bound of Identify CNS 02h)",
				    x.nsid, NC_LIST_NS_MAX);
	list = calloc(1, NVMF_IDENTIFY_DATA_LEN);
	if (!list) {
		nc_err("out of memory");
		return NC_EXIT_FAIL;
	}
	/* CNS 02h lists active NSIDs greater than the given one. */
	r = identify(&x, NVMF_CNS_ACTIVE_NS_LIST, x.have_nsid ? x.nsid : 0, list);
	if (r == 0) {
		if (x.fmt == NC_FMT_BINARY) {
			r = nc_write_binary(list, NVMF_IDENTIFY_DATA_LEN) < 0 ? NC_EXIT_FAIL : 0;
		} else if (x.fmt == NC_FMT_JSON) {
			json_object *o = json_object_new_object(), *arr = json_object_new_array();

			for (int i = 0; i < NVMF_NS_LIST_MAX && list[i]; i++) {
				json_object *e = json_object_new_object();

				json_object_object_add(e, "nsid",
						       nc_json_u64(nvmf_le32toh(list[i])));
				json_object_array_add(arr, e);
			}
			json_object_object_add(o, "nsid_list", arr);
			nc_json_print(o);
		} else {
			for (int i = 0; i < NVMF_NS_LIST_MAX && list[i]; i++)
				printf("[%4d]:%#x\n", i, nvmf_le32toh(list[i]));
		}
	}
	free(list);
	return r;
}
