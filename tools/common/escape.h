/*
 * Shared by the tools (nvmfctl, nvmf-fuse): printing strings that came
 * from a target.
 *
 * Identify Controller's SN, MN, FR and SUBNQN, a discovery record's TRADDR,
 * TRSVCID and SUBNQN, and everything derived from them (nvmf-fuse's state
 * record of a connection that nvmfctl connect-all made from a record) are
 * whatever bytes the controller sent. NVMe Base 2.0 (1.5, Figure 275)
 * makes the Identify strings ASCII and the discovery fields are ASCII too,
 * but a faulty or hostile target can send 0xFF padding, terminal escape
 * sequences (ESC, or 0x9B, the 8-bit CSI) or newlines that forge output
 * lines; in JSON, bytes that are not UTF-8 make the document invalid.
 */
#ifndef NVMF_TOOLS_ESCAPE_H
#define NVMF_TOOLS_ESCAPE_H

#include <stddef.h>

/* Room for the escape of n bytes: each may become "\xHH", plus the NUL. */
#define TC_ESC_SIZE(n) (4 * (size_t)(n) + 1)

/*
 * Copy the string src into dst (dstsz bytes, dstsz > 0; always
 * NUL-terminated) with every byte outside printable ASCII (0x20-0x7E)
 * written as "\xHH" (lower-case hex). Printable bytes, the backslash
 * included, are copied as they are, so the result is printable ASCII, and
 * escaping it again changes nothing: a tool can escape whatever it prints
 * without knowing whether it was escaped before. (The price: a literal
 * "\xff" in the source reads like an escaped byte.) If dst is too small
 * the output stops before the escape or byte that does not fit. Returns
 * dst.
 */
char *tc_escape(char *dst, size_t dstsz, const char *src);

#endif
