/*
 * nvmfctl get-log: Get Log Page (NVMe Base 2.0, 5.16) from a remote
 * controller. SMART / Health Information (02h), Error Information (01h)
 * and the discovery log (70h) are decoded with nvme-cli's field names
 * (smart-log, error-log, discover); any other log page is dumped in hex or
 * written raw.
 */
#include "nvmfctl.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define SMART_LEN      512u
#define FW_SLOT_LEN    512u	/* Firmware Slot Information: fixed size, */
#define CHANGED_NS_LEN 4096u	/* Changed Namespace List: as nvme-cli reads them */
#define DISC_HDR_LEN   1024u	/* discovery log: header, then 1024-byte entries */
#define ERR_ENTRY_LEN  64u
#define ERR_MAX        256u	/* ELPE is 0's based and 8 bits */

static const char get_log_help[] =
	"Usage: nvmfctl get-log nvme+tcp://HOST[:PORT][/SUBNQN] -i LOG [OPTIONS]\n"
	"       nvmfctl get-log --traddr ADDR [--trsvcid PORT] [--nqn SUBNQN] -i LOG [OPTIONS]\n"
	"Read a log page of a remote controller. LOG is smart (02h), error (01h),\n"
	"discovery (70h), fw-slot, changed-ns or any log identifier; the first three\n"
	"are decoded, others dumped in hex. LOG may also be given as a word after\n"
	"the URI: nvmfctl get-log URI smart.\n\n"
	"  -i, --log-id LOG           log page identifier or name\n"
	"  -l, --log-len BYTES        bytes to read (multiple of 4; default the log's\n"
	"                             size: 512 for smart and fw-slot, 4096 for\n"
	"                             changed-ns, ELPE+1 entries for error, the whole\n"
	"                             discovery log from -L on)\n"
	"  -n, --namespace-id NSID    namespace (default FFFFFFFFh: controller-wide)\n"
	"  -L, --lpo OFFSET           log page offset in bytes (multiple of 4)\n"
	"  -s, --lsp N                log specific field\n"
	"  -r, --rae                  retain asynchronous event\n"
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
	"  -b, --raw-binary           the raw log page on standard output\n"
	"  -h, --help                 this text\n";

/* ---- SMART / Health Information ------------------------------------------------- */

