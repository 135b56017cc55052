/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "seccomp-bpf.h"
#include "seccomp-profile.h"
#include "string-util.h"
#include "syscall-shims.h"
#include "tests.h"

#define CAP(c) (UINT64_C(1) << CAP_##c)

/* Docker's default capability set: CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID,
 * SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE. */
#define DOCKER_CAPS                                                                                         \
        (CAP(CHOWN) | CAP(DAC_OVERRIDE) | CAP(FSETID) | CAP(FOWNER) | CAP(MKNOD) | CAP(NET_RAW) |           \
                CAP(SETGID) | CAP(SETUID) | CAP(SETFCAP) | CAP(SETPCAP) | CAP(NET_BIND_SERVICE) |           \
                CAP(SYS_CHROOT) | CAP(KILL) | CAP(AUDIT_WRITE))

/* Not assigned on any architecture. */
#define UNASSIGNED_SYSCALL 1000

/* A path that does not exist: should a filter fail to stop mount(), the kernel refuses it anyway. */
#define NO_SUCH_PATH "/nonexistent-berth-test-seccomp"

static void assert_parse_error(const char *json, const char *expected) {
        _cleanup_(seccomp_profile_freep) SeccompProfile *p = NULL;
        _cleanup_free_ char *msg = NULL;

        ASSERT_ERROR(seccomp_profile_parse(json, strlen(json), &p, &msg), EBADMSG);
        ASSERT_NULL(p);
        ASSERT_NOT_NULL(msg);
        if (!startswith(msg, expected))
                TEST_FAIL("parsing '%s': got '%s', expected it to start with '%s'", json, msg, expected);
}

static SeccompProfile *parse_ok(const char *json) {
        SeccompProfile *p = NULL;
        _cleanup_free_ char *msg = NULL;
        int r;

        r = seccomp_profile_parse(json, strlen(json), &p, &msg);
        if (r < 0)
                TEST_FAIL("parsing '%s' failed: %d (%s)", json, r, msg ?: "no message");
        ASSERT_NULL(msg);
        return ASSERT_NOT_NULL(p);
}

static void compile_ok(const SeccompProfile *p, uint64_t caps, void **ret_prog, size_t *ret_size) {
        _cleanup_free_ char *msg = NULL;
        int r;

        r = seccomp_profile_compile(p, caps, ret_prog, ret_size, &msg);
        if (r < 0)
                TEST_FAIL("compiling with caps %#" PRIx64 " failed: %d (%s)", caps, r, msg ?: "no message");
        ASSERT_TRUE(*ret_size > 0);
        ASSERT_EQ(*ret_size % 8, 0);
        ASSERT_TRUE(*ret_size / 8 <= 4096);
}

