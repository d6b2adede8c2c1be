/*
 * unwind.cpp: a C++ runtime-error handler that throws (unwind.my).  The
 * exception must propagate through the generated code -- every generated
 * function has unwind tables (contract section 3) -- and through the
 * runtime (built with -fexceptions) to the catch in this program; the C++
 * frame in between is unwound (its destructor runs); afterwards every
 * function works again, and the failing call leaked nothing (valgrind runs
 * this program too).  Built with g++ and clang++ against objects made at
 * -O0 and at -O2.
 *
 * State: the guard counters below, touched by one thread.
 */
#include <cmath>
#include <stdexcept>
#include <string>

#include "check.h"
#include "myrt.h"
#include "unwind.expected.h"
#include "unwind.h"

namespace {

struct RuntimeError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] void throwing_handler(const char *message)
{
    throw RuntimeError(message ? message : "(null)");
}

int live_guards = 0;
int destroyed_guards = 0;

struct Guard {
    Guard() { live_guards++; }
    ~Guard()
    {
        live_guards--;
        destroyed_guards++;
    }
    Guard(const Guard &) = delete;
    Guard &operator=(const Guard &) = delete;
};

// A C++ frame between the catch and the generated code, holding an object
// whose destructor must run while the exception passes.
template <class F>
__attribute__((noinline)) void guarded(F f)
{
    Guard g;
    f();
}

template <class F>
void expect_throw(Checker &c, const std::string &what, F f, const char *want)
{
    int destroyed = destroyed_guards;
    bool caught = false;
    std::string message;
    try {
        guarded(f);
    } catch (const RuntimeError &e) {
        caught = true;
        message = e.what();
    }
    check_true(&c, (what + ": the exception reached the catch").c_str(), caught);
    check_true(&c, (what + ": message \"" + message + "\", expected \"" + want + "\"").c_str(), message == want);
    check_true(&c, (what + ": the C++ frame in between was unwound").c_str(),
               destroyed_guards == destroyed + 1 && live_guards == 0);
}

void expect_fine(Checker &c)
{
    check_int(&c, "idiv(-7, 2)", idiv(-7, 2), E_IDIV);
    check_int(&c, "loop_div(3, 10)", loop_div(3, 10), E_LOOP);
    check_int(&c, "rec_div(50, 3)", rec_div(50, 3), E_REC);
    double d = 0;
    check_double(&c, "scaled_grad(1.5, 3) value", scaled_grad(1.5, 3, &d), E_SCALED_0);
    check_double(&c, "scaled_grad(1.5, 3) *d_x", d, E_SCALED_1);
    check_double(&c, "closure_div(2.5, 4)", closure_div(2.5, 4), E_CLOS);
}

const char *const DIV = "integer division or modulo by zero";

}  // namespace

int main()
{
    Checker c = {"unwind (C++ exceptions)", 0, 0};
    myrt_set_error_handler(throwing_handler);
    expect_fine(c);
    for (int round = 0; round < 3; round++) {
        std::string r = " (round " + std::to_string(round + 1) + ")";
        expect_throw(c, "idiv(7, 0)" + r, [] { (void)idiv(7, 0); }, DIV);
        expect_fine(c);
        expect_throw(c, "loop_div(10, 4): in a loop" + r, [] { (void)loop_div(10, 4); }, DIV);
        expect_throw(c, "rec_div(50, 0): 50 levels deep" + r, [] { (void)rec_div(50, 0); }, DIV);
        expect_throw(c, "scaled(1.5, 0)" + r, [] { (void)scaled(1.5, 0); }, DIV);
        expect_throw(c, "scaled_grad(1.5, 0, &d): in a gradient" + r, [] {
            double d = 0;
            (void)scaled_grad(1.5, 0, &d);
        }, DIV);
        expect_throw(c, "closure_div(2.5, 0): in closures" + r, [] { (void)closure_div(2.5, 0); }, DIV);
        expect_fine(c);
    }
    // Many errors in a row: nothing accumulates (valgrind checks the memory).
    int caught = 0;
    for (int i = 0; i < 10000; i++) {
        try {
            (void)rec_div(i % 60, 0);
        } catch (const RuntimeError &) {
            caught++;
        }
    }
    check_int(&c, "errors caught in 10000 calls of rec_div(n, 0)", caught, 10000);
    expect_fine(c);
    check_true(&c, "myrt_set_error_handler(NULL) returns the throwing handler",
               myrt_set_error_handler(nullptr) == throwing_handler);
    return checks_done(&c);
}