static void line(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void line(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("%-40s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* "1,234 (631.81 MB)": a data unit is 1000 512-byte blocks. */
static void data_units(const char *name, const uint8_t le[16])
{
	char num[64];
	long double bytes = 0;

	for (int i = 15; i >= 0; i--)
		bytes = bytes * 256 + le[i];
	bytes *= 512000.0L;
	nc_u128_str(le, true, num, sizeof(num));
	if (bytes >= 1e12L)
		line(name, "%s (%.2Lf TB)", num, bytes / 1e12L);
	else if (bytes >= 1e9L)
		line(name, "%s (%.2Lf GB)", num, bytes / 1e9L);
	else if (bytes >= 1e6L)
		line(name, "%s (%.2Lf MB)", num, bytes / 1e6L);
	else
		line(name, "%s (%.2Lf kB)", num, bytes / 1e3L);
}

static void counter(const char *name, const uint8_t le[16])
{
	char num[64];

	line(name, "%s", nc_u128_str(le, true, num, sizeof(num)));
}

static void print_smart(const struct nvmf_smart_log *s, const char *dev, uint32_t nsid)
{
	unsigned k = nvmf_get_le16(s->temperature);

	printf("Smart Log for NVME device:%s namespace-id:%x\n", dev, nsid);
	line("critical_warning", "%#x", s->critical_warning);
	if (k)
		line("temperature", "%d °C (%u K)", (int)k - 273, k);
	else
		line("temperature", "0 K");
	line("available_spare", "%u%%", s->avail_spare);
	line("available_spare_threshold", "%u%%", s->spare_thresh);
	line("percentage_used", "%u%%", s->percent_used);
	line("endurance group critical warning summary", "%#x", s->endu_grp_crit_warn);
	data_units("Data Units Read", s->data_units_read);
	data_units("Data Units Written", s->data_units_written);
	counter("host_read_commands", s->host_reads);
	counter("host_write_commands", s->host_writes);
	counter("controller_busy_time", s->ctrl_busy_time);
	counter("power_cycles", s->power_cycles);
	counter("power_on_hours", s->power_on_hours);
	counter("unsafe_shutdowns", s->unsafe_shutdowns);
	counter("media_errors", s->media_errors);
	counter("num_err_log_entries", s->num_err_log_entries);
	line("Warning Temperature Time", "%u", nvmf_le32toh(s->warning_temp_time));
	line("Critical Composite Temperature Time", "%u", nvmf_le32toh(s->critical_comp_time));
	for (int i = 0; i < 8; i++) {
		unsigned t = nvmf_le16toh(s->temp_sensor[i]);
		char name[32];

		if (!t)
			continue;
		snprintf(name, sizeof(name), "Temperature Sensor %d", i + 1);
		line(name, "%d °C (%u K)", (int)t - 273, t);
	}
	line("Thermal Management T1 Trans Count", "%u", nvmf_le32toh(s->thm_temp1_trans_count));
	line("Thermal Management T2 Trans Count", "%u", nvmf_le32toh(s->thm_temp2_trans_count));
	line("Thermal Management T1 Total Time", "%u", nvmf_le32toh(s->thm_temp1_total_time));
	line("Thermal Management T2 Total Time", "%u", nvmf_le32toh(s->thm_temp2_total_time));
}

static json_object *json_smart(const struct nvmf_smart_log *s)
{
	json_object *o = json_object_new_object();

#define ADD_INT(k, v) json_object_object_add(o, k, json_object_new_int64((int64_t)(v)))
#define ADD_128(k, v) json_object_object_add(o, k, nc_json_u128(v))
	ADD_INT("critical_warning", s->critical_warning);
	ADD_INT("temperature", nvmf_get_le16(s->temperature));
	ADD_INT("avail_spare", s->avail_spare);
	ADD_INT("spare_thresh", s->spare_thresh);
	ADD_INT("percent_used", s->percent_used);
	ADD_INT("endurance_grp_critical_warning_summary", s->endu_grp_crit_warn);
	ADD_128("data_units_read", s->data_units_read);
	ADD_128("data_units_written", s->data_units_written);
	ADD_128("host_read_commands", s->host_reads);
	ADD_128("host_write_commands", s->host_writes);
	ADD_128("controller_busy_time", s->ctrl_busy_time);
	ADD_128("power_cycles", s->power_cycles);
	ADD_128("power_on_hours", s->power_on_hours);
	ADD_128("unsafe_shutdowns", s->unsafe_shutdowns);
	ADD_128("media_errors", s->media_errors);
	ADD_128("num_err_log_entries", s->num_err_log_entries);
	ADD_INT("warning_temp_time", nvmf_le32toh(s->warning_temp_time));
	ADD_INT("critical_comp_time", nvmf_le32toh(s->critical_comp_time));
	for (int i = 0; i < 8; i++) {
		char name[32];

		if (!s->temp_sensor[i])
			continue;
		snprintf(name, sizeof(name), "temperature_sensor_%d", i + 1);
		ADD_INT(name, nvmf_le16toh(s->temp_sensor[i]));
	}
	ADD_INT("thm_temp1_trans_count", nvmf_le32toh(s->thm_temp1_trans_count));
	ADD_INT("thm_temp2_trans_count", nvmf_le32toh(s->thm_temp2_trans_count));
	ADD_INT("thm_temp1_total_time", nvmf_le32toh(s->thm_temp1_total_time));
	ADD_INT("thm_temp2_total_time", nvmf_le32toh(s->thm_temp2_total_time));
#undef ADD_INT
#undef ADD_128
	return o;
}

/* ---- Error Information ----------------------------------------------------------- */

static const char *err_trtype(uint8_t t)
{
	switch (t) {
	case 0: return "The transport type is not indicated or the error is not transport related.";
	case 1: return "RDMA Transport error.";
	case 2: return "Fibre Channel Transport error.";
	case 3: return "TCP Transport error.";
	case 254: return "Intra-host Transport error.";
	default: return "Reserved";
	}
}

static void print_errors(const struct nvmf_error_log_entry *e, unsigned n, const char *dev)
{
	printf("Error Log Entries for device:%s entries:%u\n", dev, n);
	printf(".................\n");
	for (unsigned i = 0; i < n; i++) {
		uint16_t st = nvmf_le16toh(e[i].status);

		printf(" Entry[%2u]   \n", i);
		printf(".................\n");
		printf("error_count     : %" PRIu64 "\n", nvmf_le64toh(e[i].error_count));
		printf("sqid            : %u\n", nvmf_le16toh(e[i].sqid));
		printf("cmdid           : %#x\n", nvmf_le16toh(e[i].cid));
		printf("status_field    : %#x(%s)\n", st >> 1, nvmf_status_str((uint16_t)(st >> 1)));
		printf("phase_tag       : %#x\n", st & 1);
		printf("parm_err_loc    : %#x\n", nvmf_le16toh(e[i].pel));
		printf("lba             : %#" PRIx64 "\n", nvmf_le64toh(e[i].lba));
		printf("nsid            : %#x\n", nvmf_le32toh(e[i].nsid));
		printf("vs              : %u\n", e[i].vsia);
		printf("trtype          : %s\n", err_trtype(e[i].trtype));
		printf("cs              : %#" PRIx64 "\n", nvmf_le64toh(e[i].csi));
		printf("trtype_spec_info: %#x\n", nvmf_le16toh(e[i].ttsi));
		printf(".................\n");
	}
}

static json_object *json_errors(const struct nvmf_error_log_entry *e, unsigned n)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();

	for (unsigned i = 0; i < n; i++) {
		json_object *x = json_object_new_object();
		uint16_t st = nvmf_le16toh(e[i].status);

		json_object_object_add(x, "error_count", nc_json_u64(nvmf_le64toh(e[i].error_count)));
		json_object_object_add(x, "sqid", json_object_new_int(nvmf_le16toh(e[i].sqid)));
		json_object_object_add(x, "cmdid", json_object_new_int(nvmf_le16toh(e[i].cid)));
		json_object_object_add(x, "status_field", json_object_new_int(st >> 1));
		json_object_object_add(x, "phase_tag", json_object_new_int(st & 1));
		json_object_object_add(x, "parm_err_loc", json_object_new_int(nvmf_le16toh(e[i].pel)));
		json_object_object_add(x, "lba", nc_json_u64(nvmf_le64toh(e[i].lba)));
		json_object_object_add(x, "nsid", nc_json_u64(nvmf_le32toh(e[i].nsid)));
		json_object_object_add(x, "vs", json_object_new_int(e[i].vsia));
		json_object_object_add(x, "trtype", json_object_new_string(err_trtype(e[i].trtype)));
		json_object_object_add(x, "cs", nc_json_u64(nvmf_le64toh(e[i].csi)));
		json_object_object_add(x, "trtype_spec_info",
				       json_object_new_int(nvmf_le16toh(e[i].ttsi)));
		json_object_array_add(arr, x);
	}
	json_object_object_add(o, "errors", arr);
	return o;
}

/* ---- The command ------------------------------------------------------------------ */

static int discovery_log(struct nvmf_ctrl *c, const struct nc_inspect *x)
{
	struct nvmf_disc_list *log = NULL;
	int r = nvmf_discovery_log_get(c, &log);

	if (r < 0)
		return nc_lib_fail("Get Log Page (discovery, 70h) failed", r);
	if (x->fmt == NC_FMT_JSON) {
		nc_json_print(nc_disc_json(log));
	} else if (x->fmt == NC_FMT_BINARY) {
		uint8_t *buf;
		size_t len;

		r = 0;
		if (nc_disc_raw(log, &buf, &len) < 0) {
			nc_err("out of memory");
			r = NC_EXIT_FAIL;
		} else {
			r = nc_write_binary(buf, len) < 0 ? NC_EXIT_FAIL : 0;
			free(buf);
		}
		nvmf_free(log);
		return r;
	} else {
		nc_disc_print(log);
	}
	nvmf_free(log);
	return 0;
}

/* The discovery log from -L on, when -l does not say: its size is in its
 * header (NUMREC), read first. 0, or an exit status after a message. */
static int discovery_log_len(struct nvmf_ctrl *c, const struct nc_inspect *x, uint32_t *len)
{
	uint8_t hdr[16];
	uint64_t numrec, total;
	int r;

	if (x->log_len) {
		*len = x->log_len;
		return 0;
	}
	r = nvmf_get_log_page(c, NVMF_LID_DISCOVERY, 0, 0, x->rae, 0, hdr, sizeof(hdr));
	if (r < 0)
		return nc_lib_fail("Get Log Page (discovery, 70h, its header) failed", r);
	numrec = nvmf_get_le64(hdr + 8);
	total = DISC_HDR_LEN * (numrec + 1);
	if (numrec > 1024) {
		nc_err("the discovery log's header claims %llu records (at most 1024 are read)",
		       (unsigned long long)numrec);
		return NC_EXIT_FAIL;
	}
	if (x->lpo >= total) {
		nc_err("-L/--lpo: %llu is beyond the discovery log (%llu bytes)",
		       (unsigned long long)x->lpo, (unsigned long long)total);
		return NC_EXIT_FAIL;
	}
	*len = (uint32_t)(total - x->lpo);
	return 0;
}

/* Error log length: ELPE+1 entries (Identify Controller) unless -l. */
static uint32_t error_log_len(struct nvmf_ctrl *c, const struct nc_inspect *x)
{
	struct nvmf_id_ctrl *id;
	uint32_t n = 64;

	if (x->log_len)
		return x->log_len;
	id = calloc(1, sizeof(*id));
	if (id && nvmf_identify(c, NVMF_CNS_CTRL, 0, 0, 0, id) == 0)
		n = (uint32_t)id->elpe + 1;
	free(id);
	return n * ERR_ENTRY_LEN;
}

static int read_log(struct nvmf_ctrl *c, const struct nc_inspect *x, const char *dev)
{
	uint32_t nsid = x->have_nsid ? x->nsid : NVMF_NSID_ALL, len = 0;
	char what[96];
	uint8_t *buf;
	int r;

	switch (x->log_id) {
	case NVMF_LID_SMART:
		len = x->log_len ? x->log_len : SMART_LEN;
		break;
	case NVMF_LID_ERROR:
		len = error_log_len(c, x);
		break;
	case NVMF_LID_FW_SLOT:
		len = x->log_len ? x->log_len : FW_SLOT_LEN;
		break;
	case NVMF_LID_CHANGED_NS:
		len = x->log_len ? x->log_len : CHANGED_NS_LEN;
		break;
	case NVMF_LID_DISCOVERY:
		/* Part of it (-l, -L): the bytes as read (cmd_get_log refused
		 * JSON), decoded only whole. */
		r = discovery_log_len(c, x, &len);
		if (r)
			return r;
		break;
	default:
		if (!x->log_len)
			return nc_usage_err("-l/--log-len is needed for log page %02xh",
					     x->log_id);
		if (x->fmt == NC_FMT_JSON)
			return nc_usage_err("log page %02xh has no JSON form: use -o normal "
					     "(hex) or -b (raw)", x->log_id);
		len = x->log_len;
		break;
	}
	buf = calloc(1, len);
	if (!buf) {
		nc_err("out of memory");
		return NC_EXIT_FAIL;
	}
	r = nvmf_get_log_page(c, (uint8_t)x->log_id, nsid, x->lsp, x->rae, x->lpo, buf, len);
	if (r < 0) {
		snprintf(what, sizeof(what), "Get Log Page (log %02xh, %u bytes) failed",
			 x->log_id, len);
		free(buf);
		return nc_lib_fail(what, r);
	}
	r = 0;
	if (x->fmt == NC_FMT_BINARY) {
		r = nc_write_binary(buf, len) < 0 ? NC_EXIT_FAIL : 0;
	} else if (x->log_id == NVMF_LID_SMART && len >= SMART_LEN && !x->lpo) {
		if (x->fmt == NC_FMT_JSON)
			nc_json_print(json_smart((const struct nvmf_smart_log *)buf));
		else
			print_smart((const struct nvmf_smart_log *)buf, dev, nsid);
	} else if (x->log_id == NVMF_LID_ERROR && !x->lpo) {
		unsigned n = len / ERR_ENTRY_LEN;

		if (n > ERR_MAX)
			n = ERR_MAX;
		if (x->fmt == NC_FMT_JSON)
			nc_json_print(json_errors((const struct nvmf_error_log_entry *)buf, n));
		else
			print_errors((const struct nvmf_error_log_entry *)buf, n, dev);
	} else if (x->fmt == NC_FMT_JSON) {
		r = nc_usage_err("this part of log page %02xh has no JSON form: use -o normal "
				  "(hex) or -b (raw)", x->log_id);
	} else {
		printf("Device:%s log-id:%d namespace-id:%#x\n", dev, x->log_id, nsid);
		nc_hexdump(buf, len);
	}
	free(buf);
	return r;
}

int cmd_get_log(int argc, char **argv)
{
	struct nc_inspect x;
	struct nvmf_ctrl *c;
	char dev[NVMF_TRADDR_BUFSZ + NVMF_NQN_BUFSZ + 24], where[NVMF_TRADDR_BUFSZ + 16];
	int r;

	nc_inspect_init(&x, INSP_GET_LOG);
	r = nc_inspect_parse(argc, argv, &x, get_log_help);
	if (r)
		return r < 0 ? 0 : r;
	if (x.log_id < 0)
		return nc_usage_err("no log page: give -i/--log-id (smart, error, discovery or "
				     "a number)");
	if (x.log_id == NVMF_LID_DISCOVERY && x.t.o.subnqn[0])
		return nc_usage_err("the discovery log (70h) is read from a discovery "
				     "controller: drop --nqn (or the URI's NQN)");
	if (x.log_id == NVMF_LID_DISCOVERY && (x.log_len || x.lpo) && x.fmt == NC_FMT_JSON)
		return nc_usage_err("part of the discovery log (-l, -L) has no JSON form: use "
				    "-o normal (hex) or -b (raw)");
	r = nc_connect_admin(&x.t, &c);
	if (r)
		return r;
	snprintf(dev, sizeof(dev), "%s/%s", nc_target_str(&x.t.o, where, sizeof(where)),
		 x.t.o.subnqn[0] ? x.t.o.subnqn : NVMF_DISCOVERY_NQN);
	/* The library's discovery log call reads it whole; -l and -L ask for
	 * a part, read as any other log page. */
	if (x.log_id == NVMF_LID_DISCOVERY && !x.log_len && !x.lpo)
		r = discovery_log(c, &x);
	else
		r = read_log(c, &x, dev);
	nvmf_disconnect(c);
	return r;
}
