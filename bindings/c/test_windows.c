/* Windows-only checks of diskbridge.dll, run under Wine by scripts/test-windows.sh:
 *   - the library refuses remote names Windows cannot store or would alias (reserved device
 *     names, `:` and the other forbidden characters, trailing dots and spaces) when it writes a
 *     downloaded folder tree, and writes the rest;
 *   - a host may FreeLibrary the DLL after calls that started its runtime and live on: the DLL
 *     pins itself (docs/windows-build.md §6.1), so its parked threads never wake up in unmapped
 *     code. The program stays alive for a few seconds after FreeLibrary to give them the chance.
 * The DLL is loaded with LoadLibrary (as OneScript, Python's ctypes and tidy C hosts do), not
 * linked. Usage: test_windows.exe DLL SANDBOX_URL */
#include "test_support.h" /* winsock2.h, which must come before windows.h */

#include <windows.h>

#include <stdio.h>
#include <string.h>

typedef char *(*call_fn)(const char *method, const char *params);
typedef void (*free_fn)(char *reply);

static call_fn call;
static free_fn release;
static int failures = 0;
static int passed = 0;

static void check(int condition, const char *what, const char *reply) {
    if (condition) {
        passed++;
    } else {
        failures++;
        fprintf(stderr, "FAIL: %s\n  reply: %.600s\n", what, reply ? reply : "(null)");
    }
}

/* Calls and checks the reply holds needle; the reply is returned (to free) or freed. */
static char *expect(const char *what, const char *method, const char *params, const char *needle, int keep) {
    char *reply = call(method, params);
    check(reply != NULL && strstr(reply, needle) != NULL, what, reply);
    if (!keep) {
        release(reply);
        return NULL;
    }
    return reply;
}

/* A Yandex token from the sandbox's device flow, the person's approval played by a POST. */
static int sign_in(char *token, size_t size) {
    char *reply = call("YandexID.GetConfirmationCode", "{\"client_id\": \"sandbox-yandex-client\"}");
    char device_code[128], user_code[64], url[256], params[512], form[128];
    int parsed = reply != NULL && json_string(reply, "device_code", device_code, sizeof device_code) &&
                 json_string(reply, "user_code", user_code, sizeof user_code) &&
                 json_string(reply, "verification_url", url, sizeof url);
    check(parsed, "GetConfirmationCode", reply);
    release(reply);
    if (!parsed) {
        return 0;
    }
    snprintf(form, sizeof form, "user_code=%s", user_code);
    check(http_post_form(url, form) == 200, "the person approves the code", url);
    snprintf(params, sizeof params,
             "{\"client_id\": \"sandbox-yandex-client\", \"client_secret\": \"sandbox-yandex-secret\", "
             "\"device_code\": \"%s\"}",
             device_code);
    reply = call("YandexID.ConvertCodeToToken", params);
    int ok = reply != NULL && json_string(reply, "access_token", token, size);
    check(ok, "ConvertCodeToToken", reply);
    release(reply);
    return ok;
}

/* Remote names under app:/names: which Windows must refuse, which it can store. JSON-escaped, as
 * they go into the parameters and come back in the reply. */
static const char *const refused[] = {
    /* device names, with or without an extension, in any case, a space before the dot */
    "CON", "con.txt", "Aux", "NUL.log", "PRN", "COM1", "lpt9.dat", "LPT1", "AUX .txt",
    /* the characters Windows forbids in names */
    "a:b.txt", "what?.txt", "star*.txt", "pipe|.txt", "less<.txt", "more>.txt", "quote\\\".txt",
    /* a trailing dot or space, which Windows drops (so two names would become one) */
    "trailing.", "trailing ", "dots...", "both. "};
static const char *const stored[] = {"ok.txt", "COM0", "CONSOLE.txt", "nul-free.txt", "LPT10.txt", ".hidden",
                                     "a.b.c", "отчёт 2024.txt"};

