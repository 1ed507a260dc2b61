/* C tests of the diskbridge ABI, compiled with -Wall -Wextra -Werror and run under valgrind.
 * Expects DISKBRIDGE_SANDBOX to point at a running sandbox (bindings/c/run-tests.sh starts one). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diskbridge.h"
#include "test_support.h"

#define CLIENT_ID "sandbox-yandex-client"
#define CLIENT_SECRET "sandbox-yandex-secret"

static int failures = 0;
static int passed = 0;

static void check(int condition, const char *what, const char *reply) {
    if (condition) {
        passed++;
    } else {
        failures++;
        fprintf(stderr, "FAIL: %s\n  reply: %.300s\n", what, reply ? reply : "(null)");
    }
}

/* Calls, checks the reply contains every needle, frees. */
static void expect(const char *what, char *reply, const char *needle, const char *needle2) {
    check(reply != NULL, what, reply);
    if (reply != NULL) {
        check(strstr(reply, needle) != NULL, what, reply);
        if (needle2 != NULL) {
            check(strstr(reply, needle2) != NULL, what, reply);
        }
    }
    diskbridge_free(reply);
}

static void test_version(void) {
    check(strcmp(diskbridge_version(), DISKBRIDGE_VERSION) == 0, "runtime version equals header version", diskbridge_version());
    expect("Library.Version", diskbridge_call("Library.Version", "{}"), "\"ok\":true", "\"version\":\"" DISKBRIDGE_VERSION "\"");
    diskbridge_free(NULL); /* NULL is fine */
}

static void test_bad_input(void) {
    const char *invalid_request = "\"code\":\"invalid_request\"";
    expect("NULL method", diskbridge_call(NULL, "{}"), "\"ok\":false", invalid_request);
    expect("NULL params", diskbridge_call("Library.Version", NULL), "\"ok\":false", invalid_request);
    expect("invalid JSON", diskbridge_call("Library.Version", "{\"a\":"), "\"ok\":false", invalid_request);
    expect("a JSON array", diskbridge_call("Library.Version", "[1, 2]"), "\"ok\":false", invalid_request);
    expect("not UTF-8", diskbridge_call("Library.Version", "{\"a\": \"\xff\xfe\"}"), "\"ok\":false", invalid_request);
    expect("method not UTF-8", diskbridge_call("Library.\xc3\x28", "{}"), "\"ok\":false", invalid_request);
    expect("unknown method", diskbridge_call("YandexID.NoSuchMethod", "{}"), "\"ok\":false", "\"code\":\"unknown_method\"");
    expect("missing parameter", diskbridge_call("YandexID.ConvertCodeToToken", "{\"client_id\": \"x\"}"), "\"ok\":false",
           "\"code\":\"invalid_params\"");
    expect("mistyped parameter", diskbridge_call("YandexID.GetConfirmationCode", "{\"client_id\": [1]}"), "\"ok\":false",
           "\"code\":\"invalid_params\"");
    expect("per-method export with NULL", diskbridge_yandex_id_get_user_info(NULL), "\"ok\":false", invalid_request);

    /* A multi-megabyte string parameter. */
    size_t size = 4u * 1024u * 1024u;
    char *big = malloc(size + 64);
    if (big == NULL) {
        failures++;
        return;
    }
    strcpy(big, "{\"client_id\": \"");
    size_t used = strlen(big);
    memset(big + used, 'a', size);
    strcpy(big + used + size, "\", \"pkce\": false}");
    char *reply = diskbridge_call("YandexID.FormAuthorizationLink", big);
    check(reply != NULL && strstr(reply, "\"ok\":true") != NULL && strlen(reply) > size, "multi-megabyte string", reply);
    diskbridge_free(reply);
    /* A multi-megabyte method name. */
    big[size] = '\0';
    memset(big, 'm', size);
    expect("multi-megabyte method name", diskbridge_call(big, "{}"), "\"ok\":false", "\"code\":\"unknown_method\"");
    free(big);
}

static int cancel_after_calls(void *user_data, uint64_t done, uint64_t total) {
    (void)done;
    (void)total;
    int *calls = user_data;
    *calls += 1;
    return *calls >= 3; /* cancel on the third report */
}

static void test_device_flow(void) {
    char *reply = diskbridge_yandex_id_get_confirmation_code("{\"client_id\": \"" CLIENT_ID "\"}");
    char device_code[128], user_code[64], verification_url[256];
    int parsed = json_string(reply, "device_code", device_code, sizeof device_code) &&
                 json_string(reply, "user_code", user_code, sizeof user_code) &&
                 json_string(reply, "verification_url", verification_url, sizeof verification_url);
    check(parsed, "GetConfirmationCode answers device_code, user_code, verification_url", reply);
    diskbridge_free(reply);
    if (!parsed) {
        return;
    }
    char params[512];
    snprintf(params, sizeof params,
             "{\"client_id\": \"" CLIENT_ID "\", \"client_secret\": \"" CLIENT_SECRET "\", \"device_code\": \"%s\"}",
             device_code);
    expect("before approval: authorization_pending", diskbridge_call("YandexID.ConvertCodeToToken", params), "\"ok\":false",
           "\"code\":\"authorization_pending\"");

    int calls = 0;
    char *cancelled = diskbridge_call_with_progress("YandexID.WaitForToken", params, cancel_after_calls, &calls);
    expect("WaitForToken cancelled by the callback", cancelled, "\"code\":\"cancelled\"", NULL);
    check(calls == 3, "the callback was called until it cancelled", NULL);

    char form[128];
    snprintf(form, sizeof form, "user_code=%s", user_code);
    check(http_post_form(verification_url, form) == 200, "the person approves the code", verification_url);

    reply = diskbridge_call_with_progress("YandexID.WaitForToken", params, NULL, NULL);
    char access_token[256];
    check(strstr(reply, "\"ok\":true") != NULL && json_string(reply, "access_token", access_token, sizeof access_token),
          "after approval: tokens", reply);
    diskbridge_free(reply);

    snprintf(params, sizeof params, "{\"token\": \"%s\"}", access_token);
    expect("GetUserInfo through its own export", diskbridge_yandex_id_get_user_info(params), "\"ok\":true",
           "\"login\":\"sandbox-owner\"");
}

