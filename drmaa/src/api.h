// The public header with default visibility: the library is built with
// -fvisibility=hidden and exports exactly the functions drmaa.h declares,
// while the header itself stays the plain text of the standard.
#pragma once
#pragma GCC visibility push(default)
#include "../drmaa.h"
#pragma GCC visibility pop