static void upload(const char *token, const char *name) {
    char params[1024], what[256];
    /* "aGk=" is "hi". */
    snprintf(params, sizeof params,
             "{\"token\": \"%s\", \"path\": \"app:/names/%s\", \"data_base64\": \"aGk=\", \"overwrite\": true}", token,
             name);
    snprintf(what, sizeof what, "upload app:/names/%s", name);
    expect(what, "YandexDisk.UploadFile", params, "\"ok\":true", 0);
}

static int count(const char *text, const char *needle) {
    int found = 0;
    for (const char *at = strstr(text, needle); at != NULL; at = strstr(at + 1, needle)) {
        found++;
    }
    return found;
}

static void test_windows_names(const char *token) {
    size_t n_refused = sizeof refused / sizeof refused[0], n_stored = sizeof stored / sizeof stored[0];
    char params[512], needle[64];
    snprintf(params, sizeof params, "{\"token\": \"%s\", \"path\": \"app:/names\"}", token);
    expect("CreateFolder app:/names", "YandexDisk.CreateFolder", params, "\"ok\":true", 0);
    for (size_t i = 0; i < n_refused; i++) {
        upload(token, refused[i]);
    }
    for (size_t i = 0; i < n_stored; i++) {
        upload(token, stored[i]);
    }
    snprintf(params, sizeof params, "{\"token\": \"%s\", \"path\": \"app:/names\", \"local_dir\": \"names-out\"}", token);
    char *reply = expect("DownloadDirectory answers", "YandexDisk.DownloadDirectory", params, "\"ok\":true", 1);
    if (reply == NULL) {
        return;
    }
    snprintf(needle, sizeof needle, "\"downloaded\":%u", (unsigned)n_stored);
    check(strstr(reply, needle) != NULL, "every name Windows can store is downloaded", reply);
    check(count(reply, "\"code\":\"unsafe_path\"") == (int)n_refused, "every name Windows cannot store is refused",
          reply);
    for (size_t i = 0; i < n_refused; i++) {
        char path[128];
        snprintf(path, sizeof path, "\"path\":\"%s\"", refused[i]);
        snprintf(needle, sizeof needle, "refused in errors: %.40s", refused[i]);
        check(strstr(reply, path) != NULL, needle, reply);
    }
    release(reply);
    for (size_t i = 0; i < n_stored; i++) {
        wchar_t wide[256];
        char path[256];
        snprintf(path, sizeof path, "names-out\\%s", stored[i]);
        MultiByteToWideChar(CP_UTF8, 0, path, -1, wide, 256);
        DWORD attributes = GetFileAttributesW(wide);
        check(attributes != INVALID_FILE_ATTRIBUTES && !(attributes & FILE_ATTRIBUTE_DIRECTORY), path, NULL);
    }
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: test_windows.exe DLL SANDBOX_URL\n");
        return 2;
    }
    HMODULE library = LoadLibraryA(argv[1]);
    if (library == NULL) {
        fprintf(stderr, "LoadLibrary %s failed: error %lu\n", argv[1], (unsigned long)GetLastError());
        return 2;
    }
    /* Through void (*)(void): a FARPROC converts to any function pointer type. */
    call = (call_fn)(void (*)(void))GetProcAddress(library, "diskbridge_call");
    release = (free_fn)(void (*)(void))GetProcAddress(library, "diskbridge_free");
    if (call == NULL || release == NULL) {
        fprintf(stderr, "%s does not export diskbridge_call and diskbridge_free\n", argv[1]);
        return 2;
    }
    char params[512], token[256];
    snprintf(params, sizeof params, "{\"sandbox\": \"%s\"}", argv[2]);
    expect("Library.Configure", "Library.Configure", params, "\"ok\":true", 0);
    if (sign_in(token, sizeof token)) {
        test_windows_names(token);
    }

    /* The runtime runs (every call above went through it); unload as OneScript does. */
    check(FreeLibrary(library) != 0, "FreeLibrary", NULL);
    check(GetModuleHandleA(argv[1]) != NULL, "the DLL pinned itself: still mapped after FreeLibrary", NULL);
    Sleep(6000);
    printf("%d passed, %d failed\n", passed, failures);
    return failures == 0 ? 0 : 1;
}
