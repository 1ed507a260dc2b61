/* The README's example: link against libdiskbridge, call a method, read the envelope, free it.
 *
 *   cc -Wall -Wextra -Werror -Iinclude bindings/c/example.c -Ltarget/release -ldiskbridge \
 *      -Wl,-rpath,$PWD/target/release -o example
 *   DISKBRIDGE_SANDBOX=http://127.0.0.1:PORT ./example
 */
#include <stdio.h>
#include <string.h>

#include "diskbridge.h"

int main(void) {
    /* The header and the loaded library must be the same version. */
    if (strcmp(diskbridge_version(), DISKBRIDGE_VERSION) != 0) {
        fprintf(stderr, "header %s, library %s\n", DISKBRIDGE_VERSION, diskbridge_version());
        return 1;
    }
    char *reply = diskbridge_call("YandexID.GetConfirmationCode", "{\"client_id\": \"sandbox-yandex-client\"}");
    int ok = strstr(reply, "\"ok\":true") != NULL;
    printf("%s\n", reply);        /* {"ok":true,"result":{"device_code":...,"user_code":...}} */
    diskbridge_free(reply);       /* every reply, success or error, is freed with diskbridge_free */
    return ok ? 0 : 1;
}
