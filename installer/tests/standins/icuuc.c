/* TEST-ONLY stand-in for Windows 10's icuuc.dll, which Wine 8 lacks: Qt6Core imports these 20
 * ucnv_* functions. ucnv_open fails (U_FILE_ACCESS_ERROR), so Qt uses its own converters; the
 * others are never reached then. Copied into a Wine test prefix's system32, never into the MSI. */
#include <stddef.h>
#include <stdint.h>

typedef int UErrorCode;
#define U_FILE_ACCESS_ERROR 4
#define STANDIN(name) __declspec(dllexport) void name(void) {}

__declspec(dllexport) void *ucnv_open(const char *name, UErrorCode *err) {
    (void)name;
    if (err) *err = U_FILE_ACCESS_ERROR;
    return NULL;
}
__declspec(dllexport) void ucnv_close(void *conv) { (void)conv; }
__declspec(dllexport) int32_t ucnv_countAvailable(void) { return 0; }
__declspec(dllexport) const char *ucnv_getAvailableName(int32_t n) { (void)n; return NULL; }
__declspec(dllexport) const char *ucnv_getStandardName(const char *name, const char *standard, UErrorCode *err) {
    (void)name; (void)standard;
    if (err) *err = U_FILE_ACCESS_ERROR;
    return NULL;
}
STANDIN(UCNV_FROM_U_CALLBACK_SUBSTITUTE)
STANDIN(UCNV_TO_U_CALLBACK_SUBSTITUTE)
STANDIN(ucnv_reset)
STANDIN(ucnv_getMaxCharSize)
STANDIN(ucnv_getName)
STANDIN(ucnv_getToUCallBack)
STANDIN(ucnv_getFromUCallBack)
STANDIN(ucnv_setToUCallBack)
STANDIN(ucnv_setFromUCallBack)
STANDIN(ucnv_cbToUWriteUChars)
STANDIN(ucnv_toUnicode)
STANDIN(ucnv_cbFromUWriteUChars)
STANDIN(ucnv_toUCountPending)
STANDIN(ucnv_fromUCountPending)
STANDIN(ucnv_fromUnicode)
