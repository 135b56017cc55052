/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Parses a time the way Docker's --since/--until do: RFC 3339 ("2026-11-28T10:00:00Z",
 * "2026-11-28T10:00:00.5+01:00", "2026-11-28"), Unix seconds with an optional fraction ("1700000000.25"), or
 * a Go duration before now_usec ("10m", "1h30m", "45s", "500ms"). Returns µs since the epoch. -EINVAL for
 * anything else. */
int parse_docker_time(const char *s, uint64_t now_usec, uint64_t *ret_usec);

/* A Go duration ("90s", "5m", "1h30m", "1.5h", "500ms"): a sequence of decimal numbers, each with a unit
 * (h, m, s, ms, us, µs, ns). Returns µs (nanoseconds are dropped). -EINVAL for anything else, -ERANGE past
 * 1e18 µs. */
int parse_go_duration(const char *s, uint64_t *ret_usec);

/* "2026-11-28T10:00:00.123456000Z" (Docker's RFC3339Nano with a fixed 9-digit fraction). */
void format_rfc3339_nano(uint64_t usec, char *buf, size_t size);
