/* Helpers shared by the cmocka tests (C and C++). */
#ifndef XRUN_TEST_COMMON_H
#define XRUN_TEST_COMMON_H
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __cplusplus
extern "C" {
#endif
#include <cmocka.h>
#ifdef __cplusplus
}
#endif

/* A fresh temporary directory (mkdtemp under $TMPDIR or /tmp); the returned
 * string is static storage overwritten by the next call. */
static inline const char *xrun_test_tempdir(const char *tag) {
    static char path[512];
    const char *base = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/xrun-test-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    if (!mkdtemp(path)) {
        fprintf(stderr, "mkdtemp failed for %s\n", path);
        abort();
    }
    return path;
}

/* Writes `text` to `path`; aborts the test on failure. */
static inline void xrun_test_write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Environment from CTest (see tests/CMakeLists.txt); fails if missing. */
static inline const char *xrun_test_env(const char *name) {
    const char *value = getenv(name);
    if (!value || !*value) {
        fprintf(stderr, "environment variable %s is not set (run through ctest)\n", name);
        abort();
    }
    return value;
}

/* The SSH transport a remote test's machines use: "libssh", or what
 * tests/ssh/with_openssh.sh asks for (XRUN_TEST_TRANSPORT=openssh). */
static inline const char *xrun_test_transport(void) {
    const char *value = getenv("XRUN_TEST_TRANSPORT");
    return value && *value ? value : "libssh";
}
#endif