/* A progress callback that calls back into the library on every report (issue 13 item 1: this
 * used to deadlock), and cancels on the third. */
static int call_back_in(void *user_data, uint64_t done, uint64_t total) {
    (void)done;
    (void)total;
    int *reports = user_data;
    char *reply = diskbridge_call("Library.Version", "{}");
    check(reply != NULL && strstr(reply, "\"ok\":true") != NULL, "Library.Version from a progress callback", reply);
    diskbridge_free(reply);
    reply = diskbridge_call("YandexID.GetConfirmationCode", "{\"client_id\": \"" CLIENT_ID "\"}");
    check(reply != NULL && strstr(reply, "\"user_code\"") != NULL, "a network call from a progress callback", reply);
    diskbridge_free(reply);
    *reports += 1;
    return *reports >= 3;
}

/* Ends the process if the watched code runs longer than `seconds` (a deadlock must fail the run,
 * not hang it). Threads and a timed wait: alarm() does not exist on Windows. */
static pthread_mutex_t watchdog_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watchdog_stop = PTHREAD_COND_INITIALIZER;
static int watchdog_stopped = 0;

static void *watchdog(void *seconds) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(intptr_t)seconds;
    pthread_mutex_lock(&watchdog_lock);
    while (!watchdog_stopped) {
        if (pthread_cond_timedwait(&watchdog_stop, &watchdog_lock, &until) == ETIMEDOUT) {
            fprintf(stderr, "FAIL: still running after %d s: a deadlock\n", (int)(intptr_t)seconds);
            _Exit(3);
        }
    }
    pthread_mutex_unlock(&watchdog_lock);
    return NULL;
}

static void stop_watchdog(pthread_t thread) {
    pthread_mutex_lock(&watchdog_lock);
    watchdog_stopped = 1;
    pthread_cond_signal(&watchdog_stop);
    pthread_mutex_unlock(&watchdog_lock);
    pthread_join(thread, NULL);
}

static void test_nested_calls(void) {
    char *reply = diskbridge_call("YandexID.GetConfirmationCode", "{\"client_id\": \"" CLIENT_ID "\"}");
    char device_code[128];
    int parsed = json_string(reply, "device_code", device_code, sizeof device_code);
    check(parsed, "a device code to wait for", reply);
    diskbridge_free(reply);
    if (!parsed) {
        return;
    }
    char params[512];
    snprintf(params, sizeof params,
             "{\"client_id\": \"" CLIENT_ID "\", \"client_secret\": \"" CLIENT_SECRET
             "\", \"device_code\": \"%s\", \"interval\": 1}",
             device_code);
    int reports = 0;
    pthread_t guard;
    pthread_create(&guard, NULL, watchdog, (void *)(intptr_t)120);
    char *cancelled = diskbridge_call_with_progress("YandexID.WaitForToken", params, call_back_in, &reports);
    stop_watchdog(guard);
    expect("WaitForToken with nested calls, cancelled by the callback", cancelled, "\"code\":\"cancelled\"", NULL);
    check(reports == 3, "the callback made its nested calls three times", NULL);
}

static void *call_many(void *unused) {
    (void)unused;
    for (int i = 0; i < 20; i++) {
        char *reply = diskbridge_call("Library.Version", "{}");
        if (reply == NULL || strstr(reply, "\"ok\":true") == NULL) {
            __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
        }
        diskbridge_free(reply);
        reply = diskbridge_call("YandexID.GetConfirmationCode", "{\"client_id\": \"" CLIENT_ID "\"}");
        if (reply == NULL || strstr(reply, "\"ok\":true") == NULL) {
            __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
        }
        diskbridge_free(reply);
    }
    return NULL;
}

static void test_threads(void) {
    pthread_t threads[8];
    for (int i = 0; i < 8; i++) {
        pthread_create(&threads[i], NULL, call_many, NULL);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(threads[i], NULL);
    }
    passed++;
}

int main(void) {
    if (getenv("DISKBRIDGE_SANDBOX") == NULL) {
        fprintf(stderr, "set DISKBRIDGE_SANDBOX to a running sandbox (bindings/c/run-tests.sh does)\n");
        return 2;
    }
    test_version();
    test_bad_input();
    test_device_flow();
    test_nested_calls();
    test_threads();
    printf("%d passed, %d failed\n", passed, failures);
    return failures == 0 ? 0 : 1;
}
