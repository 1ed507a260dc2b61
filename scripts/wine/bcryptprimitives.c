/* Test-only stand-in for bcryptprimitives.dll, which Wine 8 lacks (docs/windows-build.md §6.6).
 * Rust's standard library for the Windows 10 targets imports ProcessPrng from it; Windows 10 and
 * newer have the real one. Built by scripts/test-windows.sh beside the test programs, never
 * shipped. */
#include <windows.h>

#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
    while (size > 0) {
        ULONG part = size > 0x40000000 ? 0x40000000 : (ULONG)size;
        if (BCryptGenRandom(NULL, data, part, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) {
            return FALSE;
        }
        data += part;
        size -= part;
    }
    return TRUE;
}
