/* Helpers for the C tests: a tiny HTTP POST over a socket (to play the person approving a
 * device code on the sandbox's page) and string lookups in JSON replies. Test code only. */
#ifndef DISKBRIDGE_TEST_SUPPORT_H
#define DISKBRIDGE_TEST_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
/* The same tests run under Wine against the Windows DLL (scripts/test-windows.sh). */
#include <winsock2.h>
typedef SOCKET test_socket;
#define TEST_NO_SOCKET INVALID_SOCKET
#define test_close closesocket
#define test_send(fd, data, size) send(fd, data, (int)(size), 0)
#define test_recv(fd, data, size) recv(fd, data, (int)(size), 0)
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
typedef int test_socket;
#define TEST_NO_SOCKET (-1)
#define test_close close
#define test_send(fd, data, size) write(fd, data, size)
#define test_recv(fd, data, size) read(fd, data, size)
#endif

/* Copies the string value of "key" in a flat JSON text into out; returns 0 if absent. */
static int json_string(const char *json, const char *key, char *out, size_t size) {
    char pattern[128];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *start = strstr(json, pattern);
    if (start == NULL) {
        return 0;
    }
    start += strlen(pattern);
    const char *end = strchr(start, '"');
    if (end == NULL || (size_t)(end - start) >= size) {
        return 0;
    }
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = '\0';
    return 1;
}

/* POSTs a form body to http://127.0.0.1:PORT/path; returns the HTTP status or -1. */
static int http_post_form(const char *url, const char *body) {
    unsigned port = 0;
    char path[512];
    if (sscanf(url, "http://127.0.0.1:%u%511s", &port, path) != 2) {
        return -1;
    }
#ifdef _WIN32
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
        return -1;
    }
#endif
    test_socket fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == TEST_NO_SOCKET) {
        return -1;
    }
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        test_close(fd);
        return -1;
    }
    char request[2048];
    int length = snprintf(request, sizeof request,
                          "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n"
                          "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
                          path, port, strlen(body), body);
    if (test_send(fd, request, (size_t)length) != length) {
        test_close(fd);
        return -1;
    }
    char answer[64] = {0};
    long got = (long)test_recv(fd, answer, sizeof answer - 1);
    test_close(fd);
    int status = -1;
    if (got > 0 && sscanf(answer, "HTTP/1.1 %d", &status) != 1) {
        status = -1;
    }
    return status;
}

#endif
