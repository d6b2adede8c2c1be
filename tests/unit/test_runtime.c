/* test_runtime.c: the runtime's replaceable error handler. */
#include "unit.h"

#include <setjmp.h>
#include <string.h>

#include "myrt.h"

static jmp_buf back;
static char seen[128];

static void catching_handler(const char *message)
{
    strncpy(seen, message, sizeof seen - 1);
    longjmp(back, 1);
}

static void test_installed_handler_receives_message(void **state)
{
    (void)state;
    myrt_error_handler old = myrt_set_error_handler(catching_handler);
    if (setjmp(back) == 0) {
        myrt_runtime_error("integer division or modulo by zero");
        fail_msg("myrt_runtime_error returned");
    }
    assert_string_equal(seen, "integer division or modulo by zero");
    assert_ptr_equal(myrt_set_error_handler(old), catching_handler);
}

static void test_null_restores_default(void **state)
{
    (void)state;
    myrt_set_error_handler(catching_handler);
    myrt_error_handler prev = myrt_set_error_handler(NULL);
    assert_ptr_equal(prev, catching_handler);
    /* The default is back: installing again returns something else. */
    assert_ptr_not_equal(myrt_set_error_handler(NULL), catching_handler);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_installed_handler_receives_message),
        cmocka_unit_test(test_null_restores_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
