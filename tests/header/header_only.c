/* Compiled alone as C99 and as C++ by CTest: the header must stand on its
 * own, with no warning. */
#include "xrun.h"

int header_only_check(void);
int header_only_check(void) {
    xrun_options opts = XRUN_OPTIONS_INIT;
    return (int)opts.version + XRUN_VERSION_NUMBER + XRUN_STATE_LOST + XRUN_E_INTERNAL;
}