TEST(parse_errors) {
        assert_parse_error("{", "(root): invalid JSON: ");
        assert_parse_error("", "(root): invalid JSON: ");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\"} x", "(root): invalid JSON: ");
        assert_parse_error("[]", "(root): not an object");
        assert_parse_error("{}", "defaultAction: missing");
        assert_parse_error("{\"defaultAction\":null}", "defaultAction: missing");
        assert_parse_error("{\"defaultAction\":7}", "defaultAction: not a string");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_FOO\"}",
                "defaultAction: unknown action 'SCMP_ACT_FOO'");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", "defaultAction: unknown action");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":\"1\"}",
                "defaultErrnoRet: not an unsigned integer");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":5000}",
                "defaultErrnoRet: 5000 is larger than 4095");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}",
                "syscalls: not an array");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[\"read\"]}",
                "syscalls[0]: not an object");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                           "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\"},"
                           "{\"names\":[7],\"action\":\"SCMP_ACT_ERRNO\"}]}",
                "syscalls[1].names[0]: not a string");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                           "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\"},"
                           "{\"names\":[\"write\"],\"action\":\"SCMP_ACT_ERRNO\"},"
                           "{\"names\":[\"open\"],\"action\":\"SCMP_ACT_ERRNO\"},"
                           "{\"names\":[\"close\"],\"action\":\"SCMP_ACT_FOO\"}]}",
                "syscalls[3].action: unknown action 'SCMP_ACT_FOO'");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"]}]}",
                "syscalls[0].action: missing");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                           "\"syscalls\":[{\"action\":\"SCMP_ACT_LOG\"}]}",
                "syscalls[0].names: missing");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"name\":\"read\","
                           "\"names\":[\"write\"],\"action\":\"SCMP_ACT_LOG\"}]}",
                "syscalls[0]: both 'name' and 'names' given");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"READ\"],"
                           "\"action\":\"SCMP_ACT_LOG\"}]}",
                "syscalls[0].names[0]: invalid syscall name 'READ'");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\\u0000x\"}",
                "defaultAction: contains a NUL character");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                           "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":-1}]}",
                "syscalls[0].errnoRet: -1 is negative");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                           "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,"
                           "\"op\":\"SCMP_CMP_FOO\"}]}]}",
                "syscalls[0].args[0].op: unknown operator 'SCMP_CMP_FOO'");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                           "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"op\":\"SCMP_CMP_EQ\"},"
                           "{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                "syscalls[0].args[1].index: 6 is larger than 5");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                           "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1.5,"
                           "\"op\":\"SCMP_CMP_EQ\"}]}]}",
                "syscalls[0].args[0].value: not an unsigned integer");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                           "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0}]}]}",
                "syscalls[0].args[0].op: missing");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                           "\"action\":\"SCMP_ACT_ERRNO\",\"includes\":{\"caps\":[\"CAP_SYS_ADMIN\","
                           "\"CAP_FOO\"]}}]}",
                "syscalls[0].includes.caps[1]: unknown capability 'CAP_FOO'");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                           "\"action\":\"SCMP_ACT_ERRNO\",\"excludes\":{\"arches\":[\"vax\"]}}]}",
                "syscalls[0].excludes.arches[0]: unknown architecture 'vax'");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                           "\"action\":\"SCMP_ACT_ERRNO\",\"includes\":{\"minKernel\":\"4\"}}]}",
                "syscalls[0].includes.minKernel: invalid kernel version '4'");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                           "\"action\":\"SCMP_ACT_ERRNO\",\"includes\":[]}]}",
                "syscalls[0].includes: not an object");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_VAX\"]}",
                "architectures[0]: unknown architecture 'SCMP_ARCH_VAX'");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"archMap\":[{\"subArchitectures\":[]}]}",
                "archMap[0].architecture: missing");
        assert_parse_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"archMap\":[{\"architecture\":"
                           "\"SCMP_ARCH_X86_64\",\"subArchitectures\":[\"SCMP_ARCH_X86\",1]}]}",
                "archMap[0].subArchitectures[1]: not a string");
}

