#ifndef PACA_CZLIB_SHIM_H
#define PACA_CZLIB_SHIM_H

#include <zlib.h>

// deflateInit2 and inflateInit2 are macros that Swift cannot import; these wrappers call the
// functions the macros expand to, passing the library's own version and stream size.
static inline int paca_deflateInit2(z_streamp strm, int level, int windowBits, int memLevel, int strategy) {
    return deflateInit2_(strm, level, Z_DEFLATED, windowBits, memLevel, strategy,
                         ZLIB_VERSION, (int)sizeof(z_stream));
}

static inline int paca_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2_(strm, windowBits, ZLIB_VERSION, (int)sizeof(z_stream));
}

#endif
