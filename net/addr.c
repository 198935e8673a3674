/*
 * net/addr.c: listen addresses as operators write them: "127.0.0.1:8086",
 * ":8086" (every IPv4 interface), "[::1]:8086", "localhost:8086". Only
 * numeric hosts and "localhost" are accepted: a listen address that needs
 * DNS at start-up is a source of surprises.
 */
#include "net/net_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int net__addr_parse(const char *s, struct sockaddr_storage *out, strata_error *err)
{
    char host[64];
    const char *colon, *hs, *he;
    memset(out, 0, sizeof *out);
    if (s[0] == '[') {
        he = strchr(s, ']');
        if (he == NULL || he[1] != ':')
            return strata_error_set(err, STRATA_EINVAL, "bad address \"%s\" (want [IPv6]:PORT)", s);
        hs = s + 1;
        colon = he + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return strata_error_set(
                err, STRATA_EINVAL,
                "bad address \"%s\" (want HOST:PORT, e.g. 127.0.0.1:8086 or :8086)", s);
        hs = s;
        he = colon;
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || port < 0 || port > 65535)
        return strata_error_set(err, STRATA_EINVAL, "bad port in \"%s\" (want 0 to 65535)", s);
    size_t hl = (size_t)(he - hs);
    if (hl >= sizeof host)
        return strata_error_set(err, STRATA_EINVAL, "bad address \"%s\" (host too long)", s);
    memcpy(host, hs, hl);
    host[hl] = '\0';
    if (hl == 0)
        strcpy(host, "0.0.0.0");
    else if (strcmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return STRATA_OK;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        return STRATA_OK;
    }
    return strata_error_set(err, STRATA_EINVAL,
                            "bad address \"%s\" (the host must be an IP address or localhost)", s);
}

void net__addr_format(const struct sockaddr *sa, char *buf, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof ip);
        snprintf(buf, cap, "%s:%u", ip, ntohs(v4->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof ip);
        snprintf(buf, cap, "[%s]:%u", ip, ntohs(v6->sin6_port));
    } else {
        snprintf(buf, cap, "?");
    }
}