TEST(parse_limits) {
        _cleanup_(seccomp_profile_freep) SeccompProfile *p = NULL;
        _cleanup_free_ char *big = NULL, *many = NULL, *msg = NULL;
        size_t size = 4 * 1024 * 1024 + 1, n = 0;
        const char *head = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[";
        const char *rule = "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_LOG\"},";
        const char *ioctl_head =
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"ioctl\"],"
                "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[";

        /* larger than 4 MiB, even if it is only whitespace around a valid profile */
        big = ASSERT_NOT_NULL(malloc(size));
        memset(big, ' ', size);
        memcpy(big, "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}", 34);
        ASSERT_ERROR(seccomp_profile_parse(big, size, &p, &msg), EBADMSG);
        ASSERT_STREQ(msg, "(root): profile is larger than 4 MiB");
        ASSERT_OK(seccomp_profile_parse(big, size - 1, &p, NULL));
        p = seccomp_profile_free(p);

        /* 4097 rules */
        many = ASSERT_NOT_NULL(malloc(strlen(head) + 4097 * strlen(rule) + 3));
        n = stpcpy(many, head) - many;
        for (size_t i = 0; i < 4097; i++)
                n = stpcpy(many + n, rule) - many;
        many[n - 1] = ']';
        many[n++] = '}';
        many[n] = 0;
        msg = mfree(msg);
        ASSERT_ERROR(seccomp_profile_parse(many, n, &p, &msg), EBADMSG);
        ASSERT_STREQ(msg, "syscalls: more than 4096 rules");

        /* 513 alternatives for one syscall, each a rule of its own for libseccomp */
        many = mfree(many);
        many = ASSERT_NOT_NULL(malloc(256 + 513 * 64));
        n = stpcpy(many, ioctl_head) - many;
        for (size_t i = 0; i < 513; i++)
                n += (size_t) sprintf(many + n, "%s{\"index\":1,\"value\":%zu,\"op\":\"SCMP_CMP_EQ\"}",
                        i > 0 ? "," : "", i);
        n = stpcpy(many + n, "]}]}") - many;
        msg = mfree(msg);
        ASSERT_ERROR(seccomp_profile_parse(many, n, &p, &msg), EBADMSG);
        ASSERT_STREQ(msg, "syscalls[0]: more than 512 syscall rules with args in the profile");

        /* without a message buffer, the error code is the same */
        ASSERT_ERROR(seccomp_profile_parse("{}", 2, &p, NULL), EBADMSG);
}

TEST(parse_docker_format) {
        _cleanup_(seccomp_profile_freep) SeccompProfile *p = NULL, *q = NULL, *r = NULL;
        _cleanup_free_ void *prog = NULL;
        size_t size = 0;

        /* unknown keys (comment, flags, listenerPath, ...) are ignored, as Docker does */
        p = parse_ok(
                "{\n"
                "  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
                "  \"defaultErrnoRet\": 1,\n"
                "  \"listenerPath\": \"\",\n"
                "  \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],\n"
                "  \"archMap\": [\n"
                "    { \"architecture\": \"SCMP_ARCH_X86_64\",\n"
                "      \"subArchitectures\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"] },\n"
                "    { \"architecture\": \"SCMP_ARCH_AARCH64\",\n"
                "      \"subArchitectures\": [\"SCMP_ARCH_ARM\"] },\n"
                "    { \"architecture\": \"SCMP_ARCH_S390X\", \"subArchitectures\": [\"SCMP_ARCH_S390\"] }\n"
                "  ],\n"
                "  \"syscalls\": [\n"
                "    { \"names\": [\"read\", \"write\", \"exit_group\", \"no_such_syscall\"],\n"
                "      \"action\": \"SCMP_ACT_ALLOW\", \"comment\": \"basics\" },\n"
                "    { \"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
                "      \"args\": [ { \"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\" },\n"
                "                { \"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\" } ] },\n"
                "    { \"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
                "      \"args\": [ { \"index\": 0, \"value\": 2114060288, \"valueTwo\": 0,\n"
                "                  \"op\": \"SCMP_CMP_MASKED_EQ\" } ],\n"
                "      \"excludes\": { \"caps\": [\"CAP_SYS_ADMIN\"],\n"
                "                    \"arches\": [\"s390\", \"s390x\"] } },\n"
                "    { \"names\": [\"mount\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
                "      \"includes\": { \"caps\": [\"CAP_SYS_ADMIN\"] } },\n"
                "    { \"names\": [\"arch_prctl\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
                "      \"includes\": { \"arches\": [\"amd64\", \"x32\"] } },\n"
                "    { \"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
                "      \"includes\": { \"minKernel\": \"4.8\" } },\n"
                "    { \"name\": \"getpid\", \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 42 },\n"
                "    { \"names\": [\"sync\"], \"action\": \"SCMP_ACT_ERRNO\" },\n"
                "    { \"names\": [\"kill\"], \"action\": \"SCMP_ACT_KILL_PROCESS\" },\n"
                "    { \"names\": [\"tkill\"], \"action\": \"SCMP_ACT_KILL_THREAD\" },\n"
                "    { \"names\": [\"tgkill\"], \"action\": \"SCMP_ACT_KILL\" },\n"
                "    { \"names\": [\"uname\"], \"action\": \"SCMP_ACT_LOG\" },\n"
                "    { \"names\": [\"getppid\"], \"action\": \"SCMP_ACT_TRAP\" },\n"
                "    { \"names\": [], \"action\": \"SCMP_ACT_ALLOW\" },\n"
                "    { \"names\": [\"getuid\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
                "      \"args\": [ { \"index\": 1, \"value\": 18446744073709551615,\n"
                "                  \"op\": \"SCMP_CMP_LE\" },\n"
                "                { \"index\": 2, \"value\": 1, \"op\": \"SCMP_CMP_NE\" },\n"
                "                { \"index\": 3, \"value\": 1, \"op\": \"SCMP_CMP_LT\" },\n"
                "                { \"index\": 4, \"value\": 1, \"op\": \"SCMP_CMP_GE\" },\n"
                "                { \"index\": 5, \"value\": 1, \"op\": \"SCMP_CMP_GT\" } ] }\n"
                "  ]\n"
                "}\n");
        compile_ok(p, 0, &prog, &size);
        prog = mfree(prog);
        compile_ok(p, UINT64_MAX, &prog, &size);
        prog = mfree(prog);

        /* Docker's old format: "architectures" and "name"; foreign architectures are left out, not errors */
        q = parse_ok("{\"defaultAction\":\"SCMP_ACT_KILL\",\"architectures\":[\"SCMP_ARCH_X86_64\","
                     "\"SCMP_ARCH_X86\",\"SCMP_ARCH_PPC64LE\",\"SCMP_ARCH_MIPSEL64\"],"
                     "\"syscalls\":[{\"name\":\"read\",\"action\":\"SCMP_ACT_ALLOW\",\"args\":[]}]}");
        compile_ok(q, 0, &prog, &size);
        prog = mfree(prog);

        /* nothing but a default action */
        r = parse_ok("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
        compile_ok(r, 0, &prog, &size);
}

