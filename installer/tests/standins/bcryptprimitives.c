/* TEST-ONLY stand-in for Windows 10's bcryptprimitives.dll!ProcessPrng, which Wine 8 lacks and the
 * Rust standard library in cryptography's _rust.pyd imports: fills the buffer from RtlGenRandom
 * (advapi32!SystemFunction036). Copied into a Wine test prefix's system32, never into the MSI. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
    while (size > 0) {
        ULONG chunk = size > 0x10000000 ? 0x10000000 : (ULONG)size;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        size -= chunk;
    }
    return TRUE;
}
