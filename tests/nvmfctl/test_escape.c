/*
 * tools/common/escape.c: the one escaping of target strings that nvmfctl
 * and nvmf-fuse print (Identify strings, discovery records, state records).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "escape.h"

/* Only printable ASCII: what a terminal shows as is and JSON keeps valid. */
static int all_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static void test_printable_unchanged(void **state)
{
	char out[TC_ESC_SIZE(64)];
	const char *s = "nqn.2014-08.org.example:disk ~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./";

	(void)state;
	assert_string_equal(tc_escape(out, sizeof(out), s), s);
	assert_true(all_printable(s));
	assert_string_equal(tc_escape(out, sizeof(out), ""), "");
}

/* What a hostile target sends: 0xFF padding without a NUL, an ANSI escape
 * sequence, the 8-bit CSI, a newline forging an output line, DEL. */
static void test_hostile_escaped(void **state)
{
	char out[TC_ESC_SIZE(64)];

	(void)state;
	assert_string_equal(tc_escape(out, sizeof(out), "\xff\xff\xff"), "\\xff\\xff\\xff");
	assert_string_equal(tc_escape(out, sizeof(out), "SN\x1b[2J\x1b]0;owned\x07"),
			    "SN\\x1b[2J\\x1b]0;owned\\x07");
	assert_string_equal(tc_escape(out, sizeof(out), "a\x9b" "31mb"), "a\\x9b31mb");
	assert_string_equal(tc_escape(out, sizeof(out), "x\ntraddr:  10.0.0.1\r\t\x7f"),
			    "x\\x0atraddr:  10.0.0.1\\x0d\\x09\\x7f");
	/* UTF-8 is bytes outside ASCII too: escaped, the output stays ASCII. */
	assert_string_equal(tc_escape(out, sizeof(out), "caf\xc3\xa9"), "caf\\xc3\\xa9");
}

/* Escaping what was escaped changes nothing: tools escape whatever they
 * print without tracking where it came from (nvmf-fuse's state record is
 * escaped, nvmfctl escapes it again when it loads it). */
static void test_idempotent(void **state)
{
	char once[TC_ESC_SIZE(32)], twice[TC_ESC_SIZE(TC_ESC_SIZE(32))];
	unsigned char all[256];

	(void)state;
	for (int i = 1; i < 256; i++)
		all[i - 1] = (unsigned char)i;
	all[255] = 0;
	for (int i = 0; i + 32 <= 255; i += 32) {
		char chunk[33];

		memcpy(chunk, all + i, 32);
		chunk[32] = '\0';
		tc_escape(once, sizeof(once), chunk);
		assert_true(all_printable(once));
		assert_string_equal(tc_escape(twice, sizeof(twice), once), once);
	}
}

/* The worst case fits TC_ESC_SIZE; a short buffer cuts between escapes,
 * never inside one, and is always terminated. */
static void test_sizes(void **state)
{
	char big[TC_ESC_SIZE(4)], small[7];

	(void)state;
	memset(big, 'Z', sizeof(big));
	assert_string_equal(tc_escape(big, sizeof(big), "\x01\x02\x03\x04"),
			    "\\x01\\x02\\x03\\x04");
	assert_int_equal(strlen(big), sizeof(big) - 1);
	assert_string_equal(tc_escape(small, sizeof(small), "\x01\x02"), "\\x01");
	assert_string_equal(tc_escape(small, sizeof(small), "ab\x01"), "ab\\x01");
	assert_string_equal(tc_escape(small, sizeof(small), "abcdefgh"), "abcdef");
	assert_string_equal(tc_escape(small, 1, "abc"), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printable_unchanged),
		cmocka_unit_test(test_hostile_escaped),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