TEST(compile_default) {
        _cleanup_(seccomp_profile_freep) SeccompProfile *p = NULL;
        uint64_t caps[] = { 0, DOCKER_CAPS, UINT64_MAX };

        ASSERT_OK(seccomp_profile_new_default(&p));
        for (size_t i = 0; i < ELEMENTSOF(caps); i++) {
                _cleanup_free_ void *prog = NULL;
                size_t size = 0;

                compile_ok(p, caps[i], &prog, &size);
                fprintf(stderr, "default profile, caps %#" PRIx64 ": %zu instructions\n", caps[i], size / 8);
        }
}

TEST(bpf_load_arguments) {
        uint8_t prog[16] = {};

        ASSERT_ERROR(seccomp_bpf_load(prog, 0), EINVAL);
        ASSERT_ERROR(seccomp_bpf_load(prog, 12), EINVAL);
        ASSERT_ERROR(seccomp_bpf_load(NULL, 8), EINVAL);
        ASSERT_ERROR(seccomp_bpf_load(prog, 8 * 4097), EINVAL);
}

/* ---- behaviour: load a compiled program in a child and try syscalls under it -------------------------- */

typedef void (*CheckFunc)(void);

static void run_confined(const SeccompProfile *p, uint64_t caps, CheckFunc check, const char *what) {
        _cleanup_free_ void *prog = NULL;
        size_t size = 0;
        pid_t pid;
        int status;

        compile_ok(p, caps, &prog, &size);
        fprintf(stderr, "-- %s\n", what);
        pid = ASSERT_OK(fork());
        if (pid == 0) {
                ASSERT_OK(RET_NERRNO(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)));
                ASSERT_OK(seccomp_bpf_load(prog, size));
                check();
                _exit(EXIT_SUCCESS);
        }
        ASSERT_OK(RET_NERRNO(waitpid(pid, &status, 0)));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                TEST_FAIL("%s: child %s %d", what,
                        WIFEXITED(status) ? "exited with" : "was killed by signal",
                        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

static void *thread_main(void *arg) {
        return arg;
}

static void check_default_no_caps(void) {
        pthread_t t;
        void *result = NULL;
        pid_t pid;
        int status;
        long r;

        /* ordinary life goes on */
        ASSERT_EQ(getpid(), syscall(SYS_getpid));
        ASSERT_TRUE(getcwd((char[64]){}, 64) != NULL);
        pid = ASSERT_OK(fork()); /* clone() without namespace flags */
        if (pid == 0)
                _exit(7);
        ASSERT_OK(RET_NERRNO(waitpid(pid, &status, 0)));
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 7);
        /* glibc tries clone3() first and falls back to clone() on ENOSYS */
        ASSERT_EQ(pthread_create(&t, NULL, thread_main, (void *) 0x1234), 0);
        ASSERT_EQ(pthread_join(t, &result), 0);
        ASSERT_TRUE(result == (void *) 0x1234);
        ASSERT_OK(RET_NERRNO(unshare(CLONE_FILES))); /* no namespace, so fine */

        /* known and refused: EPERM */
        ASSERT_ERROR(RET_NERRNO(mount("none", NO_SUCH_PATH, "tmpfs", 0, NULL)), EPERM);
        ASSERT_ERROR(RET_NERRNO(umount2(NO_SUCH_PATH, 0)), EPERM);
        ASSERT_ERROR(RET_NERRNO(unshare(CLONE_NEWUSER)), EPERM);
        ASSERT_ERROR(RET_NERRNO(unshare(CLONE_NEWNS)), EPERM);
        ASSERT_ERROR(RET_NERRNO(unshare(CLONE_FILES | CLONE_NEWNET)), EPERM);
        ASSERT_ERROR(RET_NERRNO(unshare(CLONE_NEWTIME)), EPERM);
        ASSERT_ERROR(RET_NERRNO(sys_clone_fork(CLONE_NEWPID)), EPERM);
        ASSERT_ERROR(RET_NERRNO(sys_clone_fork(CLONE_NEWUSER | CLONE_NEWNS)), EPERM);
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0)), EPERM);
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_add_key, "user", "berth", "x", 1, -3)), EPERM);
        ASSERT_ERROR(RET_NERRNO(sethostname("berth", 5)), EPERM);
        ASSERT_ERROR(RET_NERRNO(chroot("/")), EPERM);
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_settimeofday, NULL, NULL)), EPERM); /* a no-op if allowed */
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_clock_settime, CLOCK_REALTIME, NULL)), EPERM);
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_reboot, 0, 0, 0, NULL)), EPERM); /* bad magic even if allowed */
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_io_uring_setup, 0, NULL)), EPERM);
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_pidfd_getfd, -1, 0, 0)), EPERM);

        /* personality: only Linux, PER_LINUX32, UNAME26, and the query */
        r = ASSERT_OK(RET_NERRNO(personality(0xffffffff)));
        ASSERT_OK(RET_NERRNO(personality(PER_LINUX)));
        ASSERT_OK(RET_NERRNO(personality(UNAME26 | PER_LINUX32)));
        ASSERT_OK(RET_NERRNO(personality((unsigned long) r)));
        ASSERT_ERROR(RET_NERRNO(personality(ADDR_NO_RANDOMIZE)), EPERM);
        ASSERT_ERROR(RET_NERRNO(personality(READ_IMPLIES_EXEC)), EPERM);
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_personality, 0xfffffffeUL)), EPERM);
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_personality, 0x80000000UL)), EPERM);
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_personality, 0x20009UL)), EPERM);
#if __SIZEOF_LONG__ == 8
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_personality, 0x100000000UL)), EPERM);
#endif

        /* unknown to the profile, or needing a namespace check the filter cannot do: ENOSYS */
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_clone3, NULL, 0)), ENOSYS);
        ASSERT_ERROR(RET_NERRNO(syscall(UNASSIGNED_SYSCALL)), ENOSYS);
}

