// One HTTP request with the headers a test chooses, answered with every header: for the web
// console's cookies, CSRF tokens, security headers and pages, which noi-admin's client hides.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace noi::test {

struct http_answer {
    unsigned status = 0;
    std::multimap<std::string, std::string> headers; // names in lower case
    std::string body;
    std::string header(const std::string& lower_name) const;
};

// url: http://HOST:PORT or https://HOST:PORT (https trusts ca_file only). Bounded by 30 s.
http_answer http_probe(const std::string& url, const std::string& method, const std::string& target,
                       const std::vector<std::pair<std::string, std::string>>& headers = {},
                       const std::string& body = "", const std::string& ca_file = "");

} // namespace noi::test
