/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>

#include "exit-status.h"
#include "mount-util.h"
#include "runtime-child.h"
#include "tests.h"

TEST(signals) {
        ASSERT_EQ(signal_from_string("KILL"), SIGKILL);
        ASSERT_EQ(signal_from_string("SIGTERM"), SIGTERM);
        ASSERT_EQ(signal_from_string("TERM"), 15);
        ASSERT_EQ(signal_from_string("HUP"), 1);
        ASSERT_EQ(signal_from_string("USR2"), SIGUSR2);
        ASSERT_EQ(signal_from_string("WINCH"), SIGWINCH);
        ASSERT_EQ(signal_from_string("9"), 9);
        ASSERT_EQ(signal_from_string("RTMIN+1"), SIGRTMIN + 1);
        ASSERT_ERROR(signal_from_string("NOPE"), EINVAL);
        ASSERT_ERROR(signal_from_string(""), EINVAL);
        ASSERT_ERROR(signal_from_string(NULL), EINVAL);
        ASSERT_ERROR(signal_from_string("0"), EINVAL);
        ASSERT_ERROR(signal_from_string("SIG"), EINVAL);
        ASSERT_ERROR(signal_from_string("term"), EINVAL);

        ASSERT_STREQ(signal_to_string(SIGKILL), "KILL");
        ASSERT_STREQ(signal_to_string(SIGSEGV), "SEGV");
        ASSERT_NULL(signal_to_string(0));
        ASSERT_NULL(signal_to_string(1000));
        /* every name maps back to its number */
        for (int s = 1; s < 32; s++)
                if (signal_to_string(s))
                        ASSERT_EQ(signal_from_string(signal_to_string(s)), s);
}

TEST(service_result) {
        int code = -1;

        ASSERT_OK(exit_code_from_service_result("exited", "0", &code));
        ASSERT_EQ(code, 0);
        ASSERT_OK(exit_code_from_service_result("exited", "127", &code));
        ASSERT_EQ(code, 127);
        ASSERT_OK(exit_code_from_service_result("killed", "TERM", &code));
        ASSERT_EQ(code, 143);
        ASSERT_OK(exit_code_from_service_result("killed", "KILL", &code));
        ASSERT_EQ(code, 137);
        ASSERT_OK(exit_code_from_service_result("dumped", "SEGV", &code));
        ASSERT_EQ(code, 139);
        ASSERT_ERROR(exit_code_from_service_result(NULL, NULL, &code), ENODATA);
        ASSERT_ERROR(exit_code_from_service_result("", "1", &code), ENODATA);
        ASSERT_ERROR(exit_code_from_service_result("exited", "KILL", &code), EINVAL);
        ASSERT_ERROR(exit_code_from_service_result("exited", "256", &code), EINVAL);
        ASSERT_ERROR(exit_code_from_service_result("exited", NULL, &code), EINVAL);
        ASSERT_ERROR(exit_code_from_service_result("killed", "BOGUS", &code), EINVAL);
        ASSERT_ERROR(exit_code_from_service_result("weird", "1", &code), EINVAL);
}

TEST(exec_errno) {
        ASSERT_EQ(exit_code_from_exec_errno(ENOENT), 127);
        ASSERT_EQ(exit_code_from_exec_errno(ENOTDIR), 127);
        ASSERT_EQ(exit_code_from_exec_errno(EACCES), 126);
        ASSERT_EQ(exit_code_from_exec_errno(ENOEXEC), 126);
        ASSERT_EQ(exit_code_from_exec_errno(EISDIR), 126);
}

TEST(mount_options) {
        unsigned long flags;
        char *data;

        ASSERT_OK(mount_options_parse("ro,noexec,size=64m,mode=1777", &flags, &data));
        ASSERT_EQ(flags, MS_RDONLY | MS_NOEXEC);
        ASSERT_STREQ(data, "size=64m,mode=1777");
        free(data);

        ASSERT_OK(mount_options_parse("size=1m", &flags, &data));
        ASSERT_EQ(flags, 0);
        ASSERT_STREQ(data, "size=1m");
        free(data);

        ASSERT_OK(mount_options_parse("ro,rw,nosuid,,exec", &flags, &data));
        ASSERT_EQ(flags, MS_NOSUID);
        ASSERT_NULL(data);

        ASSERT_OK(mount_options_parse(NULL, &flags, &data));
        ASSERT_EQ(flags, 0);
        ASSERT_NULL(data);
        ASSERT_OK(mount_options_parse("", &flags, &data));
        ASSERT_NULL(data);
}

TEST(stages) {
        for (int s = 0; s < _CHILD_STAGE_MAX; s++)
                ASSERT_NOT_NULL(child_stage_to_string((ChildStage) s));
        ASSERT_NULL(child_stage_to_string(_CHILD_STAGE_MAX));
        ASSERT_NULL(child_stage_to_string(_CHILD_STAGE_INVALID));
}

int main(void) {
        RUN(signals);
        RUN(service_result);
        RUN(exec_errno);
        RUN(mount_options);
        RUN(stages);
        return 0;
}