static void check_default_sys_admin(void) {
        /* the filter lets these through to the kernel, which, as we are root, does them */
        ASSERT_OK(RET_NERRNO(unshare(CLONE_NEWNS)));
        ASSERT_OK(RET_NERRNO(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)));
        /* clone3() reaches the kernel, which rejects the empty argument */
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_clone3, NULL, 0)), EINVAL);
        /* still refused whatever the capabilities */
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0)), EPERM);
        ASSERT_ERROR(RET_NERRNO(syscall(UNASSIGNED_SYSCALL)), ENOSYS);
}

static void check_default_docker_caps(void) {
        /* CAP_SYS_CHROOT is among Docker's defaults, CAP_SYS_PTRACE and CAP_SYS_ADMIN are not; ptrace
         * itself is allowed (the kernel checks it), as under Docker */
        ASSERT_OK(RET_NERRNO(chroot("/")));
        ASSERT_OK(RET_NERRNO(syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0)));
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_pidfd_getfd, -1, 0, 0)), EPERM);
        ASSERT_ERROR(RET_NERRNO(unshare(CLONE_NEWUSER)), EPERM);
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_clone3, NULL, 0)), ENOSYS);
}

#if defined(__x86_64__)
/* A 32-bit syscall through the compat entry (int $0x80) of a 64-bit process: the filter covers x86 too. */
static long int80(long nr) {
        long ret;

        __asm__ volatile("int $0x80"
                         : "=a"(ret)
                         : "a"(nr), "b"(0L), "c"(0L), "d"(0L)
                         : "r8", "r9", "r10", "r11", "memory", "cc");
        return ret;
}

