// The admin API's route table: a capture is one whole segment, every route answers its own
// path, every change is an admin's, and a path known under other methods says which.
#include "admin_routes.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace noi::server;

namespace {

// The route's path with each capture replaced by `text`.
std::string path_with(const admin_route& r, const std::string& text) {
    std::string out = r.path;
    for (const char* cap : {"{n}", "{}"})
        for (auto at = out.find(cap); at != std::string::npos; at = out.find(cap))
            out.replace(at, std::string(cap).size(), text);
    return out;
}

bool has_capture(const admin_route& r) {
    return std::string(r.path).find('{') != std::string::npos;
}

} // namespace

TEST(admin_routes, each_route_answers_its_own_path) {
    for (const auto& r : admin_routes()) {
        const auto m = match_route(r.method, path_with(r, "7"));
        ASSERT_NE(m.route, nullptr) << r.method << " " << r.path;
        EXPECT_EQ(m.route, &r) << r.method << " " << r.path << " is answered by another route";
    }
}

TEST(admin_routes, a_capture_never_spans_a_slash) {
    int captures = 0;
    for (const auto& r : admin_routes()) {
        if (!has_capture(r)) continue;
        ++captures;
        for (const char* two : {"7/8", "7%2F8", "7%2f8"}) {
            const auto m = match_route(r.method, path_with(r, two));
            EXPECT_NE(m.route, &r) << r.method << " " << path_with(r, two);
        }
        EXPECT_NE(match_route(r.method, path_with(r, "")).route, &r) << "an empty capture";
    }
    EXPECT_GE(captures, 10);
    // A route added under a capture's path cannot take over the longer paths beside it.
    EXPECT_EQ(std::string(match_route("POST", "/admin/v1/devices/x/revoke").route->path),
              "/admin/v1/devices/{}/revoke");
    EXPECT_EQ(match_route("GET", "/admin/v1/reference/commune/01849/x").route, nullptr);
}

TEST(admin_routes, a_capture_is_decoded_and_a_number_is_digits) {
    auto m = match_route("POST", "/admin/v1/accounts/hoa%40xa%20b/token");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.args, std::vector<std::string>{"hoa@xa b"});
    EXPECT_EQ(match_route("GET", "/admin/v1/conflicts/12x").route, nullptr);
    EXPECT_EQ(match_route("GET", "/admin/v1/conflicts/1234567890123456789").route, nullptr);
    EXPECT_EQ(match_route("GET", "/admin/v1/devices/%zz/token").route, nullptr);
}

TEST(admin_routes, every_change_is_an_admin_s) {
    for (const auto& r : admin_routes()) {
        if (std::string(r.method) != "GET") {
            EXPECT_EQ(r.who, access::admin) << r.method << " " << r.path;
        }
    }
}

TEST(admin_routes, a_known_path_with_another_method_names_the_methods_it_has) {
    const auto m = match_route("PUT", "/admin/v1/accounts");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_EQ(m.allowed, "POST or GET");
    EXPECT_EQ(match_route("DELETE", "/admin/v1/nothing").allowed, "");
}
