/*
 * Host layer internals (prefix host_): shared by the files of src/host/.
 *
 * The host layer drives a controller through the Fabrics sequence
 * (NVMe over Fabrics 1.1, 3.3; NVMe Base 2.0, 3.5.2) over the
 * transport-neutral queue pairs of src/transport/, and implements the
 * public API of <nvmf/nvmf.h>.
 */
#ifndef NVMF_HOST_HOST_H
#define NVMF_HOST_HOST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nvmf/nvmf.h>

/* ---- error.c: thread-local error and the log ------------------------------ */

/* Record a failure for this thread: errno (positive or negative) and a
 * printf-style message. Returns -|err| so callers can `return host_err(...)`. */
int host_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* nvmf_status_format() for a command of this opcode: the codes whose
 * meaning depends on the command (SCT 1h SC 80h-83h) get the one that
 * applies, the Fabrics one for NVMF_ADM_FABRICS. */
char *host_status_format(uint16_t status, uint8_t opcode, char *buf, size_t len);
/* Same, and remember the NVMe status of the failed command. */
int host_err_status(int err, uint16_t status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Clear the thread's error (at the start of public calls). */
void host_err_clear(void);
/* Copy an already formatted message as the thread's error. */
int host_err_set(int err, uint16_t status, const char *msg);

void host_log(enum nvmf_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool host_log_enabled(enum nvmf_log_level lvl);
/* loop.c: around the log callback, a callback of every loop (a synchronous
 * call from it would nest uv_run() wherever the message came from). */
void host_cb_enter_all(void);
void host_cb_exit(void);
#define host_dbg(...)  do { if (host_log_enabled(NVMF_LOG_DEBUG)) host_log(NVMF_LOG_DEBUG, __VA_ARGS__); } while (0)

/* ---- options.c -------------------------------------------------------------- */

/* Derive the host NQN and ID from a machine identity string (testable
 * core of nvmf_default_hostnqn/hostid). */
void host_hostid_from_machine_id(const char *machine_id, uint8_t hostid[16]);
/* Where the defaults are read from; tests point these at temporary files. */
struct host_id_paths {
	const char *hostnqn;	/* /etc/nvme/hostnqn */
	const char *hostid;	/* /etc/nvme/hostid */
	const char *machine_id;	/* /etc/machine-id */
	const char *machine_id2;	/* /var/lib/dbus/machine-id or FreeBSD /etc/hostid */
};
int host_default_hostnqn_from(const struct host_id_paths *p, char *buf, size_t len);
int host_default_hostid_from(const struct host_id_paths *p, uint8_t hostid[16]);
int host_online_cpus(void);
/* dst = src as the caller's src->size allows, the library's defaults for
 * the rest (nvmf.h's ABI policy). 0, or -EINVAL (size too small: not
 * initialised) or -E2BIG (a newer program set options this library lacks). */
int host_opts_import(struct nvmf_opts *dst, const struct nvmf_opts *src);
void host_opts_wipe(struct nvmf_opts *o);
/* Whether the caller's struct has member m (o->size covers it). */
#define HOST_OPTS_HAS(o, m) \
	((o)->size >= offsetof(struct nvmf_opts, m) + sizeof((o)->m))
/*
 * The TCP port in [s, s+n): decimal digits only, leading zeros dropped,
 * 1 to 65535. One rule for nvmf_opts.trsvcid (check_opts) and a URI's port
 * (uri.c), so that both take the same ports. Returns the port, -EINVAL if
 * empty or not all digits, -ERANGE if 0 or above 65535; records no error
 * (the callers name the value in their own terms).
 */
int host_port_num(const char *s, size_t n);

/* ---- parse.c: identify data and discovery log parsing ------------------------ */

#define HOST_IDENTIFY_LEN 4096
#define HOST_DISC_HDR_LEN 1024
#define HOST_DISC_ENTRY_LEN 1024

/* Copy a space/NUL padded field, trimming trailing spaces, NUL terminated. */
void host_copy_trim(char *dst, size_t dst_size, const void *src, size_t src_len);

/* Identify Controller (CNS 01h, Base 2.0 Figure 275) into info. Checks the
 * sizes a host relies on; returns 0 or -EPROTO with the error set. */
int host_parse_id_ctrl(const uint8_t *id, struct nvmf_ctrl_info *info);
/* Identify Namespace (CNS 00h, NVM Command Set 1.0 Figure 97). ctrl gives
 * ONCS and VWC. Returns 0 (info->supported says whether usable) or -EPROTO
 * if the data is impossible (e.g. LBADS out of range, NCAP > NSZE). */
int host_parse_id_ns(const uint8_t *id, uint32_t nsid, const struct nvmf_ctrl_info *ctrl,
		     struct nvmf_ns_info *info);
/* MDTS in bytes given CAP.MPSMIN; 0 = no limit. */
uint32_t host_mdts_bytes(uint8_t mdts, uint64_t cap);
/* Active namespace ID list (CNS 02h): ascending non-zero NSIDs; returns the
 * count or -EPROTO if not ascending. */
int host_parse_ns_list(const uint8_t *list, uint32_t *nsids, int max);

/* Namespace Identification Descriptor list (CNS 03h, len bytes): the UUID
 * (NIDT 03h) into uuid when there is one; returns the Command Set
 * Identifier (NIDT 04h) when one is not NVM's, else 0. */
int host_parse_ns_desc(const uint8_t *list, size_t len, uint8_t uuid[16]);

/* Discovery log header: genctr, numrec, recfmt. */
void host_parse_disc_hdr(const uint8_t *hdr, uint64_t *genctr, uint64_t *numrec,
			 uint16_t *recfmt);
void host_parse_disc_entry(const uint8_t *raw, struct nvmf_disc_rec *e);

/*
 * Discovery log fetch as a pure algorithm over a "read log at offset"
 * function, so unit tests can feed fake logs that change under it.
 * max_xfer: largest single read (bytes, multiple of 4, >= 1024).
 */
typedef int (*host_log_read_fn)(void *arg, uint64_t offset, void *buf, uint32_t len);
int host_fetch_discovery_log(host_log_read_fn rd, void *arg, uint32_t max_xfer,
			     struct nvmf_disc_list **out);

#endif /* NVMF_HOST_HOST_H */