static void check_default_x86_compat(void) {
        ASSERT_EQ(int80(20 /* getpid */), getpid());
        ASSERT_EQ(int80(21 /* mount */), -EPERM);
        ASSERT_EQ(int80(UNASSIGNED_SYSCALL), -ENOSYS);
}

static bool have_int80(void) {
        pid_t pid;
        int status;

        /* kernels without IA32 emulation (or booted with ia32_emulation=0) kill the caller */
        pid = ASSERT_OK(fork());
        if (pid == 0)
                _exit(int80(20) == getpid() ? EXIT_SUCCESS : EXIT_FAILURE);
        ASSERT_OK(RET_NERRNO(waitpid(pid, &status, 0)));
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
#endif

static void check_custom(void) {
        char buf[64];

        errno = 0;
        ASSERT_NULL(getcwd(buf, sizeof(buf)));
        ASSERT_EQ(errno, EACCES);
        ASSERT_EQ(getpid(), syscall(SYS_getpid));
        /* default action ALLOW: what the profile does not name works */
        ASSERT_OK(RET_NERRNO(syscall(SYS_getuid)));
}

static void check_conditions(void) {
        char buf[64];

        /* includes.minKernel 99.0: not applied, so the default action's defaultErrnoRet */
        errno = 0;
        ASSERT_NULL(getcwd(buf, sizeof(buf)));
        ASSERT_EQ(errno, EXDEV);
        /* includes.minKernel 3.0: applied */
        ASSERT_OK(RET_NERRNO(syscall(SYS_getppid)));
        /* includes.caps CAP_SYS_ADMIN, which the container lacks: not applied */
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_getuid)), EXDEV);
        /* excludes.caps CAP_SYS_ADMIN: applied */
        ASSERT_OK(RET_NERRNO(syscall(SYS_getgid)));
        /* includes.caps CAP_KILL, which it holds: applied */
        ASSERT_OK(RET_NERRNO(syscall(SYS_geteuid)));
        /* args on different indexes must all match */
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_getegid, 1, 2)), EROFS);
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_getegid, 1, 3)), EXDEV);
        /* args on the same index are alternatives */
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_getpgid, 5)), ELOOP);
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_getpgid, 6)), ELOOP);
        ASSERT_ERROR(RET_NERRNO(syscall(SYS_getpgid, 7)), EXDEV);
        ASSERT_ERROR(RET_NERRNO(syscall(UNASSIGNED_SYSCALL)), EXDEV);
}

TEST(behaviour) {
        _cleanup_(seccomp_profile_freep) SeccompProfile *def = NULL, *custom = NULL, *cond = NULL;

        ASSERT_OK(seccomp_profile_new_default(&def));
        run_confined(def, 0, check_default_no_caps, "default profile, no capabilities");
        run_confined(def, DOCKER_CAPS, check_default_docker_caps, "default profile, Docker's capabilities");
        run_confined(def, DOCKER_CAPS | CAP(SYS_ADMIN), check_default_sys_admin,
                "default profile, with CAP_SYS_ADMIN");
#if defined(__x86_64__)
        if (have_int80())
                run_confined(def, 0, check_default_x86_compat,
                        "default profile, x86 syscalls via int $0x80");
        else
                fprintf(stderr, "no IA32 emulation, not testing the x86 part of the filter\n");
#endif

        custom = parse_ok("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getcwd\"],"
                          "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}");
        run_confined(custom, 0, check_custom, "custom profile: getcwd fails with EACCES");

        /* Default EXDEV: only what exiting, the sanitizers and a failed assertion need is allowed outright.
         * Rules for one syscall with and without conditions do not mix (libseccomp keeps the unconditional
         * one), so each syscall under test has only conditional rules. */
        cond = parse_ok("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":18,\"syscalls\":["
                        "{\"names\":[\"exit_group\",\"exit\",\"write\",\"writev\",\"rt_sigprocmask\","
                        "\"rt_sigaction\",\"tgkill\",\"getpid\",\"gettid\",\"brk\",\"mmap\",\"munmap\","
                        "\"futex\",\"madvise\",\"mprotect\",\"sigaltstack\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                        "{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ALLOW\","
                        "\"includes\":{\"minKernel\":\"99.0\"}},"
                        "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ALLOW\","
                        "\"includes\":{\"minKernel\":\"3.0\"}},"
                        "{\"names\":[\"getuid\"],\"action\":\"SCMP_ACT_ALLOW\","
                        "\"includes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}},"
                        "{\"names\":[\"getgid\"],\"action\":\"SCMP_ACT_ALLOW\","
                        "\"excludes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}},"
                        "{\"names\":[\"geteuid\"],\"action\":\"SCMP_ACT_ALLOW\","
                        "\"includes\":{\"caps\":[\"CAP_KILL\"]}},"
                        "{\"names\":[\"getegid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":30,\"args\":["
                        "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
                        "{\"index\":1,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]},"
                        "{\"names\":[\"getpgid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":40,\"args\":["
                        "{\"index\":0,\"value\":5,\"op\":\"SCMP_CMP_EQ\"},"
                        "{\"index\":0,\"value\":6,\"op\":\"SCMP_CMP_EQ\"}]}"
                        "]}");
        run_confined(cond, CAP(KILL), check_conditions, "custom profile: includes, excludes and args");
}

TEST(cache_key) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL;

        ASSERT_OK(seccomp_profile_cache_key(NULL, 0xa80425fb, &a));
        ASSERT_OK(seccomp_profile_cache_key(NULL, 0xa80425fb, &b));
        ASSERT_OK(seccomp_profile_cache_key(NULL, 0xa80425fa, &c));
        ASSERT_OK(seccomp_profile_cache_key("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}", 0xa80425fb, &d));
        ASSERT_OK(seccomp_profile_cache_key("{\"defaultAction\": \"SCMP_ACT_LOG\"}", 0xa80425fb, &e));
        ASSERT_STREQ(a, b);
        ASSERT_FALSE(streq(a, c));
        ASSERT_FALSE(streq(a, d));
        ASSERT_FALSE(streq(d, e));
        ASSERT_NULL(strchr(a, '\n'));
        ASSERT_NOT_NULL(strstr(a, "builtin"));
}

int main(void) {
        RUN(parse_errors);
        RUN(parse_limits);
        RUN(parse_docker_format);
        RUN(compile_default);
        RUN(bpf_load_arguments);
        RUN(cache_key);

        /* The filters are loaded under no_new_privs, which needs no privilege, but the checks with
         * CAP_SYS_ADMIN expect the kernel to then grant unshare() and mount(). */
        if (geteuid() != 0)
                TEST_SKIP("the seccomp behaviour checks need root");
        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)
                TEST_SKIP("the kernel has no seccomp support");
        RUN(behaviour);
        return 0;
}
